"""Shared by the test_service_* modules: one real gunicorn server per test session, and an HTTP helper.

The server (`evkg serve`, one web worker with 8 threads and 2 query workers) runs on a free
loopback port against a store built and reasoned from the seeds in a temporary directory, with
low limits so the tests can reach them: a 2 s query timeout, 300 kB results, 20 kB requests. It
is started on first use and stopped when the session ends. (This module holds no tests; the
fixtures live here because the service's tests own only test_service_* files.)
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field, replace
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from w3c.serving import free_port, spawn_serve, stop, wait_for_health

from kg.build import build
from kg.conflicts import reason
from kg.project import Project

ROOT = Path(__file__).resolve().parents[1]
QUERY_TIMEOUT = 2.0
MAX_RESULT_BYTES = 300_000
MAX_REQUEST_BYTES = 20_000
_KEY = pytest.StashKey["LiveServer"]()


@dataclass
class Reply:
    """An HTTP response: status, headers and body, errors included."""

    status: int
    headers: Message
    body: bytes
    seconds: float = 0.0

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip()

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class LiveServer:
    """A running `evkg serve` process and its base URL."""

    url: str
    store: Path
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        path: str,
        *,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
        timeout: float = 30,
    ) -> Reply:
        """Send a request with urllib; HTTP errors come back as replies, not exceptions."""
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers or {})
        started = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                return Reply(response.status, response.headers, response.read(), time.monotonic() - started)
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.headers, error.read(), time.monotonic() - started)

    def get(self, path: str, accept: str | None = None, **params: str) -> Reply:
        query = ("?" + urllib.parse.urlencode(params)) if params else ""
        return self.request(path + query, headers={"Accept": accept} if accept else {})

    def stop(self) -> None:
        """SIGTERM the server's process group, then SIGKILL what is left."""
        stop(self.process)


def seed_store(path: Path) -> Path:
    """Build and reason the seeds into `path` (the conflicts graph included)."""
    from kg.settings import load_settings

    settings = load_settings(environ={})
    inputs = ("sources", "vocabulary", "ontology", "shapes", "queries", "reviews")
    settings = replace(settings, **{k: str(ROOT / v) for k, v in asdict(settings).items() if k in inputs})
    project = Project.from_settings(settings)
    build(project, path)
    reason(project, path, Path(settings.reviews), "hermit")
    return path


def serve_env(url: str, **settings: str) -> dict[str, str]:
    """The environment the test servers run with (small limits, one web worker, two query slots)."""
    env = {
        **os.environ,
        "EVKG_QUERY_TIMEOUT": str(QUERY_TIMEOUT),
        "EVKG_QUERY_WORKERS": "2",
        "EVKG_WORKERS": "1",
        "EVKG_THREADS": "8",
        "EVKG_MAX_RESULT_BYTES": str(MAX_RESULT_BYTES),
        "EVKG_MAX_REQUEST_BYTES": str(MAX_REQUEST_BYTES),
        "EVKG_QUERIES": str(ROOT / "queries"),
        "EVKG_SERVICE_ALLOWLIST": f"{url}/sparql",
        **settings,
    }
    env.pop("EVKG_BASE", None)
    return env


def start_server(store: Path, log: Path) -> LiveServer:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = serve_env(url)
    log.parent.mkdir(parents=True, exist_ok=True)
    process = spawn_serve(store, port, env, log)
    wait_for_health(url, process, log)
    return LiveServer(url, store, process, log, env)


def live_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    """The session's server: started on first use, stopped when the session ends."""
    stash = request.config.stash
    if _KEY not in stash:
        folder = tmp_path_factory.mktemp("service")
        server = start_server(seed_store(folder / "store"), folder / "serve.log")
        stash[_KEY] = server
        request.config.add_cleanup(server.stop)
    return stash[_KEY]


def assert_error_shape(reply: Reply, status: int) -> dict[str, Any]:
    """The one error shape: JSON {"error": {"status", "title", "detail"}} with the reply's status."""
    assert reply.status == status, reply.text
    assert reply.content_type == "application/json"
    error = reply.json()["error"]
    assert set(error) == {"status", "title", "detail"}
    assert error["status"] == status
    assert error["title"] and error["detail"]
    return dict(error)
