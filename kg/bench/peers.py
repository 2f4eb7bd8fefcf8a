"""The SPARQL peers the benchmark compares on the same data, each started on loopback and stoppable.

- `pyoxigraph`: the store queried in-process (a worker process opens it read-only and times
  `Store.query` plus reading every solution inside itself: the floor; a worker that runs past the
  timeout is killed and replaced, since pyoxigraph cannot cancel a query);
- `service`: `evkg serve` (gunicorn) over the same store directory;
- `rdflib-endpoint` and `virtuoso`: the other SPARQL servers, in `kg.bench.peerservers`.

Every peer answers `ask(text, timeout, count)` with an `Outcome` and runs a bounded concurrent
load with `load(...)`; `stop()` stops whatever it started.
"""

from __future__ import annotations

import http.client
import json
import os
import select
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kg.bench.loopback import HOST, die_with_parent, free_port, group_memory_mb, stop_group, wait_port
from kg.sparql.planner import lateral_optionals

TIMEOUT = "timeout"
JSON = "application/sparql-results+json"
STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
"""What reusing a keep-alive connection the server has closed raises."""


@dataclass
class Outcome:
    """One query: wall seconds, result rows (when counted), or what went wrong; `server`: the
    response's Server-Timing steps in seconds (`evkg serve` sends them; other peers none)."""

    seconds: float
    rows: int | None = None
    error: str | None = None
    server: dict[str, float] | None = None


def server_timing(header: str | None) -> dict[str, float] | None:
    """A Server-Timing header's `dur` of each metric, in seconds (None without the header)."""
    if not header:
        return None
    steps = {}
    for entry in header.split(","):
        name, *params = (part.strip() for part in entry.split(";"))
        duration = next((p.partition("=")[2] for p in params if p.startswith("dur=")), None)
        if name and duration:
            steps[name] = float(duration) / 1000
    return steps


@dataclass
class Load:
    """A concurrent run: queries answered, queries that failed, and the wall time."""

    completed: int
    errors: int
    seconds: float
    clients: int

    @property
    def per_second(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0


Ask = Callable[[str, float], Outcome]


def run_load(ask: Ask, texts: Sequence[str], clients: int, seconds: float, rounds: int, timeout: float) -> Load:
    """`clients` threads each run the texts `rounds` times over (each from its own offset) or until `seconds`."""
    counts = {"completed": 0, "errors": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(offset: int) -> None:
        for step in range(rounds * len(texts)):
            if time.monotonic() > deadline:
                return
            outcome = ask(texts[(offset + step) % len(texts)], timeout)
            with lock:
                counts["errors" if outcome.error else "completed"] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Load(counts["completed"], counts["errors"], time.perf_counter() - started, clients)


# ------------------------------------------------------------------ pyoxigraph in-process
def count_results(results: Any) -> int:
    """Read every solution (or triple) of a pyoxigraph result; ASK counts as one row."""
    if isinstance(results, bool) or type(results).__name__ == "QueryBoolean":
        return 1
    return sum(1 for _ in results)


def oxigraph_worker(store_path: str) -> None:
    """The in-process peer's worker: open the store read-only, then answer JSON lines on stdin/stdout.

    `{"ask": TEXT}` -> an Outcome; `{"load": [TEXTS, CLIENTS, SECONDS, ROUNDS, TIMEOUT]}` -> a Load.
    """
    from kg.store.oxigraph import OxigraphStore

    store = OxigraphStore.open(Path(store_path), read_only=True).store

    def ask(text: str, _timeout: float) -> Outcome:
        started = time.perf_counter()
        try:
            # the text `evkg serve` runs for it: /sparql's planner hint (the `sparql_lateral_optionals` setting)
            planned = lateral_optionals(text, single=True)
            rows = count_results(store.query(planned, use_default_graph_as_union=True))
        except (SyntaxError, OSError, ValueError) as exc:
            return Outcome(time.perf_counter() - started, error=str(exc)[:200])
        return Outcome(time.perf_counter() - started, rows)

    print(json.dumps("ready"), flush=True)
    for line in sys.stdin:
        message = json.loads(line)
        answer = ask(message["ask"], 0) if "ask" in message else run_load(ask, *message["load"])
        print(json.dumps(asdict(answer)), flush=True)


class OxigraphPeer:
    """pyoxigraph in-process on the store directory, in a worker process that can be killed."""

    name = "pyoxigraph"
    label = "pyoxigraph in-process"

    def __init__(self, store: Path) -> None:
        self.store = store
        self.process: subprocess.Popen[bytes] | None = None
        self.recover()

    def recover(self) -> None:
        """(Re)start the worker: after a query that ran past its timeout, the old one is killed."""
        self.stop()
        code = "import sys; from kg.bench.peers import oxigraph_worker; oxigraph_worker(sys.argv[1])"
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, str(self.store)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,
        )
        if self._read(120) != "ready":
            self.stop()
            raise RuntimeError(f"the pyoxigraph worker could not open {self.store}")

    def _read(self, seconds: float) -> Any:
        """The worker's next JSON line within `seconds`, or None."""
        assert self.process is not None and self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], seconds)
        line = self.process.stdout.readline() if ready else b""
        return json.loads(line) if line else None

    def _call(self, message: dict[str, Any], wait: float) -> Any:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        self.process.stdin.flush()
        answer = self._read(wait)
        if answer is None:
            self.recover()
        return answer

    def ask(self, text: str, timeout: float, count: bool = False) -> Outcome:
        answer = self._call({"ask": text}, timeout)
        return Outcome(**answer) if answer is not None else Outcome(timeout, error=TIMEOUT)

    def load(self, texts: Sequence[str], clients: int, seconds: float, rounds: int, timeout: float) -> Load:
        answer = self._call({"load": [list(texts), clients, seconds, rounds, timeout]}, seconds + 2 * timeout + 30)
        return Load(**answer) if answer is not None else Load(0, clients, seconds + 2 * timeout, clients)

    def memory_mb(self) -> float | None:
        return None

    def stop(self) -> None:
        if self.process is not None:
            if self.process.stdin is not None:
                self.process.stdin.close()
            stop_group(self.process, grace=5)
            if self.process.stdout is not None:
                self.process.stdout.close()
        self.process = None


# ------------------------------------------------------------------ HTTP peers
class HttpPeer:
    """A SPARQL endpoint over HTTP on loopback, one keep-alive connection per client thread."""

    name = "http"
    label = "HTTP"
    direct_post = False  # POST application/sparql-query instead of a form (Virtuoso 7.2 hangs on direct POST)

    def __init__(self, port: int, path: str, process: subprocess.Popen[bytes] | None = None) -> None:
        self.port, self.path, self.process = port, path, process
        self.local = threading.local()

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        return conn

    def _drop_connection(self) -> None:
        conn = getattr(self.local, "conn", None)
        if conn is not None:
            conn.close()
        self.local.conn = None

    def request(self, text: str) -> tuple[bytes, dict[str, str]]:
        """The body and headers of a query request."""
        if self.direct_post:
            return text.encode(), {"Content-Type": "application/sparql-query", "Accept": JSON}
        body = urllib.parse.urlencode({"query": text}).encode()
        return body, {"Content-Type": "application/x-www-form-urlencoded", "Accept": JSON}

    def ask(self, text: str, timeout: float, count: bool = False) -> Outcome:
        body, headers = self.request(text)
        started = time.perf_counter()
        try:
            try:
                response, data = self._exchange(body, headers, timeout)
            except STALE:  # the server closed the idle keep-alive connection: once more on a new one
                self._drop_connection()
                started = time.perf_counter()
                response, data = self._exchange(body, headers, timeout)
        except TimeoutError:
            self._drop_connection()
            self.on_timeout()
            return Outcome(time.perf_counter() - started, error=TIMEOUT)
        except (OSError, http.client.HTTPException) as exc:
            self._drop_connection()
            return Outcome(time.perf_counter() - started, error=f"{type(exc).__name__}: {exc}"[:200])
        seconds = time.perf_counter() - started
        problem = self.problem(response, data)
        if problem:
            return Outcome(seconds, error=problem)
        return Outcome(
            seconds, rows_in(data) if count else None, server=server_timing(response.getheader("Server-Timing"))
        )

    def _exchange(self, body: bytes, headers: dict[str, str], timeout: float) -> tuple[http.client.HTTPResponse, bytes]:
        """Send one request on this thread's connection and read the whole response."""
        conn = self._connection(timeout)
        conn.request("POST", self.path, body, headers)
        response = conn.getresponse()
        return response, response.read()

    def problem(self, response: http.client.HTTPResponse, data: bytes) -> str | None:
        """What is wrong with a response, or None for a full 200."""
        if response.status != 200:
            return f"HTTP {response.status}: {data[:160].decode(errors='replace')}"
        return None

    def on_timeout(self) -> None:
        """What to do after a request ran past its timeout (nothing: the server copes)."""

    def load(self, texts: Sequence[str], clients: int, seconds: float, rounds: int, timeout: float) -> Load:
        return run_load(self.ask, texts, clients, seconds, rounds, timeout)

    def recover(self) -> None:
        """Make the peer ready after a timeout (nothing by default)."""

    def memory_mb(self) -> float | None:
        return group_memory_mb(self.process.pid) if self.process is not None else None

    def stop(self) -> None:
        self._drop_connection()
        if self.process is not None:
            stop_group(self.process)


def rows_in(data: bytes) -> int:
    """Solutions in a SPARQL JSON result (ASK: one)."""
    document = json.loads(data)
    return 1 if "boolean" in document else len(document["results"]["bindings"])


class ServicePeer(HttpPeer):
    """`evkg serve` (gunicorn) over the store directory, its query timeout set to the benchmark's."""

    name = "service"
    label = "evkg serve (HTTP)"

    @classmethod
    def start(cls, store: Path, timeout: float, log: Path) -> ServicePeer:
        port = free_port()
        evkg = str(Path(sys.executable).with_name("evkg"))
        env = {**os.environ, "EVKG_QUERY_TIMEOUT": str(timeout)}
        command = [evkg, "serve", "--store", str(store), "--host", HOST, "--port", str(port)]
        with log.open("wb") as out:
            process = subprocess.Popen(
                command,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        peer = cls(port, "/sparql", process)
        try:
            wait_port(port, process, 120, "evkg serve")
            wait_answer(peer, 120)
        except BaseException:
            peer.stop()
            raise
        return peer

    def problem(self, response: http.client.HTTPResponse, data: bytes) -> str | None:
        if response.status == 503 and b"timed out" in data.lower():
            return TIMEOUT
        return super().problem(response, data)


def wait_answer(peer: HttpPeer, seconds: float) -> None:
    """Ask `ASK {}` until the peer answers it."""
    deadline = time.monotonic() + seconds
    outcome = Outcome(0)
    while time.monotonic() < deadline:
        outcome = peer.ask("ASK {}", 10, count=True)
        if outcome.error is None:
            return
        time.sleep(0.3)
    raise RuntimeError(f"{peer.label} did not answer ASK {{}} within {seconds:.0f} s: {outcome.error}")
