"""The W3C SPARQL 1.1 test manifests (mf:, qt:, dawgt:) read with rdflib into plain test cases.

IRIs in the manifests are relative (`<agg01.rq>`), so they resolve against the manifest file's own
`file://` IRI: a test's data files, its named graphs' names and its query's base IRI are all the
`file://` IRIs of the copied files, the same ones `evkg load` uses as base IRIs when it reads them.
"""

from __future__ import annotations

import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, Namespace

SUITE = Path(__file__).resolve().parent
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
DAWGT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#")

QUERY_DIRECTORIES = (
    "aggregates",
    "bind",
    "bindings",
    "cast",
    "construct",
    "exists",
    "functions",
    "grouping",
    "negation",
    "project-expression",
    "property-path",
    "subquery",
    "json-res",
)
"""The query-evaluation directories the conformance target covers (the issue's list)."""

REFUSED_APPROVALS = ("Withdrawn", "Rejected", "Obsoleted")
"""dawgt:approval values whose tests are not run. Tests with no approval or `Proposed` are run:
the later additions of the rdf-tests community group carry no approval at all, and the target
(229 tests) counts them. No test in the copied directories is withdrawn, rejected or obsoleted."""


@dataclass(frozen=True)
class QueryCase:
    """One mf:QueryEvaluationTest: query, default-graph data, named graphs, expected result."""

    id: str
    name: str
    query: Path
    data: tuple[Path, ...]
    graph_data: tuple[tuple[str, Path], ...]
    result: Path
    approval: str

    @property
    def directory(self) -> str:
        return self.id.split("/")[0]

    @property
    def base_iri(self) -> str:
        """The query's base IRI: its file's IRI, as the manifest names it."""
        return self.query.as_uri()


def to_path(iri: rdflib.term.Node | None) -> Path:
    """A file:// IRI from a manifest as a local path."""
    if iri is None:
        raise ValueError("the manifest leaves out a file the test needs")
    parsed = urllib.parse.urlparse(str(iri))
    if parsed.scheme != "file":
        raise ValueError(f"the manifest names {iri}, not a local file")
    return Path(urllib.request.url2pathname(parsed.path))


def local_name(node: rdflib.term.Node) -> str:
    return str(node).rsplit("#", 1)[-1]


def read_manifest(directory: str, suite: Path = SUITE) -> tuple[rdflib.Graph, list[rdflib.term.Node]]:
    """A directory's manifest graph and its mf:entries, in order."""
    graph = rdflib.Graph().parse(suite / directory / "manifest.ttl", format="turtle")
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    entries = graph.value(manifest, MF.entries)
    assert entries is not None, f"{directory}/manifest.ttl has no mf:entries"
    return graph, list(Collection(graph, entries))


def query_cases(directories: tuple[str, ...] = QUERY_DIRECTORIES, suite: Path = SUITE) -> list[QueryCase]:
    """Every query-evaluation test of the directories, in manifest order (refused approvals left out)."""
    cases = []
    for directory in directories:
        graph, entries = read_manifest(directory, suite)
        for test in entries:
            if graph.value(test, RDF.type) != MF.QueryEvaluationTest:
                continue
            approval = local_name(graph.value(test, DAWGT.approval) or DAWGT.NotClassified)
            if approval in REFUSED_APPROVALS:
                continue
            cases.append(_case(graph, test, directory, approval))
    return cases


def _case(graph: rdflib.Graph, test: rdflib.term.Node, directory: str, approval: str) -> QueryCase:
    action = graph.value(test, MF.action)
    named = sorted((str(g), to_path(g)) for g in graph.objects(action, QT.graphData))
    return QueryCase(
        id=f"{directory}/{local_name(test)}",
        name=str(graph.value(test, MF.name) or ""),
        query=to_path(graph.value(action, QT.query)),
        data=tuple(sorted(to_path(d) for d in graph.objects(action, QT.data))),
        graph_data=tuple(named),
        result=to_path(graph.value(test, MF.result)),
        approval=approval,
    )
