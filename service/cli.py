"""`evkg serve`, registered through the `evkg.commands` entry point, so that kg never imports service."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from kg.cli import handles_errors, settings_for, store_option
from kg.errors import StoreError
from kg.settings import Settings
from kg.store.oxigraph import CURRENT
from kg.store.remote import Endpoints, RemoteStore, is_remote
from service.server import serve

STARTUP_TIMEOUT = 30.0
"""Seconds a remote store has to answer the check before `evkg serve` starts."""

__all__ = ["serve_command"]


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", type=int, default=None, help="Web worker processes [default: EVKG_WORKERS or 2].")
@store_option
@handles_errors
def serve_command(host: str, port: int, workers: int | None, store: str | None) -> None:
    """Serve SPARQL, linked data and the conflict pages over HTTP (gunicorn)."""
    settings = settings_for(store=store, workers=workers)
    check_store(settings)
    click.echo(f"serving {settings.store} at http://{host}:{port}/", err=True)
    serve(settings, host, port)


def check_store(settings: Settings) -> None:
    """Exit 2 before serving when there is nothing to serve: no store directory, or a remote store that
    does not answer or holds no graph under the base IRI."""
    if is_remote(settings.store):
        with RemoteStore(replace(Endpoints.from_settings(settings), timeout=STARTUP_TIMEOUT)) as remote:
            graphs = remote.named_graphs()
        if not graphs:
            raise StoreError(
                f"the store at {settings.store} has no graph under <{settings.base}>: "
                f"run `evkg build --store {settings.store}` first (or check EVKG_BASE)"
            )
    elif not (Path(settings.store) / CURRENT).exists():  # not opened here: RocksDB must not start before the fork
        raise StoreError(f"no store at {settings.store}: run `evkg build` first (or pass --store PATH)")
