"""Helpers the tests import (this module holds no tests): an HTTP client for a real `evkg serve`,
the environment it runs with, the one error shape, polling with a deadline, and comparing SPARQL
results across stores. The fixtures that use them live in tests/conftest.py.

The test servers (`evkg serve`: one web worker with 8 threads and 2 query workers) run on a free
loopback port with low limits so the tests can reach them: a 2 s query timeout (3 s in front of
Virtuoso, which is slower), 300 kB results, 20 kB requests.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any, TypeVar

from w3c.serving import free_port, spawn_serve, stop, wait_for_health
from w3c.serving import wait_until as wait_until  # the suite's one poll, for the tests that import support

from kg.sources.reviews import Review

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
BASE = "https://w3id.org/evidencekg/"
XSD = "http://www.w3.org/2001/XMLSchema#"
QUERY_TIMEOUT = 2.0
REMOTE_QUERY_TIMEOUT = 3.0
MAX_RESULT_BYTES = 300_000
MAX_REQUEST_BYTES = 20_000
REVIEW_TOKEN = "review-token"
UPDATE_TOKEN = "remote-update-token"
T = TypeVar("T")


def copy_fixtures(target: Path, *names: str) -> Path:
    """A sources directory at `target` made of fixture folders (copied, so a test may edit them)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copytree(FIXTURES / name, target, dirs_exist_ok=True)
    return target


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


def serve_env(url: str, **settings: str) -> dict[str, str]:
    """The environment the test servers run with (small limits, one web worker, two query slots)."""
    env = {
        **os.environ,
        "EVKG_QUERY_TIMEOUT": str(QUERY_TIMEOUT),
        "EVKG_QUERY_WORKERS": "2",
        "EVKG_QUERY_WORKERS_MAX": "2",  # a pool that cannot grow: its ceiling is what these tests reach
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


def start_server(store: Path | str, log: Path, **settings: str) -> LiveServer:
    """`evkg serve` on a free port in front of `store` (a directory or a SPARQL endpoint's URL), ready."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = serve_env(url, EVKG_QUERY_LOG=str(log.with_name(f"{log.stem}-queries.jsonl")), **settings)
    log.parent.mkdir(parents=True, exist_ok=True)
    process = spawn_serve(store, port, env, log)  # type: ignore[arg-type]  # a URL is a store too
    wait_for_health(url, process, log)
    return LiveServer(url, store if isinstance(store, Path) else log.parent, process, log, env)


def assert_error_shape(reply: Reply, status: int) -> dict[str, Any]:
    """The one error shape: JSON {"error": {"status", "title", "detail"}} with the reply's status."""
    assert reply.status == status, reply.text
    assert reply.content_type == "application/json"
    error = reply.json()["error"]
    assert set(error) == {"status", "title", "detail"}
    assert error["status"] == status
    assert error["title"] and error["detail"]
    return dict(error)


def count(reply: Reply) -> int:
    """The `?n` of a one-row SPARQL JSON answer, which must be a 200."""
    assert reply.status == 200, reply.text
    return int(reply.json()["results"]["bindings"][0]["n"]["value"])


# ------------------------------------------------------------------ comparing results across stores
def term_key(value: dict[str, str]) -> tuple[str, ...]:
    """A SPARQL JSON term, comparable across stores: blank nodes alike, whole decimals as integers
    (Virtuoso stores `"1.0"^^xsd:decimal` as `"1"^^xsd:integer`, see tests/test_remote.py)."""
    kind, text, datatype = value["type"], value["value"], value.get("datatype", "")
    if kind == "bnode":
        return ("bnode",)
    if datatype == XSD + "decimal" and re.fullmatch(r"-?\d+(\.0*)?", text):
        text, datatype = str(int(float(text))), XSD + "integer"
    return (kind, text, datatype, value.get("xml:lang", ""))


def concatenated(query: str) -> set[str]:
    """The variables a query binds with GROUP_CONCAT."""
    return set(re.findall(r"GROUP_CONCAT\s*\([^()]*\)\s*AS\s*\?(\w+)", query, flags=re.I))


def solutions(document: dict[str, Any], query: str) -> Counter[tuple[tuple[str, tuple[str, ...]], ...]]:
    """SPARQL JSON results as a multiset of rows, GROUP_CONCAT results compared as sets of parts.

    Their order is unspecified; pyoxigraph keeps a language tag all parts share where the standard
    (and Virtuoso) give a simple literal (a known pyoxigraph failure, see tests/w3c/runner.py), and
    leaves the result unbound where there is nothing to concatenate, where Virtuoso gives "".
    """
    grouped = concatenated(query)
    rows: Counter[tuple[tuple[str, tuple[str, ...]], ...]] = Counter()
    for binding in document["results"]["bindings"]:
        row = []
        for name, value in sorted(binding.items()):
            if name in grouped:
                if value["value"]:
                    row.append((name, ("concatenated", *sorted(value["value"].split(" | ")))))
            else:
                row.append((name, term_key(value)))
        rows[tuple(row)] += 1
    return rows


# ---------------------------------------------------------------- writers and reviews
HOLD_LOCK = """
import sys
from pathlib import Path
from kg.store.lock import writer_lock
with writer_lock(Path(sys.argv[1]), "evkg build"):
    print("held", flush=True)
    sys.stdin.read()
"""

REVIEW_LOOP = """
import datetime as dt, sys
from pathlib import Path
from kg.sources.reviews import Review, add_review
path, start, count = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
for i in range(start, start + count):
    add_review(path, Review(conflict=f"{i:016x}", status="confirmed", reviewer="loop",
                            at=dt.datetime.now(dt.UTC), rationale="a rationale\\nover two lines"))
"""


def review(conflict: str) -> Review:
    """A confirmed review of one conflict id."""
    return Review(conflict=conflict, status="confirmed", reviewer="tester", at=dt.datetime.now(dt.UTC), rationale="ok")


def query_workers(server: LiveServer) -> set[int]:
    """The pids of the server's query worker processes (from /proc: /health names no process)."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            ours = entry.name.isdigit() and os.getpgid(int(entry.name)) == server.process.pid
            if ours and b"service.worker" in (entry / "cmdline").read_bytes():
                found.add(int(entry.name))
        except (OSError, ProcessLookupError):
            continue
    return found


SEEDS = ("livestrong-back-spasm", "droracle-back-spasm")
"""The two seed documents the tests were written on (sources/ holds more)."""


def seed_sources(folder: Path) -> Path:
    """A sources folder with the seed files and their texts only (links into sources/)."""
    (folder / "texts").mkdir(parents=True, exist_ok=True)
    for seed in SEEDS:
        (folder / f"{seed}.yaml").symlink_to(ROOT / "sources" / f"{seed}.yaml")
        (folder / "texts" / f"{seed}.txt").symlink_to(ROOT / "sources" / "texts" / f"{seed}.txt")
    return folder
