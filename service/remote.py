"""The service over a remote store: /sparql queries sent on to the SPARQL server, answered from here.

A query from a client is checked as on the embedded store (service.guard), then sent to the server
with its dataset stated exactly in the protocol (kg.store.remote_sparql.protocol_query), as SPARQL JSON or
RDF; the answer is read whole, within EVKG_QUERY_TIMEOUT and a byte limit, parsed (Virtuoso's
deviations repaired by kg.store.http) and serialized here in the negotiated format. So a result
is never cut short inside a 200, every format is offered whatever the server writes, and every
error has the embedded path's status and shape.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from kg.store.http import RemoteFailed, RemoteTimeout, RemoteTooLarge, StoreRefused
from kg.store.remote import RemoteStore
from kg.store.remote_sparql import protocol_query
from service.errors import BadRequest, Overloaded, QueryTimeout, ResultTooLarge
from service.worker import BoundedBuffer, Job, Outcome, ResultOverflow, serialize

REFRESH_SECONDS = 5.0
"""How long the service trusts its list of the remote store's graphs (and what it computed from them)."""
ANSWER_FACTOR = 4
"""The server's answer may be this many times EVKG_MAX_RESULT_BYTES (SPARQL JSON is wordier than CSV)."""


class RemoteLive:
    """The remote store as the service reads it: the list of its graphs is re-read every REFRESH_SECONDS,
    so a rebuild (`evkg build`, `evkg reason`) shows without a restart, as on the embedded store."""

    def __init__(self, store: RemoteStore, refresh: float = REFRESH_SECONDS) -> None:
        self.store = store
        self.refresh = refresh
        self.location = store.endpoints.query
        self._epoch = 0
        self._since = time.monotonic()

    def get(self) -> RemoteStore:
        if time.monotonic() - self._since >= self.refresh:
            self.store.refresh()
            self._epoch += 1
            self._since = time.monotonic()
        return self.store

    def generation(self) -> str:
        """Changes every REFRESH_SECONDS: what the service caches from the store lives that long."""
        self.get()
        return f"remote-{self._epoch}"

    def close(self) -> None:
        """Close the remote store (every request is its own HTTP connection: nothing is held open)."""
        self.store.close()


class RemoteQueries:
    """In place of the worker pool: at most `size` queries at a time on the server, each given `timeout`
    seconds for the whole answer (the server's own limit, if any, still applies)."""

    def __init__(self, live: RemoteLive, size: int, timeout: float) -> None:
        self.live = live
        self.size = max(1, size)
        self.timeout = timeout
        self.timeouts = 0
        self._slots = threading.BoundedSemaphore(self.size)
        self._busy = 0
        self._count = threading.Lock()

    def start(self) -> None:
        """Nothing to start: queries go to the server."""

    def close(self) -> None:
        """Nothing to stop."""

    def run(self, job: Job) -> Outcome:
        """Send the job's query to the server and serialize the answer here; 503 when all slots stay busy."""
        if not self._slots.acquire(timeout=self.timeout):
            raise Overloaded(f"all {self.size} query slots stayed busy for {self.timeout:g} s; retry later")
        with self._count:
            self._busy += 1
        try:
            return self._run(job)
        finally:
            with self._count:
                self._busy -= 1
            self._slots.release()

    def _run(self, job: Job) -> Outcome:
        started = time.perf_counter()
        store = self.live.get()
        request = protocol_query(
            job.query,
            job.base_iri,
            (job.default_graphs, job.named_graphs),
            store.named_graphs(),
            union_default_graph=job.union_default_graph,
        )
        try:
            result = store.run(
                request.text,
                job.base_iri,
                default_graphs=request.default_graphs,
                named_graphs=request.named_graphs,
                timeout=self.timeout,
                limit=ANSWER_FACTOR * job.max_bytes,
            )
            buffer = BoundedBuffer(job.max_bytes)
            family = serialize(result, job, buffer)
        except StoreRefused as exc:
            raise BadRequest(f"the store refused the query as malformed: {exc.detail}") from exc
        except RemoteFailed as exc:
            if not exc.query_fault:
                raise
            raise BadRequest(f"the store could not evaluate the query: {exc.detail}") from exc
        except RemoteTimeout as exc:
            if exc.by_server:
                raise
            with self._count:
                self.timeouts += 1
            raise QueryTimeout(
                f"the store did not answer within {self.timeout:g} s (EVKG_QUERY_TIMEOUT); "
                "add a LIMIT, narrow the patterns, or ask the store directly"
            ) from exc
        except (RemoteTooLarge, ResultOverflow) as exc:
            raise ResultTooLarge(
                f"the result is larger than {job.max_bytes} bytes (EVKG_MAX_RESULT_BYTES); "
                "add a LIMIT or narrow the query"
            ) from exc
        return Outcome(200, bytes(buffer.data), family, seconds=time.perf_counter() - started)

    def health(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "idle": self.size - self._busy,
            "timeouts": self.timeouts,
        }
