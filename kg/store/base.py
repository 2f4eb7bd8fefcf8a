"""The Store protocol: what the build, the reasoner, the reports and the CLI need of a store."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol, Self

import pyoxigraph as ox

from kg.errors import QueryError

QueryResult = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples
"""What a query gives back, from any store: rows (SELECT), a boolean (ASK) or triples (CONSTRUCT, DESCRIBE)."""


def solutions(result: QueryResult) -> ox.QuerySolutions:
    """A SELECT query's rows (QueryError for any other form of query)."""
    if not isinstance(result, ox.QuerySolutions):
        raise QueryError(f"expected a SELECT query's rows, not {type(result).__name__}")
    return result


def constructed(result: QueryResult) -> ox.QueryTriples:
    """A CONSTRUCT or DESCRIBE query's triples (QueryError for any other form of query)."""
    if not isinstance(result, ox.QueryTriples):
        raise QueryError(f"expected a CONSTRUCT or DESCRIBE query's triples, not {type(result).__name__}")
    return result


class Closing:
    """`with store:` closes the store when the block ends, however it ends."""

    def close(self) -> None:
        """Release what the store holds (files, connections)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
    ) -> QueryResult:
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

    def replace_graph(self, graph: str, triples: Iterable[ox.Triple]) -> None: ...

    def compact(self) -> None:
        """Reorganize storage for reading after a large write (nothing where the server does its own)."""
        ...

    def close(self) -> None:
        """Release what the store holds; `with store:` calls it at the end of the block."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...
