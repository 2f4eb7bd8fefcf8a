"""A remote store: any SPARQL 1.1 server, through the W3C protocols only (standard library HTTP).

Queries go to the SPARQL 1.1 Query endpoint, writes to the Update endpoint, whole named graphs
through the Graph Store HTTP Protocol. A graph is replaced by writing it to a fresh staging graph
first and then moving it over the old one in one update request (`MOVE <staging> TO <graph>`), so
a failure midway leaves the old graph readable and touches nothing else. A build's request also drops
the project's graphs (under `<base>graph/`) that it did not write, such as a removed source's.
HTTP, its limits and the repair of Virtuoso's answers are in kg.store.http; the SPARQL text in
kg.store.remote_sparql.
"""

from __future__ import annotations

import contextlib
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import QueryError, RdfInputError, StoreError
from kg.formats import RDF_FORMATS
from kg.namespaces import Iris
from kg.settings import Settings
from kg.store import dumps
from kg.store.base import Closing, QueryResult, Store, constructed, solutions
from kg.store.http import FORM, TIMEOUT, Http, RemoteFailed, form, portable_results
from kg.store.lock import DEFAULT_TIMEOUT, writer_lock
from kg.store.oxigraph import OxigraphStore, derive_generation, write_generation
from kg.store.remote_sparql import prepare, protocol_query, query_form

RESULTS_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
}
RDF_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}


def is_remote(location: str | Path) -> bool:
    """A store location naming a SPARQL endpoint (http:// or https://) rather than a directory."""
    return str(location).startswith(("http://", "https://"))


@dataclass(frozen=True)
class Endpoints:
    """Where a remote store answers: query, update and Graph Store endpoints, and the credentials."""

    query: str
    update: str
    graph_store: str
    user: str = ""
    password: str = ""
    scope: str = ""
    """The dataset: the named graphs whose IRI starts with this (the base), so a server's own graphs stay out."""
    timeout: float = TIMEOUT
    """Seconds one request may take, answer included."""

    @property
    def project_graphs(self) -> str:
        """The IRI every graph a build writes starts with (`<base>graph/`): the graphs a build owns."""
        return str(Iris(self.scope).graph("")) if self.scope else ""

    @classmethod
    def from_settings(cls, settings: Settings) -> Endpoints:
        """The endpoints and credentials the settings name (the update endpoint defaults to the query one)."""
        url = settings.store
        return cls(
            query=url,
            update=settings.store_update or url,
            graph_store=settings.store_graph_store,
            user=settings.store_user,
            password=settings.store_password,
            scope=settings.base,
        )


# ---------------------------------------------------------------- the store
class RemoteStore(Closing):
    """A SPARQL 1.1 server used as the store; same methods as OxigraphStore (the Store protocol)."""

    def __init__(self, endpoints: Endpoints) -> None:
        self.endpoints = endpoints
        self.http = Http({endpoints.query, endpoints.update, endpoints.graph_store}, endpoints.user, endpoints.password)
        self._dataset: list[str] | None = None
        self._pending: list[tuple[str, str | None]] | None = None
        """While staging: (graph, its staging graph, or None for an empty graph) to swap at the end."""

    def __str__(self) -> str:
        return self.endpoints.query

    # ---------------------------------------------------------------- reading
    def query(
        self,
        sparql: str,
        *,
        bindings: dict[str, Any] | None = None,
        union_default_graph: bool = True,
        base_iri: str | None = None,
        hints: bool = False,
    ) -> QueryResult:
        """Run a query on the server; results come back as pyoxigraph objects, as from OxigraphStore.
        The server gets the standard text: `hints` (kg.sparql.planner) are for the embedded engine only.

        The dataset is given in the protocol (kg.store.remote_sparql.protocol_query): the store's graphs (see
        `Endpoints.scope`) are the named graphs and, their union, the default graph; without
        `union_default_graph` the default graph is the store's own, which holds nothing on a remote store.
        """
        graphs = self.named_graphs()
        union = union_default_graph
        request = protocol_query(sparql, base_iri, (None, None), graphs, union_default_graph=union, bindings=bindings)
        return self.run(
            request.text, base_iri, default_graphs=request.default_graphs, named_graphs=request.named_graphs
        )

    def run(
        self,
        text: str,
        base_iri: str | None,
        *,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        timeout: float | None = None,
        limit: int | None = None,
    ) -> QueryResult:
        """Send a prepared query with its protocol dataset; the result as pyoxigraph objects.

        SELECT and ASK are asked as SPARQL JSON, CONSTRUCT and DESCRIBE as Turtle or N-Triples, and
        parsed here (Virtuoso's deviations repaired): the answer is taken whole or not at all.
        """
        graph = query_form(text) in ("CONSTRUCT", "DESCRIBE")
        accept = "text/turtle, application/n-triples;q=0.9" if graph else "application/sparql-results+json"
        body = form(query=text, default_graph_uri=list(default_graphs), named_graph_uri=list(named_graphs))
        media, answer = self.http.send(
            "POST",
            self.endpoints.query,
            body,
            timeout=timeout or self.endpoints.timeout,
            limit=limit,
            Content_Type=FORM,
            Accept=accept,
        )
        if graph:
            return as_query_triples(answer, _rdf_format(media), base_iri)
        if media not in RESULTS_TYPES:
            raise RemoteFailed(f"{self.endpoints.query} answered {media}, not SPARQL results")
        if media == "application/sparql-results+json":
            answer = portable_results(answer, base_iri)
        try:
            return ox.parse_query_results(answer, format=RESULTS_TYPES[media])
        except SyntaxError as exc:
            raise RemoteFailed(f"{self.endpoints.query} answered SPARQL results that do not parse: {exc}") from exc

    def named_graphs(self) -> list[str]:
        """The store's named graphs: those under the scope IRI (cached until the next write or `refresh`)."""
        if self._dataset is None:
            rows = solutions(self.run(prepare("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", None, None), None))
            names = (row["g"].value for row in rows if isinstance(row["g"], ox.NamedNode))
            self._dataset = sorted(g for g in names if g.startswith(self.endpoints.scope))
        return self._dataset

    def refresh(self) -> None:
        """Forget the cached list of graphs (another process may have written since)."""
        self._dataset = None

    def close(self) -> None:
        """Forget the cached list of graphs; no HTTP session to release: each request has its own
        connection (kg.store.http), so the store still answers after `close`."""
        self.refresh()

    def count(self, graph: str | None = None) -> int:
        """Number of triples, in one named graph or in all named graphs."""
        bindings = {"g": ox.NamedNode(graph)} if graph else None
        rows = list(solutions(self.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", bindings=bindings)))
        return int(rows[0]["n"].value) if rows else 0

    def triples(self, graph: str) -> Iterator[ox.Triple]:
        """The triples of one named graph (Graph Store GET, or a CONSTRUCT without a Graph Store)."""
        if not self.endpoints.graph_store:
            query = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
            return iter(constructed(self.query(query, bindings={"g": ox.NamedNode(graph)})))
        url = graph_url(self.endpoints.graph_store, graph)
        accept = "text/turtle, application/n-triples;q=0.9"
        media, body = self.http.send("GET", url, timeout=self.endpoints.timeout, Accept=accept)
        return iter(as_query_triples(body, _rdf_format(media), None))

    def dump_stream(self, fmt: str) -> Iterator[bytes]:
        """The project's named graphs, fetched one at a time and written chunk by chunk (kg.store.dumps)."""
        names = self.named_graphs()  # asked now, so that an unreachable server fails before the first byte
        return dumps.stream(((name, self.triples(name)) for name in names), RDF_FORMATS[fmt])

    def dump(self, fmt: str, *, graph: str | None = None) -> bytes:
        """Serialize the dataset (or one graph), fetched graph by graph into memory."""
        local = OxigraphStore.in_memory()
        for name in [graph] if graph else self.named_graphs():
            local.replace_graph(name, self.triples(name))
        return local.dump(fmt, graph=graph)

    # ---------------------------------------------------------------- writing
    def update(self, sparql: str) -> None:
        """Send a SPARQL 1.1 Update request (one request: atomic on a conforming server)."""
        self._dataset = None
        self.http.send("POST", self.endpoints.update, form(update=sparql), Content_Type=FORM)

    def load_bytes(self, data: bytes, *, graph: str, fmt: ox.RdfFormat = ox.RdfFormat.N_TRIPLES) -> None:
        """Replace one named graph with serialized triples: staged, then moved over the old graph."""
        with self.staging():
            self._stage(graph, data, fmt)

    def compact(self) -> None:
        """Nothing to do: the server organizes its own storage."""

    def replace_graph(self, graph: str, triples: Iterable[ox.Triple]) -> None:
        """Replace one named graph with pyoxigraph triples (staged, then moved)."""
        data = ox.serialize(
            (ox.Triple(t.subject, t.predicate, t.object) for t in triples), format=ox.RdfFormat.N_TRIPLES
        )
        self.load_bytes(data or b"", graph=graph)

    def load_file(self, path: Path, *, graph: str | None, fmt: str | None = None) -> int:
        """Add an RDF file to the store in one update request (all of it or nothing); return triples read."""
        rdf_format = RDF_FORMATS[fmt] if fmt else ox.RdfFormat.from_extension(path.suffix.lstrip("."))
        if rdf_format is None:
            raise RdfInputError(f"{path}: unknown RDF file extension {path.suffix!r}; pass --format")
        if graph is not None and rdf_format.supports_datasets:
            raise RdfInputError(f"{path}: a dataset format ({path.suffix}) keeps its own graph names; drop --graph")
        by_graph = read_by_graph(path, rdf_format, graph)
        outside = sorted(str(g) for g in by_graph if not (g or "").startswith(self.endpoints.scope))
        if outside:
            raise RdfInputError(
                f"{path}: a remote store holds only graphs under <{self.endpoints.scope}> (the base IRI); "
                f"cannot load into {', '.join(f'<{g}>' if g != 'None' else 'the default graph' for g in outside)}. "
                "Pass --graph with an IRI under the base"
            )
        staged: list[tuple[str, str | None]] = []
        try:
            for target, data in by_graph.items():
                staged.append((self._upload(data), target))
            adds = [f"ADD <{tmp}> TO {f'<{target}>' if target else 'DEFAULT'}" for tmp, target in staged]
            if adds:
                self.update(";\n".join(adds))
        finally:
            self._drop([tmp for tmp, _ in staged])
        return sum(data.count(b"\n") for data in by_graph.values())

    @contextlib.contextmanager
    def staging(self, *, replace_all: bool = False) -> Iterator[RemoteStore]:
        """Graphs written inside become live together, in one update request, when the block ends.

        With `replace_all` (a build), that request also drops every graph of the project (under
        `Endpoints.project_graphs`) that the block did not write, and touches nothing else.
        """
        if self._pending is not None:
            yield self
            return
        self._pending = []
        try:
            yield self
            swaps = [swap(tmp, graph) for graph, tmp in self._pending]
            stale = self._unwritten() if replace_all else []
            self.update(";\n".join([*swaps, *(f"DROP SILENT GRAPH <{g}>" for g in stale)]))
        except BaseException:
            self._drop([tmp for _, tmp in self._pending if tmp])
            raise
        finally:
            self._pending = None

    def _unwritten(self) -> list[str]:
        """The project's graphs on the server that the staging block did not write."""
        assert self._pending is not None
        written = {graph for graph, _ in self._pending}
        self.refresh()
        prefix = self.endpoints.project_graphs
        return [g for g in self.named_graphs() if prefix and g.startswith(prefix) and g not in written]

    def _stage(self, graph: str, data: bytes, fmt: ox.RdfFormat) -> None:
        assert self._pending is not None
        if not data.strip():
            self._pending.append((graph, None))
            return
        self._pending.append((graph, self._upload(data, fmt)))

    def _upload(self, data: bytes, fmt: ox.RdfFormat = ox.RdfFormat.N_TRIPLES) -> str:
        """Write data into a fresh staging graph (dropped again if that fails); return its IRI."""
        tmp = f"urn:uuid:{uuid.uuid4()}"
        try:
            if self.endpoints.graph_store:
                url = graph_url(self.endpoints.graph_store, tmp)
                self.http.send("PUT", url, data, Content_Type=fmt.media_type)
            else:
                self.update(insert_data(tmp, data, fmt))
        except BaseException:
            self._drop([tmp])
            raise
        return tmp

    def _drop(self, graphs: list[str]) -> None:
        with contextlib.suppress(StoreError, QueryError):
            if graphs:
                self.update(";\n".join(f"DROP SILENT GRAPH <{g}>" for g in graphs))


def swap(tmp: str | None, graph: str) -> str:
    """The update that makes a staged graph live: MOVE replaces the target (an empty graph: DROP)."""
    return f"MOVE <{tmp}> TO <{graph}>" if tmp else f"DROP SILENT GRAPH <{graph}>"


def graph_url(endpoint: str, graph: str) -> str:
    """The Graph Store Protocol URL of a named graph (indirect identification, `?graph=`)."""
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urllib.parse.urlencode({'graph': graph})}"


def insert_data(graph: str, data: bytes, fmt: ox.RdfFormat) -> str:
    """INSERT DATA for a graph, from any RDF serialization (reserialized as N-Triples, valid SPARQL)."""
    triples = ox.serialize(
        (ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(data, format=fmt)),
        format=ox.RdfFormat.N_TRIPLES,
    )
    return f"INSERT DATA {{ GRAPH <{graph}> {{\n{(triples or b'').decode()}\n}} }}"


def read_by_graph(path: Path, rdf_format: ox.RdfFormat, graph: str | None) -> dict[str | None, bytes]:
    """Parse an RDF file locally (a syntax error names the file): N-Triples per target graph."""
    groups: dict[str | None, list[ox.Triple]] = {}
    try:
        for quad in ox.parse(path=str(path), format=rdf_format, base_iri=path.resolve().as_uri()):
            name = graph or (quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else None)
            groups.setdefault(name, []).append(ox.Triple(quad.subject, quad.predicate, quad.object))
    except SyntaxError as exc:
        raise RdfInputError(f"{path}: not valid {rdf_format.name}: {exc}") from exc
    except OSError as exc:
        raise RdfInputError(f"{path}: cannot read: {exc}") from exc
    return {name: ox.serialize(ts, format=ox.RdfFormat.N_TRIPLES) or b"" for name, ts in groups.items()}


def as_query_triples(body: bytes, fmt: ox.RdfFormat, base_iri: str | None) -> ox.QueryTriples:
    """A server's RDF answer as a pyoxigraph QueryTriples (through a scratch in-memory store)."""
    scratch = ox.Store()
    try:
        scratch.load(body, format=fmt, base_iri=base_iri)
    except SyntaxError as exc:
        raise RemoteFailed(f"the store answered RDF that does not parse: {exc}") from exc
    return constructed(scratch.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"))


def _rdf_format(media: str) -> ox.RdfFormat:
    if media not in RDF_TYPES:
        raise RemoteFailed(f"the store answered {media}, not an RDF format")
    return RDF_TYPES[media]


# ---------------------------------------------------------------- locations
Location = Path | RemoteStore


def location(settings: Settings) -> Location:
    """The configured store: a RemoteStore for an http(s) URL, else the store directory's path."""
    return RemoteStore(Endpoints.from_settings(settings)) if is_remote(settings.store) else Path(settings.store)


def open_location(where: Location, *, read_only: bool = False) -> Store:
    """A store location, opened: a directory's live generation, or the remote server itself."""
    return where if isinstance(where, RemoteStore) else OxigraphStore.open(where, read_only=read_only)


def open_store(settings: Settings, *, read_only: bool = False) -> Store:
    """The configured store, opened."""
    return open_location(location(settings), read_only=read_only)


def writing(where: Location, command: str, timeout: float = DEFAULT_TIMEOUT) -> AbstractContextManager[None]:
    """The store's writer lock for a whole command (read, then write); a remote store has none."""
    return nullcontext() if isinstance(where, RemoteStore) else writer_lock(where, command, timeout)


def rewrite(where: Location, fill: Callable[[Store], None]) -> None:
    """Write graphs with `fill` so that they become live together and replace the store's graphs: a new
    generation, or (remote) staged graphs moved live in one request that also drops the project's
    graphs `fill` did not write."""
    if isinstance(where, RemoteStore):
        with where.staging(replace_all=True):
            fill(where)
    else:
        write_generation(where, fill)


def derive(where: Location, change: Callable[[Store], None]) -> None:
    """Change graphs of the live store: a derived generation, or (remote) each graph replaced by a move."""
    if isinstance(where, RemoteStore):
        change(where)
    else:
        derive_generation(where, change)
