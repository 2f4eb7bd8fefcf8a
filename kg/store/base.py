"""The Store protocol: what the build, the reasoner, the reports and the CLI need of a store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox


class Store(Protocol):
    """What the build, the reasoner, the reports and the CLI need of a store (embedded or remote)."""

    def query(
        self,
        sparql: str,
        *,
        bindings: dict[str, Any] | None = None,
        union_default_graph: bool = True,
        base_iri: str | None = None,
        hints: bool = False,
    ) -> Any:
        """Run a query. `hints`: the query is one of the project's own, and the store may rewrite it
        into an equivalent one its engine plans better (kg.sparql.planner); never for a user's query."""
        ...

    def named_graphs(self) -> list[str]: ...

    def count(self, graph: str | None = None) -> int: ...

    def triples(self, graph: str) -> Iterator[ox.Triple]: ...

    def dump(self, fmt: str, *, graph: str | None = None) -> bytes: ...

    def dump_stream(self, fmt: str) -> Iterator[bytes]:
        """The whole dataset in an RDF format from RDF_FORMATS, as chunks (kg.store.dumps)."""
        ...

    def load_file(self, path: Path, *, graph: str | None, fmt: str | None = None) -> int: ...

    def load_bytes(self, data: bytes, *, graph: str, fmt: ox.RdfFormat = ox.RdfFormat.N_TRIPLES) -> None: ...

    def replace_graph(self, graph: str, triples: Any) -> None: ...

    def compact(self) -> None:
        """Reorganize storage for reading after a large write (nothing where the server does its own)."""
        ...
