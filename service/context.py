"""What the web service's blueprints need, built once per web process and passed in."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.audit import ConflictRecord, load_conflicts
from kg.errors import StoreError
from kg.namespaces import Iris
from kg.queries import QueryRegistry
from kg.store import CURRENT, OxigraphStore
from service.pool import QueryPool
from service.worker import LiveStore

SERVICE_QUERIES = Path(__file__).resolve().parent / "queries"
"""The queries the pages run (the stance matrix), one file each, with headers."""
REPORT = "reports/conflicts"
"""The query kg.audit.load_conflicts runs."""


def split_list(value: Any) -> tuple[str, ...]:
    """A comma-separated setting (or a list) as a tuple of non-empty items."""
    items = value.split(",") if isinstance(value, str) else list(value or ())
    return tuple(item.strip() for item in items if item.strip())


@dataclass
class Services:
    """The store (read-only), the query registries, the query pool and the settings."""

    settings: dict[str, Any]
    store: LiveStore
    registry: QueryRegistry
    pages: QueryRegistry
    pool: QueryPool
    iris: Iris
    _cache: dict[str, tuple[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def allowlist(self) -> tuple[str, ...]:
        return split_list(self.settings["service_allowlist"])

    @property
    def cors_origins(self) -> tuple[str, ...]:
        return split_list(self.settings["cors_origins"])

    def read(self) -> OxigraphStore:
        """The store for the service's own (bounded) queries, reopened after a rebuild."""
        with self._lock:
            return self.store.get()

    def close(self) -> None:
        """Stop the query workers and release the store (at web worker exit)."""
        self.pool.close()
        with self._lock:
            self.store.close()
        self._cache.clear()

    def generation(self) -> str:
        return str((self.store.path / CURRENT).resolve())

    def cached(self, key: str, compute: Callable[[OxigraphStore], Any]) -> Any:
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
        return self.cached("graphs", lambda store: {g: store.count(g) for g in store.named_graphs()})  # type: ignore[no-any-return]

    def conflicts(self) -> list[ConflictRecord]:
        """Every finding of the conflicts graph (conflicts and informational), most severe first."""
        return self.cached("conflicts", lambda store: load_conflicts(store, self.registry))  # type: ignore[no-any-return]


def build_services(settings: dict[str, Any], **given: Any) -> Services:
    """Services from settings; any of store, registry, pages, pool may be given (tests)."""
    path = Path(settings["store"])
    registry = given.get("registry") or QueryRegistry(Path(settings["queries"]))
    if REPORT not in registry.queries:
        raise StoreError(
            f"the queries directory {settings['queries']} has no {REPORT}.rq: run from the repository root "
            "or set EVKG_QUERIES to the queries/ directory"
        )
    return Services(
        settings=settings,
        store=given.get("store") or LiveStore(path),
        registry=registry,
        pages=given.get("pages") or QueryRegistry(SERVICE_QUERIES),
        pool=given.get("pool") or QueryPool(path, int(settings["query_workers"]), float(settings["query_timeout"])),
        iris=Iris(settings["base"]),
    )
