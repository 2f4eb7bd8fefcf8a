"""`evkg serve`: run the app under gunicorn (threaded workers), never the Flask dev server."""

from __future__ import annotations

import gc
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from kg.settings import Settings
from service.app import create_app


class EvidenceKGServer(BaseApplication):  # type: ignore[misc]
    """A gunicorn application whose workers each build the app with `create_app(settings)`."""

    def __init__(self, settings: Settings, options: Mapping[str, Any]) -> None:
        self.settings = settings
        self.options = dict(options)
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        self.cfg.set("worker_exit", self.worker_exit)

    def load(self) -> Flask:
        """Runs in each worker after the fork: build the app and start its query workers."""
        app = create_app(asdict(self.settings))
        app.extensions["evkg"].pool.start()
        self.app = app
        return app

    def worker_exit(self, server: Any, worker: Any) -> None:
        """gunicorn hook: stop this web worker's query workers."""
        app = getattr(self, "app", None)
        if app is not None:
            app.extensions["evkg"].close()
            gc.collect()


def gunicorn_options(settings: Settings, host: str, port: int) -> dict[str, Any]:
    """gunicorn settings: threaded workers, long URLs left to the app's own 413, a timeout above the query's."""
    timeout = settings.query_timeout
    return {
        "bind": f"{host}:{port}",
        "workers": settings.workers,
        "threads": settings.threads,
        "worker_class": "gthread",
        "timeout": int(2 * timeout + 30),
        "graceful_timeout": 10,
        "limit_request_line": 0,
        "accesslog": "-",
        "control_socket_disable": True,
    }


def serve(settings: Settings, host: str, port: int) -> None:
    """Serve until interrupted."""
    EvidenceKGServer(settings, gunicorn_options(settings, host, port)).run()
