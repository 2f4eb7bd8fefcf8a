"""The build: sources + vocabulary + ontology -> validated graphs -> a new store generation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyshacl import validate
from rdflib import Graph
from rdflib.namespace import SH

from kg.errors import Problem, SourceError
from kg.namespaces import Iris
from kg.queries import QueryRegistry
from kg.rdf import source_graph, vocabulary_graph
from kg.remote import Location, rewrite
from kg.results import short
from kg.sources import LoadedSource, load_sources
from kg.store import OxigraphStore, Store
from kg.terms import TermIndex, load_vocabulary

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Project:
    """Where the inputs of a build live, and the base IRI to mint under."""

    ontology: Path
    shapes: Path
    vocabulary: Path
    sources: Path
    queries: Path
    iris: Iris

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> Project:
        return cls(
            ontology=Path(settings["ontology"]),
            shapes=Path(settings["shapes"]),
            vocabulary=Path(settings["vocabulary"]),
            sources=Path(settings["sources"]),
            queries=Path(settings["queries"]),
            iris=Iris(settings["base"]),
        )


@dataclass(frozen=True)
class Finding:
    """Something wrong with well-formed input: a SHACL violation or a data check's row."""

    check: str
    focus: str
    message: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.focus}: {self.message}"


@dataclass
class Dataset:
    """The built graphs by graph IRI, with the sources and terms they came from."""

    graphs: dict[str, Graph]
    sources: list[LoadedSource]
    terms: TermIndex
    findings: list[Finding] = field(default_factory=list)

    @property
    def triples(self) -> int:
        return sum(len(g) for g in self.graphs.values())

    @property
    def claims(self) -> int:
        return sum(len(s.record.claims) for s in self.sources)


def parse_turtle(path: Path) -> Graph:
    """Parse an ontology or shapes file; a syntax error names the file."""
    try:
        return Graph().parse(path, format="turtle")
    except FileNotFoundError as exc:
        raise SourceError([Problem(path, None, "file not found")]) from exc
    except Exception as exc:  # rdflib raises several unrelated types for bad Turtle
        raise SourceError([Problem(path, None, f"not valid Turtle: {exc}")]) from exc


def assemble(project: Project, progress: Progress = lambda _: None) -> Dataset:
    """Load and validate every input and turn it into graphs (raises SourceError)."""
    progress(f"loading {project.vocabulary}")
    terms = load_vocabulary(project.vocabulary)
    progress(f"loading sources from {project.sources}/")
    sources = load_sources(project.sources, terms)
    iris = project.iris
    graphs = {
        str(iris.ontology_graph): parse_turtle(project.ontology),
        str(iris.vocabulary_graph): vocabulary_graph(iris, terms),
    }
    for loaded in sources:
        graphs[str(iris.source_graph(loaded.id))] = source_graph(iris, terms, loaded)
    progress(f"{len(sources)} sources, {sum(len(s.record.claims) for s in sources)} claims")
    return Dataset(graphs, sources, terms)


def shacl_findings(project: Project, dataset: Dataset) -> list[Finding]:
    """Validate the data graphs against the SHACL shapes (pySHACL), as findings."""
    data = Graph()
    ontology = str(project.iris.ontology_graph)
    for name, graph in dataset.graphs.items():
        if name != ontology:
            data += graph
    conforms, results, _ = validate(
        data,
        shacl_graph=parse_turtle(project.shapes),
        ont_graph=dataset.graphs[ontology],
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    if conforms:
        return []
    findings = []
    for result in results.subjects(SH.resultSeverity, SH.Violation):
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        message = results.value(result, SH.resultMessage)
        where = f" at {path}" if path is not None else ""
        findings.append(Finding("shacl", str(focus), f"{message}{where}"))
    return sorted(findings, key=str)


def fill(store: Store, dataset: Dataset) -> None:
    """Write every graph of the dataset into its own named graph of the store."""
    for name, graph in dataset.graphs.items():
        store.load_bytes(graph.serialize(format="nt", encoding="utf-8"), graph=name)


def check_findings(registry: QueryRegistry, store: Store) -> list[Finding]:
    """Run the data checks (queries named *-violation.rq): every row they return is a finding."""
    findings = []
    for query in registry.checks():
        solutions = store.query(query.text)
        names = [v.value for v in solutions.variables]
        for row in solutions:
            cells = {n: short(row[n]) for n in names if row[n] is not None}
            focus = cells.pop("focus", "") or next(iter(cells.values()), "")
            message = cells.pop("message", "") or ", ".join(f"{k}={v}" for k, v in cells.items())
            findings.append(Finding(query.name.rsplit("/", 1)[-1], focus, message))
    return findings


def check(project: Project, progress: Progress = lambda _: None, *, shapes: bool = True) -> Dataset:
    """Validate everything without touching the store; findings are listed on the dataset."""
    dataset = assemble(project, progress)
    if shapes:
        progress("validating against SHACL shapes")
        dataset.findings.extend(shacl_findings(project, dataset))
    scratch = OxigraphStore.in_memory()
    fill(scratch, dataset)
    progress("running data checks")
    dataset.findings.extend(check_findings(QueryRegistry(project.queries), scratch))
    return dataset


class BuildRejected(Exception):
    """The inputs are well-formed but break shapes or data checks; the store was not touched."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        super().__init__(f"{len(findings)} finding(s); the store was left as it was")


def build(
    project: Project, store_path: Location, progress: Progress = lambda _: None, *, shapes: bool = True
) -> Dataset:
    """Check, then write every graph and make them live together (a new generation, or staged remote graphs)."""
    dataset = check(project, progress, shapes=shapes)
    if dataset.findings:
        raise BuildRejected(dataset.findings)
    progress(f"writing {dataset.triples} triples to {store_path}")
    rewrite(store_path, lambda store: fill(store, dataset))
    return dataset
