"""What the web service's blueprints need, built once per web process and passed in."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from kg.audit import ConflictRecord, load_conflicts
from kg.errors import StoreError
from kg.namespaces import Iris
from kg.settings import Settings
from kg.sparql.queries import QueryRegistry
from kg.store.base import Store, solutions
from kg.store.remote import Endpoints, RemoteStore, is_remote
from service.pool import QueryPool
from service.remote import RemoteLive, RemoteQueries
from service.worker import Job, LiveStore, Outcome

SERVICE_QUERIES = Path(__file__).resolve().parent / "queries"
"""The queries the pages run (the stance matrix), one file each, with headers."""
REPORT = "reports/conflicts"
"""The query kg.audit.load_conflicts runs."""


class StoreAccess(Protocol):
    """The live store as the web process reads it: an embedded store directory (LiveStore) or a remote
    SPARQL server (RemoteLive)."""

    location: str

    def get(self) -> Store: ...

    def generation(self) -> str: ...

    def close(self) -> None: ...


class Queries(Protocol):
    """What runs /sparql queries: the worker pool (embedded) or RemoteQueries (remote)."""

    def start(self) -> None: ...

    def run(self, job: Job) -> Outcome: ...

    def close(self) -> None: ...

    def health(self) -> dict[str, Any]: ...


def split_list(value: str) -> tuple[str, ...]:
    """A comma-separated setting as a tuple of non-empty items."""
    return tuple(item.strip() for item in value.split(",") if item.strip())


@dataclass
class Services:
    """The store (read-only), the query registries, the query pool and the settings."""

    settings: Settings
    store: StoreAccess
    registry: QueryRegistry
    pages: QueryRegistry
    pool: Queries
    iris: Iris
    _cache: dict[str, tuple[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def allowlist(self) -> tuple[str, ...]:
        return split_list(self.settings.service_allowlist)

    @property
    def cors_origins(self) -> tuple[str, ...]:
        return split_list(self.settings.cors_origins)

    @property
    def remote(self) -> bool:
        """Whether the store is a remote SPARQL server."""
        return isinstance(self.store, RemoteLive)

    def read(self) -> Store:
        """The store for the service's own (bounded) queries, reopened after a rebuild."""
        with self._lock:
            if isinstance(self.store, LiveStore):
                self.store.follow()  # an idle web process lets go of a superseded generation too
            return self.store.get()

    def close(self) -> None:
        """Stop the query workers and release the store (at web worker exit)."""
        self.pool.close()
        with self._lock:
            self.store.close()
        self._cache.clear()

    def generation(self) -> str:
        return self.store.generation()

    def cached(self, key: str, compute: Callable[[Store], Any]) -> Any:
        """A value computed from the store once per store generation (graph sizes, conflicts)."""
        generation = self.generation()
        hit = self._cache.get(key)
        if hit and hit[0] == generation:
            return hit[1]
        value = compute(self.read())
        self._cache[key] = (generation, value)
        return value

    def graph_counts(self) -> dict[str, int]:
        """Triples per named graph."""
        return self.cached("graphs", self._graph_counts)  # type: ignore[no-any-return]

    def _graph_counts(self, store: Store) -> dict[str, int]:
        """One query for every graph's size (an empty named graph counts 0)."""
        rows = solutions(store.query(self.pages.resolve("graph-sizes").text, hints=True))
        sizes = {row["g"].value: int(row["n"].value) for row in rows}
        return {g: sizes.get(g, 0) for g in store.named_graphs()}

    def conflicts(self) -> list[ConflictRecord]:
        """Every finding of the conflicts graph (conflicts and informational), most severe first."""
        return self.cached("conflicts", lambda store: load_conflicts(store, self.registry))  # type: ignore[no-any-return]


def build_services(settings: Settings, **given: Any) -> Services:
    """Services from settings; any of store, registry, pages, pool may be given (tests)."""
    registry = given.get("registry") or QueryRegistry(Path(settings.queries))
    if REPORT not in registry.queries:
        raise StoreError(
            f"the queries directory {settings.queries} has no {REPORT}.rq: run from the repository root "
            "or set EVKG_QUERIES to the queries/ directory"
        )
    store, pool = given.get("store"), given.get("pool")
    if store is None or pool is None:
        built_store, built_pool = store_and_queries(settings)
        store, pool = store or built_store, pool or built_pool
    return Services(
        settings=settings,
        store=store,
        registry=registry,
        pages=given.get("pages") or QueryRegistry(SERVICE_QUERIES),
        pool=pool,
        iris=Iris(settings.base),
    )


def own_reads_timeout(query_timeout: float) -> float:
    """Seconds the service's own reads of a remote store may take (conflicts, graph sizes, resources,
    dumps): longer than a client's query, shorter than gunicorn's worker timeout (service.server)."""
    return 2 * query_timeout + 20


def store_and_queries(settings: Settings) -> tuple[StoreAccess, Queries]:
    """The store and what runs /sparql queries on it: a directory and its worker pool, or a remote server
    and RemoteQueries (a client's query bounded by EVKG_QUERY_TIMEOUT, the service's own reads by
    own_reads_timeout, within gunicorn's worker timeout)."""
    workers, timeout = settings.query_workers, settings.query_timeout
    if is_remote(settings.store):
        endpoints = replace(Endpoints.from_settings(settings), timeout=own_reads_timeout(timeout))
        live = RemoteLive(RemoteStore(endpoints))
        return live, RemoteQueries(live, workers, timeout)
    path = Path(settings.store)
    return LiveStore(path), QueryPool(path, workers, timeout, settings.query_workers_max)
