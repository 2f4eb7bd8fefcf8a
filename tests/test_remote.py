"""The remote store: SPARQL text preparation and a request's dataset (no server), then the whole
pipeline on a real Virtuoso.

The `virtuoso` tests build the seeds into a private Virtuoso (tests/virtuoso_server.py) with `evkg build
--store http://...`, reason there, and compare graphs (isomorphism) and conflict findings with the
embedded store; they pin where Virtuoso deviates from the standard, and check that a build replaces
exactly the project's graphs. The service on a remote store is tested in tests/test_service_remote.py.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result
from rdflib.compare import isomorphic
from virtuoso_server import VirtuosoServer, as_rdflib

from kg.audit import ConflictRecord, load_conflicts
from kg.build import build
from kg.cli import main
from kg.errors import QueryError, StoreError
from kg.project import Project
from kg.settings import load_settings
from kg.sparql.queries import QueryRegistry
from kg.store.http import portable_results
from kg.store.oxigraph import OxigraphStore
from kg.store.remote import RemoteStore, is_remote, location
from kg.store.remote_sparql import NO_GRAPH, bind_values, prepare, protocol_query, query_form

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- without a server
def test_a_url_is_a_remote_store_and_a_path_is_not() -> None:
    assert is_remote("http://127.0.0.1:8890/sparql") and is_remote("https://example.org/sparql")
    assert not is_remote("var/store") and not is_remote(Path("/tmp/http:/x"))


def test_bindings_become_a_values_block_at_the_start_of_the_where_group() -> None:
    text = 'PREFIX ex: <http://x#> # WHERE {\nCONSTRUCT { ?s ex:p "WHERE {" } WHERE { ?s ?p ?o }'
    bound = bind_values(text, {"s": ox.NamedNode("http://a/b")})
    assert bound.endswith("WHERE { VALUES (?s) { (<http://a/b>) }  ?s ?p ?o }")
    assert bind_values("ASK { ?s ?p ?o }", {"o": ox.Literal("1")}).startswith('ASK { VALUES (?o) { ("1") }')


def test_bound_values_are_serialized_terms_never_formatted_text() -> None:
    hostile = ox.Literal('x") } } ; DROP ALL ; #\n')
    text = prepare("SELECT ?s WHERE { ?s ?p ?o }", {"o": hostile}, None)
    assert 'VALUES (?o) { ("x\\") } } ; DROP ALL ; #\\n") }' in text
    with pytest.raises(QueryError, match="variable name"):
        bind_values("SELECT * { ?s ?p ?o }", {"o) } DROP ALL #": ox.Literal("x")})
    with pytest.raises(QueryError, match="only IRIs and literals"):
        bind_values("SELECT * { ?s ?p ?o }", {"o": ox.BlankNode()})
    with pytest.raises(ValueError):
        ox.NamedNode("http://x/> } DROP ALL #")  # pyoxigraph validates IRIs before they get here


def test_prepare_adds_undeclared_prefixes_and_the_base() -> None:
    text = prepare("PREFIX evkg: <http://other#>\nSELECT * { ?s a evkg:X }", None, "https://w3id.org/evidencekg/")
    assert "PREFIX evkg: <https://w3id.org" not in text and "PREFIX rdfs: <" in text
    assert "BASE <https://w3id.org/evidencekg/>" in text and query_form(text) == "SELECT"


# ---------------------------------------------------------------- on a private Virtuoso
def evkg_remote(server: VirtuosoServer, *args: object) -> Result:
    """The `evkg` command line in-process, pointed at the Virtuoso server through EVKG_* settings."""
    env = {"EVKG_SOURCES": None, "EVKG_BASE": None, **server.settings}
    runner = CliRunner()
    return runner.invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


@pytest.fixture(scope="module")
def remote(virtuoso: VirtuosoServer, virtuoso_seeds: str, monkeypatch_module: pytest.MonkeyPatch) -> RemoteStore:
    """The seeds built and reasoned into Virtuoso through the command line, once per session
    (`virtuoso_seeds`, tests/conftest.py); a test that adds a graph there removes it."""
    monkeypatch_module.chdir(ROOT)
    store = location(load_settings(environ=virtuoso.settings))
    assert isinstance(store, RemoteStore) and str(store) == virtuoso_seeds
    return store


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def embedded(reasoned_seeds: OxigraphStore) -> OxigraphStore:
    """The same seeds, reasoned in the embedded store."""
    return reasoned_seeds


XSD = "http://www.w3.org/2001/XMLSchema#"


def findings(records: list[ConflictRecord]) -> set[tuple[str, str, str, frozenset[str]]]:
    return {(r.id, r.type, r.status, frozenset(f"{c.source}.{c.id}" for c in r.claims)) for r in records}


@pytest.mark.virtuoso
def test_the_build_writes_the_same_source_graphs(remote: RemoteStore, embedded: OxigraphStore) -> None:
    built = [g for g in embedded.named_graphs() if not g.endswith(("/graph/inferred", "/graph/conflicts"))]
    assert set(built) <= set(remote.named_graphs())
    for graph in built:
        assert isomorphic(as_rdflib(remote.triples(graph)), as_rdflib(embedded.triples(graph))), graph


@pytest.mark.virtuoso
def test_the_conflict_rules_find_the_same_in_virtuoso(
    remote: RemoteStore, embedded: OxigraphStore, project: Project
) -> None:
    registry = QueryRegistry(project.queries)
    here, there = load_conflicts(embedded, registry), load_conflicts(remote, registry)
    assert any(r.type == "explained-by-context" for r in here), "the seeds have pairs explained by context"
    assert findings(there) == findings(here)
    assert len(here) >= 3 and {r.type for r in here} >= {"first-line-conflict", "qualification"}


@pytest.mark.virtuoso
def test_virtuoso_leaves_relative_iris_unresolved_and_the_adapter_resolves_them(
    virtuoso: VirtuosoServer, remote: RemoteStore
) -> None:
    """Pinned deviation: Virtuoso's IRI("id/x") ignores BASE and emits <id/x>; parsing with the base fixes it."""
    query = 'CONSTRUCT { ?c a <http://example.org/T> } WHERE { BIND (IRI(CONCAT("id/", "x")) AS ?c) }'
    assert b"<id/>" in raw_turtle(virtuoso, "BASE <https://w3id.org/evidencekg/> " + query)
    [triple] = list(remote.query(query, base_iri="https://w3id.org/evidencekg/"))
    assert triple.subject == ox.NamedNode("https://w3id.org/evidencekg/id/x")


@pytest.mark.virtuoso
def test_virtuoso_blank_node_labels_are_made_portable(virtuoso: VirtuosoServer, remote: RemoteStore) -> None:
    """Pinned deviation: Virtuoso's SPARQL JSON labels blank nodes `nodeID://b1`, which pyoxigraph rejects."""
    rows = list(remote.query("SELECT ?r WHERE { ?c owl:someValuesFrom ?x . ?y rdfs:subClassOf ?r FILTER isBlank(?r) }"))
    assert rows and all(isinstance(row["r"], ox.BlankNode) for row in rows)


@pytest.mark.virtuoso
def test_virtuoso_stores_whole_decimals_as_integers(remote: RemoteStore) -> None:
    """Pinned deviation: `"1.0"^^xsd:decimal` comes back as `"1"^^xsd:integer` (same value, other datatype)."""
    graph = "https://w3id.org/evidencekg/graph/decimals"
    remote.load_bytes(f'<http://example.org/a> <http://example.org/v> "1.0"^^<{XSD}decimal> .\n'.encode(), graph=graph)
    [triple] = list(remote.triples(graph))
    assert triple.object == ox.Literal("1", datatype=ox.NamedNode(XSD + "integer"))
    with pytest.raises(StoreError, match="has not been explicitly created"):  # pinned: why the adapter says SILENT
        remote.update(f"DROP GRAPH <{graph}>")
    remote.update(f"DROP SILENT GRAPH <{graph}>")
    assert graph not in remote.named_graphs()


def raw_turtle(server: VirtuosoServer, query: str) -> bytes:
    request = urllib.request.Request(
        f"{server.http}/sparql",
        data=urllib.parse.urlencode({"query": query}).encode(),
        headers={"Accept": "text/turtle"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return bytes(response.read())


@pytest.mark.virtuoso
def test_a_named_query_runs_remotely_with_a_bound_parameter(virtuoso: VirtuosoServer, remote: RemoteStore) -> None:
    args = ("query", "claims-with-quotes", "--param", "source=livestrong-back-spasm", "--format", "csv")
    result = evkg_remote(virtuoso, *args)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and {row["source"] for row in rows} == {"https://w3id.org/evidencekg/id/source/livestrong-back-spasm"}


@pytest.mark.virtuoso
def test_a_failed_build_leaves_the_old_graphs_and_no_staging_graphs(
    remote: RemoteStore, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = {g: remote.count(g) for g in remote.named_graphs()}
    calls = []

    def failing_upload(self: RemoteStore, data: bytes, fmt: ox.RdfFormat = ox.RdfFormat.N_TRIPLES) -> str:
        calls.append(1)
        if len(calls) == 3:
            raise OSError("network down in the middle of the build")
        return original(self, data, fmt)

    original = RemoteStore._upload
    monkeypatch.setattr(RemoteStore, "_upload", failing_upload)
    with pytest.raises(OSError, match="network down"):
        build(project, remote, shapes=False)
    assert {g: remote.count(g) for g in remote.named_graphs()} == before


@pytest.mark.virtuoso
def test_export_and_load_work_on_the_remote_store(
    virtuoso: VirtuosoServer, remote: RemoteStore, tmp_path: Path
) -> None:
    exported = evkg_remote(virtuoso, "export", "--format", "nquads")
    assert exported.exit_code == 0
    graphs = {q.graph_name.value for q in ox.parse(exported.stdout_bytes, format=ox.RdfFormat.N_QUADS)}
    assert {"https://w3id.org/evidencekg/graph/ontology", "https://w3id.org/evidencekg/graph/conflicts"} <= graphs
    extra = tmp_path / "extra.ttl"
    extra.write_text('<http://example.org/a> <http://example.org/p> "é ☃"@fr .\n')
    loaded = evkg_remote(virtuoso, "load", extra, "--graph", "https://w3id.org/evidencekg/graph/extra")
    try:
        assert loaded.exit_code == 0, loaded.output
        assert [t.object for t in remote.triples("https://w3id.org/evidencekg/graph/extra")] == [
            ox.Literal("é ☃", language="fr")
        ]
    finally:  # the session's other tests count the project's graphs
        remote.update("DROP SILENT GRAPH <https://w3id.org/evidencekg/graph/extra>")


# ---------------------------------------------------------------- the dataset of a protocol request (no server)
def test_the_prologue_is_reordered_with_base_first_and_prefixes_resolved_where_they_stood() -> None:
    text = prepare(
        "PREFIX a: <x/>\nBASE <http://e.org/b/>\nPREFIX c: <y>\nSELECT * { ?s a:p c:q }", None, "http://svc/"
    )
    first, *rest = text.split("\n")
    assert first.startswith(
        "BASE <http://e.org/b/> PREFIX a: <http://svc/x/> PREFIX c: <http://e.org/b/y> PREFIX evkg:"
    )
    assert rest == ["", "", "SELECT * { ?s a:p c:q }"]  # the body stays on its line: server messages name it


def test_from_clauses_go_to_the_protocol_and_graphs_outside_the_dataset_match_nothing() -> None:
    graphs = ["https://s/graph/a", "https://s/graph/b"]
    text = (
        "PREFIX g: <https://s/graph/> SELECT * FROM g:a FROM NAMED <https://s/graph/b> "
        "WHERE { ?s ?p 'FROM <x>' GRAPH g:b { ?s ?p ?o } GRAPH <http://elsewhere/> { ?s ?p ?o . } }"
    )
    sent = protocol_query(text, None, (None, None), graphs)
    assert (sent.default_graphs, sent.named_graphs) == (("https://s/graph/a",), ("https://s/graph/b",))
    assert "FROM g:a" not in sent.text and "FROM NAMED" not in sent.text and "'FROM <x>'" in sent.text
    assert "GRAPH g:b { ?s ?p ?o }" in sent.text and "{ ?s ?p ?o .  FILTER(false) }" in sent.text
    assert "http://elsewhere/" not in sent.text


def test_the_protocol_dataset_wins_and_an_empty_list_is_sent_as_no_graph() -> None:
    graphs = ["https://s/graph/a"]
    text = "SELECT * FROM <https://s/graph/a> WHERE { ?s ?p ?o }"
    sent = protocol_query(text, None, (("https://s/graph/a", "https://s/graph/none"), None), graphs)
    assert (sent.default_graphs, sent.named_graphs) == (("https://s/graph/a",), (NO_GRAPH,))
    store_default = protocol_query("ASK {}", None, (None, None), graphs, union_default_graph=False)
    assert (store_default.default_graphs, store_default.named_graphs) == ((NO_GRAPH,), ("https://s/graph/a",))
    assert protocol_query("ASK {}", None, (None, None), graphs).default_graphs == ("https://s/graph/a",)


def test_virtuoso_results_are_repaired_before_parsing() -> None:
    answer = {
        "head": {"vars": ["_star_fake"]},
        "results": {"bindings": [{"_star_fake": {"type": "typed-literal", "datatype": XSD + "integer", "value": "1"}}]},
    }
    assert json.loads(portable_results(json.dumps(answer).encode())) == {
        "head": {"vars": []},
        "results": {"bindings": [{}]},
    }
    relative = {
        "head": {"vars": ["i", "b"]},
        "results": {"bindings": [{"i": {"type": "uri", "value": "x"}, "b": {"type": "bnode", "value": "nodeID://b1"}}]},
    }
    [row] = ox.parse_query_results(
        portable_results(json.dumps(relative).encode(), "http://e.org/a/"), format=ox.QueryResultsFormat.JSON
    )
    assert row["i"] == ox.NamedNode("http://e.org/a/x") and isinstance(row["b"], ox.BlankNode)


# ---------------------------------------------------------------- a build replaces exactly the project's graphs
STALE_BASE = "https://example.org/evkg-stale/"


@pytest.mark.virtuoso
def test_a_build_drops_the_graphs_of_removed_sources_and_touches_nothing_else(
    virtuoso: VirtuosoServer, remote: RemoteStore, sources_dir: Any
) -> None:
    sources = sources_dir("migraine")
    settings = load_settings({"sources": str(sources), "base": STALE_BASE}, environ=virtuoso.settings)
    inputs = ("ontology", "shapes", "vocabulary", "queries")
    project = Project.from_settings(
        replace(settings, **{k: str(ROOT / v) for k, v in asdict(settings).items() if k in inputs})
    )
    store = location(settings)
    assert isinstance(store, RemoteStore)
    remote.refresh()
    others = {g: remote.count(g) for g in remote.named_graphs()}
    outside, loaded = "http://example.org/not-the-project", f"{STALE_BASE}loaded-not-built"
    for graph in (outside, loaded):
        store.update(f"INSERT DATA {{ GRAPH <{graph}> {{ <http://example.org/a> <http://example.org/b> 1 }} }}")

    build(project, store, shapes=False)
    store.load_bytes(b"<http://example.org/a> <http://example.org/b> 2 .\n", graph=f"{STALE_BASE}graph/inferred")
    assert f"{STALE_BASE}graph/source/migraine-review" in store.named_graphs()
    (sources / "review.yaml").unlink()
    build(project, store, shapes=False)

    store.refresh()
    assert store.named_graphs() == [
        f"{STALE_BASE}graph/ontology",
        f"{STALE_BASE}graph/source/headache-society",
        f"{STALE_BASE}graph/vocabulary",
        loaded,  # under the base, but not a graph a build writes
    ]
    assert remote.run("ASK { GRAPH ?g { ?s ?p ?o } }", None, named_graphs=[outside]), "a graph outside the base stays"
    remote.refresh()
    assert {g: remote.count(g) for g in remote.named_graphs()} == others, "another project's graphs are untouched"
    store.update(";\n".join(f"DROP SILENT GRAPH <{g}>" for g in [outside, *store.named_graphs()]))
