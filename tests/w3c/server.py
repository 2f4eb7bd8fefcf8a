"""The conformance server: one `evkg serve` over a store of its own, and per-test datasets.

The server runs with `EVKG_UNION_DEFAULT_GRAPH=false` (the standard dataset, whose default graph is
only the store's default graph), or with it on (`union`, what users get): then each test's data goes
into named graphs and its dataset is asked for explicitly, by the protocol or the query's own FROM,
which must replace the union. `install` gives each test a fresh store:
`evkg load` adds the files to an empty store in a scratch directory (the real click command,
in-process through click's CliRunner, which saves the ~1 s interpreter start per file;
`EVKG_W3C_LOAD=subprocess` runs the `evkg` executable instead), then `kg.store.oxigraph.snapshot` makes
that store a new live generation of the served store (the atomic `current` swap `evkg build`
makes), which the service's query workers pick up on their next query.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from kg.cli import main as evkg
from kg.store.oxigraph import snapshot, write_generation

from .serving import free_port, spawn_serve, stop, wait_for_health

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class ConformanceServer:
    """A running `evkg serve` over `store`, configured for the standard SPARQL dataset."""

    url: str
    store: Path
    scratch: Path
    process: subprocess.Popen[bytes]
    log: Path
    union: bool = False
    """Whether the default graph is the union of all graphs (EVKG_UNION_DEFAULT_GRAPH)."""

    def stop(self) -> None:
        """SIGTERM the server's process group, then SIGKILL what is left."""
        stop(self.process)

    @property
    def endpoint(self) -> str:
        return self.url + "/sparql"


def server_environment(url: str, extra: dict[str, str] | None = None, *, union: bool = False) -> dict[str, str]:
    """The environment of the conformance server: the dataset setting, one web worker, 2 query workers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVKG_")}
    env.update(
        {
            "EVKG_UNION_DEFAULT_GRAPH": "true" if union else "false",
            "EVKG_QUERY_WORKERS": "2",
            "EVKG_WORKERS": "1",
            "EVKG_THREADS": "4",
            "EVKG_QUERY_TIMEOUT": "20",
            "EVKG_QUERIES": str(ROOT / "queries"),
        }
    )
    env.update(extra or {})
    return env


def start_server(folder: Path, extra_env: dict[str, str] | None = None, *, union: bool = False) -> ConformanceServer:
    """Start `evkg serve` on a free port over an empty store in `folder`; wait until it answers."""
    store, scratch, log = folder / "store", folder / "scratch", folder / "serve.log"
    extra_env = {"EVKG_QUERY_LOG": str(folder / "queries.jsonl"), **(extra_env or {})}
    write_generation(store, lambda _: None)
    scratch.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = spawn_serve(store, port, server_environment(url, extra_env, union=union), log)
    wait_for_health(url, process, log)
    return ConformanceServer(url, store, scratch, process, log, union)


def evkg_load(store: Path, path: Path, graph: str | None) -> None:
    """`evkg load PATH [--graph IRI] --store STORE`: in-process by default, or as a subprocess."""
    args = ["load", str(path), "--store", str(store)] + (["--graph", graph] if graph else [])
    if os.environ.get("EVKG_W3C_LOAD") == "subprocess":
        command = [str(Path(sys.executable).parent / "evkg"), *args]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        code, output = done.returncode, done.stdout + done.stderr
    else:
        result = CliRunner().invoke(evkg, args, catch_exceptions=False)
        code, output = result.exit_code, result.output
    if code != 0:
        raise RuntimeError(f"evkg load {path} failed ({code}): {output}")


def as_named(data: tuple[Path, ...], graphs: tuple[tuple[str, Path], ...]) -> tuple[tuple[str, Path], ...]:
    """The default graph's files as named graphs called by their IRIs (once each), then the named graphs."""
    names = {name for name, _ in graphs}
    return tuple(dict.fromkeys((p.as_uri(), p) for p in data if p.as_uri() not in names)) + graphs


def install(server: ConformanceServer, data: tuple[Path, ...], graphs: tuple[tuple[str, Path], ...]) -> None:
    """Load the files into a fresh store and make it the served store's live generation; with the union
    default graph, the default graph's files go into named graphs of their own."""
    if server.union:
        data, graphs = (), as_named(data, graphs)
    scratch = server.scratch / f"store-{time.monotonic_ns()}"
    write_generation(scratch, lambda _: None)
    try:
        for path in data:
            evkg_load(scratch, path, None)
        for name, path in graphs:
            evkg_load(scratch, path, name)
        snapshot(scratch, server.store)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
