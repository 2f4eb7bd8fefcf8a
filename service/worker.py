"""The query worker: a separate process that opens the store read-only once and runs queries.

A query runs to completion here and its whole result is serialized to bytes (at most
`max_bytes`) before anything is sent back, so the web process decides the HTTP status before the
first byte, and a runaway query can be stopped by killing this process (pyoxigraph cannot cancel
a query in-process).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import threading
import time
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import StoreError
from kg.namespaces import PREFIXES
from kg.sparql.lexer import names_dataset
from kg.sparql.planner import lateral_optionals
from kg.store.base import QueryResult
from kg.store.oxigraph import CURRENT, OxigraphStore
from service.negotiation import OX_RDF, OX_RESULTS

READY = "ready"
FOLLOW_SECONDS = 1.0
"""How often an idle process checks whether another generation became live."""


@dataclass(frozen=True)
class Job:
    """One query: its text, the protocol's dataset (None: the service's default dataset), the formats."""

    query: str
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    results_format: str
    rdf_format: str
    max_bytes: int
    union_default_graph: bool = True
    base_iri: str | None = None
    lateral: bool = False
    """Run one-pattern OPTIONALs as LATERAL lookups (kg.sparql.planner, the `sparql_lateral_optionals` setting)."""


@dataclass(frozen=True)
class Outcome:
    """What a worker sends back: 200 and the body, or an error status and its detail."""

    status: int
    body: bytes = b""
    family: str = ""
    detail: str = ""
    seconds: float = 0.0
    """Time the worker spent running the query and serializing its result (the Server-Timing `query`)."""


class ResultOverflow(Exception):
    """The serialized result grew past the byte limit."""


class BoundedBuffer:
    """A write-only buffer that raises ResultOverflow past `limit` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()

    def write(self, chunk: bytes) -> int:
        if len(self.data) + len(chunk) > self.limit:
            raise ResultOverflow
        self.data += chunk
        return len(chunk)

    def flush(self) -> None:
        """Nothing to flush: the data stays in memory."""


class LiveStore:
    """The store's live generation, read-only, following each swap by `evkg build`, `reason` or /update.

    `exclusive`: one thread reads (a query worker), so the superseded store is closed at once; else
    (the web process's threads) it is dropped, and released when the last thread using it is done.
    A follower thread (`follow`) makes an idle process let go of a superseded generation too.
    """

    def __init__(self, path: Path, *, exclusive: bool = False) -> None:
        self.path = path
        self.location = str(path)
        self.exclusive = exclusive
        self._target = ""
        self._store: OxigraphStore | None = None
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._follower: threading.Thread | None = None

    def get(self) -> OxigraphStore:
        """The live generation's store, reopened when another generation became live."""
        with self._lock:
            if self._store is None or os.path.realpath(self.path / CURRENT) != self._target:
                self._switch()
            assert self._store is not None
            return self._store

    def _switch(self) -> None:
        fresh = OxigraphStore.open(self.path, read_only=True)
        old, self._store, self._target = self._store, fresh, str(fresh.generation)
        if old is not None and self.exclusive:
            old.close()

    def refresh(self) -> None:
        """Follow a swap now if a store is open (an idle process lets go of the old generation)."""
        with self._lock:
            if self._store is not None and os.path.realpath(self.path / CURRENT) != self._target:
                self._switch()

    def follow(self, interval: float = FOLLOW_SECONDS) -> None:
        """Refresh every `interval` seconds in a daemon thread, until `close()` (started once)."""
        with self._lock:
            if self._follower is None:
                self._follower = threading.Thread(target=self._follow, args=(interval,), daemon=True)
                self._follower.start()

    def _follow(self, interval: float) -> None:
        while not self._stopped.wait(interval):
            with contextlib.suppress(StoreError):
                self.refresh()

    def generation(self) -> str:
        """The live generation's directory: it changes when a build or reason makes a new one live."""
        return str((self.path / CURRENT).resolve())

    def close(self) -> None:
        """Release the store (RocksDB closes while the interpreter is still whole) and stop following."""
        self._stopped.set()
        with self._lock:
            if self._store is not None:
                self._store.close()
            self._store = None
            self._target = ""


def planned_query(store: ox.Store, job: Job) -> QueryResult:
    """The job's query, with the planner hint if asked; a query the hint's text cannot parse runs as
    sent, so that a syntax error names the user's own text."""
    arguments = {"prefixes": PREFIXES, "base_iri": job.base_iri, **dataset_arguments(job)}
    if job.lateral:
        planned = lateral_optionals(job.query, single=True)
        if planned != job.query:
            with contextlib.suppress(SyntaxError):
                return store.query(planned, **arguments)
    return store.query(job.query, **arguments)


def execute(store: ox.Store, job: Job) -> Outcome:
    """Run one job and serialize its result within the byte limit."""
    try:
        result = planned_query(store, job)
        buffer = BoundedBuffer(job.max_bytes)
        family = serialize(result, job, buffer)
    except SyntaxError as exc:
        return Outcome(400, detail=f"malformed SPARQL query: {exc}")
    except ResultOverflow:
        return Outcome(
            507,
            detail=f"the result is larger than {job.max_bytes} bytes (EVKG_MAX_RESULT_BYTES); "
            "add a LIMIT or narrow the query",
        )
    except ValueError as exc:
        return Outcome(400, detail=f"bad query: {exc}")
    except OSError as exc:
        return Outcome(500, detail=f"the query failed while running: {exc}")
    return Outcome(200, bytes(buffer.data), family)


def dataset_arguments(job: Job) -> dict[str, Any]:
    """pyoxigraph arguments for the dataset, as SPARQL 1.1 rules: the protocol's, else the query's own
    (FROM / FROM NAMED), else the store's: the union of all graphs, or (union_default_graph off) the
    default graph. pyoxigraph's union mode would ignore the query's FROM, so it is off when there is one."""
    if job.default_graphs is None and job.named_graphs is None:
        return {"use_default_graph_as_union": job.union_default_graph and not names_dataset(job.query)}
    return {
        "default_graph": [ox.NamedNode(g) for g in job.default_graphs or ()],
        "named_graphs": [ox.NamedNode(g) for g in job.named_graphs or ()],
    }


def serialize(result: QueryResult, job: Job, out: BoundedBuffer) -> str:
    """Write a result in the job's format for its kind; return the kind (`results` or `rdf`)."""
    if isinstance(result, ox.QueryTriples):
        fmt = OX_RDF[job.rdf_format]
        prefixes = PREFIXES if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
        ox.serialize(result, out, format=fmt, prefixes=prefixes)  # type: ignore[arg-type]  # any writer works
        return "rdf"
    result.serialize(out, format=OX_RESULTS[job.results_format])  # type: ignore[arg-type]
    return "results"


def serve(path: str, conn: Connection) -> None:
    """The worker's main loop: open the store, say ready, answer jobs until the pipe closes; while
    idle, follow the live generation so that a superseded one is let go of within seconds."""
    watch_parent(os.getppid())
    live = LiveStore(Path(path), exclusive=True)
    try:
        live.get()
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which logs it and retries
        conn.send(f"cannot open the store: {exc}")
        return
    conn.send(READY)
    try:
        while (job := next_job(conn, live)) is not None:
            conn.send(answer(live, job))
    finally:
        live.close()


def watch_parent(parent: int) -> None:
    """Exit as soon as the web process that started this worker is gone, even in the middle of a
    query (the query runs without Python's lock, so this thread keeps running)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(FOLLOW_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def next_job(conn: Connection, live: LiveStore) -> Job | None:
    """The next job from the web process (None when the pipe closes), refreshing the store while idle."""
    try:
        while not conn.poll(FOLLOW_SECONDS):
            with contextlib.suppress(StoreError):
                live.refresh()
        job: Job = conn.recv()
        return job
    except (EOFError, OSError):
        return None


def answer(live: LiveStore, job: Job) -> Outcome:
    """Run one job on the live generation, timed; a failure of ours is a 500 outcome, not a crash."""
    started = time.perf_counter()
    try:
        outcome = execute(live.get().store, job)
    except Exception as exc:  # noqa: BLE001 - our fault: the parent answers 500
        outcome = Outcome(500, detail=f"the query worker failed: {type(exc).__name__}: {exc}")
    return replace(outcome, seconds=time.perf_counter() - started)


def main(argv: list[str] | None = None) -> None:
    """Entry point of a worker process: `--fd N --store PATH` (started by the pool)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--fd", type=int, required=True, help="the socket shared with the web process")
    parser.add_argument("--store", required=True, help="the store directory")
    args = parser.parse_args(argv)
    serve(args.store, Connection(args.fd))
