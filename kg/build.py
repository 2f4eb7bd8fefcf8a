"""The build: sources + vocabulary + ontology -> validated graphs -> a new store generation.

The graphs stream: each source file is read, checked, written as N-Triples text and handed to the
store's bulk loader and to the validators before the next file is read, so memory stays bounded
by one file plus the small cross-file indexes (terms, source ids) at any corpus size.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph as RdfGraph

from kg.checks import DataChecks, ShapeChecks, shacl_violations
from kg.errors import Problem, SourceError
from kg.project import Finding, Project
from kg.rdf.ntriples import Graph
from kg.rdf.writer import Writer
from kg.sources.loader import LoadedSource, SourceStream
from kg.sources.locations import Locator
from kg.sources.terms import TermIndex, load_vocabulary
from kg.sparql.queries import QueryRegistry
from kg.store.base import Store
from kg.store.oxigraph import graph_loader
from kg.store.remote import Location, rewrite, writing

Progress = Callable[[str], None]
Sink = Callable[[Graph, bytes], None]
"""Takes one graph and its N-Quads (the store's loader while building)."""

__all__ = ["BuildRejected", "Dataset", "Finding", "Project", "Summary", "assemble", "build", "check"]


@dataclass
class Summary:
    """What a check or a build went through: triples per graph, the source ids, claims, findings."""

    graphs: dict[str, int] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    claims: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def triples(self) -> int:
        return sum(self.graphs.values())


@dataclass
class Dataset:
    """Every graph in memory as rdflib, with the sources and terms they came from (tests, small folders)."""

    graphs: dict[str, RdfGraph]
    sources: list[LoadedSource]
    terms: TermIndex
    findings: list[Finding] = field(default_factory=list)

    @property
    def triples(self) -> int:
        return sum(len(g) for g in self.graphs.values())

    @property
    def claims(self) -> int:
        return sum(len(s.record.claims) for s in self.sources)


def parse_turtle(path: Path) -> RdfGraph:
    """Parse an ontology or shapes file with rdflib; a syntax error names the file."""
    try:
        return RdfGraph().parse(path, format="turtle")
    except FileNotFoundError as exc:
        raise SourceError([Problem(path, None, "file not found")]) from exc
    except Exception as exc:  # rdflib raises several unrelated types for bad Turtle
        raise SourceError([Problem(path, None, f"not valid Turtle: {exc}")]) from exc


def ontology_graph(path: Path, name: str) -> Graph:
    """The ontology file (Turtle) as a graph of N-Triples lines; a syntax error names the file and line."""
    try:
        triples = ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri())
        graph = Graph(name)
        for triple in triples:
            graph.add(str(triple.subject), str(triple.predicate), str(triple.object))
    except FileNotFoundError as exc:
        raise SourceError([Problem(path, None, "file not found")]) from exc
    except SyntaxError as exc:
        raise SourceError([Problem(path, exc.lineno, f"not valid Turtle: {exc.msg}")]) from exc
    except OSError as exc:
        raise SourceError([Problem(path, None, f"cannot read: {exc}")]) from exc
    return graph


class Compilation:
    """The graphs of a project, made one at a time: ontology, vocabulary, then one per source file."""

    def __init__(self, project: Project, progress: Progress) -> None:
        progress(f"loading {project.vocabulary}")
        self.vocabulary = load_vocabulary(project.vocabulary)
        progress(f"loading sources from {project.sources}/")
        self.stream = SourceStream(project.sources, self.vocabulary)
        self.writer = Writer(project.iris, self.stream.terms)
        self.ontology = ontology_graph(project.ontology, str(project.iris.ontology_graph))
        self.terms = self.writer.vocabulary(entry.term for entry in self.vocabulary)

    def locator(self) -> Locator:
        """Where each claim, term and source of this compilation was written."""
        return Locator(self.writer.mint.base, self.stream.ids, self.stream.terms)

    def context(self) -> bytes:
        """What every validation batch needs: ontology, vocabulary, and the terms declared in source files."""
        declared = self.writer.declared_terms(self.stream.terms, self.stream.declaring)
        return b"".join(graph.nquads() for graph in [self.ontology, self.terms, *declared])

    def sources(self) -> Iterator[tuple[LoadedSource, Graph, bytes]]:
        """Each valid source with its graph and N-Quads; after the first broken file only checks the rest.

        Raises one SourceError with every problem once all files were read.
        """
        for loaded in self.stream:
            if self.stream.problems:
                continue
            try:
                graph = self.writer.source(loaded)
                data = graph.nquads()
            except ValueError as exc:  # a code that makes no IRI, text that is not valid Unicode
                self.stream.problems.append(Problem(loaded.path, None, f"cannot write as RDF: {exc}"))
                continue
            yield loaded, graph, data
        self.stream.finish()


def stream(project: Project, sink: Sink | None, progress: Progress, *, shapes: bool) -> Summary:
    """Make every graph, validate it (data checks; shapes unless told not to), hand it to `sink`."""
    compilation = Compilation(project, progress)
    summary = Summary()
    checks = DataChecks(QueryRegistry(project.queries).checks(), compilation.context())
    shacl = ShapeChecks(parse_turtle(project.shapes), parse_turtle(project.ontology)) if shapes else None
    with _stopping(checks):
        # the ontology and the vocabulary are in every check batch's context; shapes see the ontology anyway
        _take(summary, compilation.ontology, compilation.ontology.nquads(), sink, None, None)
        _take(summary, compilation.terms, compilation.terms.nquads(), sink, None, shacl)
        for loaded, graph, data in compilation.sources():
            summary.sources.append(loaded.id)
            summary.claims += len(loaded.record.claims)
            _take(summary, graph, data, sink, checks, shacl)
        progress(f"{len(summary.sources)} sources, {summary.claims} claims, {summary.triples} triples; running checks")
        summary.findings.extend(shacl.close() if shacl else [])
        summary.findings.extend(checks.close())
    summary.findings = compilation.locator().locate(summary.findings)
    return summary


def _take(
    summary: Summary, graph: Graph, data: bytes, sink: Sink | None, checks: DataChecks | None, shacl: ShapeChecks | None
) -> None:
    summary.graphs[graph.name] = len(graph)
    if sink is not None:
        sink(graph, data)
    if checks is not None:
        checks.add(data, len(graph))
    if shacl is not None:
        shacl.add(graph.ntriples(), len(graph))


@contextlib.contextmanager
def _stopping(checks: DataChecks) -> Iterator[None]:
    """Stop the checking thread when the stream fails."""
    try:
        yield
    except BaseException:
        checks.abort()
        raise


def check(project: Project, progress: Progress = lambda _: None, *, shapes: bool = True) -> Summary:
    """Validate everything without touching the store; findings are listed on the summary."""
    return stream(project, None, progress, shapes=shapes)


class BuildRejected(Exception):
    """The inputs are well-formed but break shapes or data checks; the store was not touched."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        super().__init__(f"{len(findings)} finding(s); the store was left as it was")


def build(
    project: Project, store_path: Location, progress: Progress = lambda _: None, *, shapes: bool = True
) -> Summary:
    """Stream, validate and write every graph; they become live together (a new generation, or staged remote graphs).

    A malformed file (SourceError) or a finding (BuildRejected) discards what was written.
    """
    result: list[Summary] = []

    def fill(store: Store) -> None:
        progress(f"streaming graphs into {store_path}")
        with graph_loader(store) as load:
            summary = stream(project, load, progress, shapes=shapes)
            if summary.findings:
                raise BuildRejected(summary.findings)
        result.append(summary)

    with writing(store_path, "evkg build"):
        rewrite(store_path, fill)
    return result[0]


def assemble(project: Project, progress: Progress = lambda _: None) -> Dataset:
    """Load and validate every input and turn it into rdflib graphs in memory (tests, small folders)."""
    compilation = Compilation(project, progress)
    graphs = {str(project.iris.ontology_graph): parse_turtle(project.ontology)}
    graphs[compilation.terms.name] = RdfGraph().parse(data=compilation.terms.ntriples(), format="nt")
    sources = []
    for loaded, graph, _ in compilation.sources():
        sources.append(loaded)
        graphs[graph.name] = RdfGraph().parse(data=graph.ntriples(), format="nt")
    return Dataset(graphs, sources, compilation.vocabulary)


def shacl_findings(project: Project, dataset: Dataset) -> list[Finding]:
    """Validate an in-memory dataset's data graphs against the SHACL shapes (pySHACL), as findings."""
    ontology = str(project.iris.ontology_graph)
    data = RdfGraph()
    for name, graph in dataset.graphs.items():
        if name != ontology:
            data += graph
    return shacl_violations(data, parse_turtle(project.shapes), dataset.graphs[ontology])
