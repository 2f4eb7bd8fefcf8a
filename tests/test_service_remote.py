"""The service on a remote store: a private Virtuoso (tests/virtuoso_server.py) gets the seeds through
`evkg build --store URL` and `evkg reason --store URL`, then `evkg serve --store URL` runs as a real
gunicorn process in front of it (the session fixtures `virtuoso_seeds` and `remote_server` of
tests/conftest.py). The protocol itself (formats, dataset parameters, error statuses, the named
queries) is tested on both backends in tests/test_service_protocol.py; here is what only a remote
store has: a resource dereferences to the same triples as on the embedded store, /api/conflicts
lists the same conflicts, a store that is slow, cut short or down, and the Virtuoso deviations the
service repairs, each pinned with what Virtuoso answers itself.
"""

from __future__ import annotations

import csv
import io
import time
import urllib.parse
import urllib.request
from collections import Counter

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from rdflib.compare import isomorphic
from support import (
    BASE,
    REMOTE_QUERY_TIMEOUT,
    ROOT,
    UPDATE_TOKEN,
    LiveServer,
    Reply,
    assert_error_shape,
    count,
    wait_until,
)
from test_service_protocol import COUNT_SOURCES, OUTSIDE, RDF_PARSERS, send
from virtuoso_server import VirtuosoServer, as_rdflib
from w3c.serving import free_port

from kg.audit import load_conflicts
from kg.cli import main
from kg.settings import load_settings
from kg.sparql.queries import QueryRegistry
from kg.store.oxigraph import OxigraphStore
from kg.store.remote import RemoteStore, location
from service import create_app
from service.context import SERVICE_QUERIES
from service.linked_data import describe

pytestmark = pytest.mark.virtuoso

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f FILTER(STR(?c) < STR(?f)) }"
"""About 40 million comparisons over the seeds: minutes on Virtuoso, far past REMOTE_QUERY_TIMEOUT."""


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def remote(virtuoso_seeds: str) -> str:
    """The seeds built and reasoned into Virtuoso (the session's, tests/conftest.py): its endpoint's URL."""
    return virtuoso_seeds


@pytest.fixture(scope="module")
def embedded(reasoned_seeds: OxigraphStore) -> OxigraphStore:
    """The same seeds, reasoned in the embedded store: what the service must match."""
    return reasoned_seeds


@pytest.fixture(scope="module")
def server(remote_server: LiveServer) -> LiveServer:
    """The session's `evkg serve --store URL` in front of the Virtuoso (tests/conftest.py)."""
    return remote_server


def raw(virtuoso: VirtuosoServer, query: str, accept: str = "application/sparql-results+json", **dataset: str) -> Reply:
    """A query sent to Virtuoso itself (what the service repairs)."""
    fields = [("query", query), *((k.replace("_", "-"), v) for k, v in dataset.items())]
    request = urllib.request.Request(
        f"{virtuoso.http}/sparql", data=urllib.parse.urlencode(fields).encode(), headers={"Accept": accept}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Reply(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.headers, error.read())


# ------------------------------------------------------------------ errors only a remote store has
@pytest.mark.parametrize(
    ("query", "phrase"),
    [
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", "SERVICE calls"),
        (f"SELECT * FROM <{OUTSIDE}> WHERE {{ ?s ?p ?o }}", "names no graph of this store"),
        (f"SELECT * FROM NAMED <{OUTSIDE}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", "names no graph of this store"),
    ],
)
def test_service_and_from_are_held_to_the_allowlist_and_the_stores_graphs(
    server: LiveServer, query: str, phrase: str
) -> None:
    assert phrase in assert_error_shape(send(server, "get", query), 400)["detail"]


def test_a_malformed_query_gets_400_with_the_stores_message(server: LiveServer) -> None:
    reply = send(server, "get", "PREFIX ex: <http://example.org/>\nSELECT * WHERE { ?s ?p }")
    detail = assert_error_shape(reply, 400)["detail"]
    assert "refused the query as malformed" in detail and "SPARQL compiler, line 2" in detail  # the user's line


def test_a_query_past_the_timeout_gets_503_and_the_service_keeps_answering(server: LiveServer) -> None:
    reply = server.request("/sparql?" + urllib.parse.urlencode({"query": SLOW}), timeout=60)
    assert "EVKG_QUERY_TIMEOUT" in assert_error_shape(reply, 503)["detail"]
    assert REMOTE_QUERY_TIMEOUT <= reply.seconds < REMOTE_QUERY_TIMEOUT + 5
    replies = (send(server, "get", COUNT_SOURCES) for _ in range(3))  # Virtuoso may still be busy with it
    assert any(reply.status == 200 and count(reply) == 2 for reply in replies)
    assert server.get("/health").json()["query_workers"]["timeouts"] >= 1


def test_update_is_refused_with_501_on_a_remote_store(server: LiveServer) -> None:
    headers = {"Content-Type": "application/sparql-update", "Authorization": f"Bearer {UPDATE_TOKEN}"}
    reply = server.request("/update", method="POST", data=b"CLEAR ALL", headers=headers)
    assert "does not forward updates" in assert_error_shape(reply, 501)["detail"]
    assert count(send(server, "get", "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")) == 6


# ------------------------------------------------------------------ linked data, VoID, dumps, conflicts, health
CLAIM = "id/claim/livestrong-back-spasm.nsaids-only-for-acute"
COMBINATION = "id/term/cyclobenzaprine-nsaid-combination"  # its OWL restrictions are blank nodes


@pytest.mark.parametrize("path", [CLAIM, COMBINATION, "id/source/droracle-back-spasm"])
@pytest.mark.parametrize("media", ["text/turtle", "application/ld+json"])
def test_a_resource_dereferences_to_the_same_triples(
    server: LiveServer, embedded: OxigraphStore, path: str, media: str
) -> None:
    reply = server.get("/" + path, media)
    assert reply.status == 200 and reply.content_type == media
    served = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(reply.body, format=RDF_PARSERS[media])]
    expected = describe(embedded, QueryRegistry(SERVICE_QUERIES), BASE + path)
    assert isomorphic(as_rdflib(served), as_rdflib(expected))
    assert 'rel="canonical"' in reply.headers["Link"]


def test_a_claim_page_shows_its_quote_source_and_conflicts(server: LiveServer) -> None:
    page = server.get("/" + CLAIM, "text/html").text
    assert "only non-steroidal anti-inflammatory medications" in page
    assert 'href="/id/source/livestrong-back-spasm"' in page and "first-line-conflict" in page
    assert_error_shape(server.get("/id/claim/no-such-claim"), 404)


@pytest.mark.parametrize("params", [{}, {"all": "1"}, {"type": "first-line-conflict"}])
def test_api_conflicts_lists_the_same_conflicts_as_the_embedded_store(
    server: LiveServer, embedded: OxigraphStore, params: dict[str, str]
) -> None:
    records = load_conflicts(embedded, QueryRegistry(ROOT / "queries"))
    everything = bool(params.get("all"))
    wanted = params.get("type")
    expected = {
        r.id for r in records if (everything or r.category == "conflict" or wanted) and (not wanted or r.type == wanted)
    }
    served = server.get("/api/conflicts", view="pairs", **params).json()
    assert expected and {c["id"] for c in served} == expected
    rows = list(csv.DictReader(io.StringIO(server.get("/api/conflicts.csv", view="pairs", **params).text)))
    assert {r["id"] for r in rows} == expected
    grouped = server.get("/api/conflicts", **params).json()
    assert {p["id"] for d in grouped for p in d["pairs"]} == expected, "the same pairs, grouped"


def test_the_pages_for_people_render_from_the_remote_store(server: LiveServer) -> None:
    assert server.get("/", "text/html").status == 200
    assert 'class="conflict ' in server.get("/conflicts", "text/html").text
    matrix = server.get("/conflicts/matrix", "text/html").text
    assert matrix.count('<th><a href="/id/source/') == 2 and 'class="for conflicted"' in matrix


def test_void_health_and_dumps_describe_the_remote_graphs(server: LiveServer, embedded: OxigraphStore) -> None:
    sizes = {g: embedded.count(g) for g in embedded.named_graphs()}
    void = list(ox.parse(server.get("/void", "application/n-triples").body, format=ox.RdfFormat.N_TRIPLES))
    subsets = {t.subject: t.object.value for t in void if t.predicate.value.endswith("#name")}
    counted = {
        subsets[t.subject]: int(t.object.value)
        for t in void
        if t.subject in subsets and t.predicate.value.endswith("triples")
    }
    assert counted == sizes
    health = server.get("/health").json()
    assert health["status"] == "ok" and health["graphs"] == 6 and health["triples"] == sum(sizes.values())
    assert health["query_workers"]["size"] == 2
    assert "store" not in health, "/health names no store location"
    dump = server.get("/dumps/evidencekg.nq")
    quads = list(ox.parse(dump.body, format=ox.RdfFormat.N_QUADS))
    assert Counter(q.graph_name.value for q in quads) == Counter(sizes)


def graphs(server: LiveServer) -> int:
    """How many graphs the service sees in its store now (from /health)."""
    return int(server.get("/health").json()["graphs"])


def test_a_graph_written_to_the_store_shows_without_a_restart(server: LiveServer, virtuoso: VirtuosoServer) -> None:
    store = location(load_settings(environ=virtuoso.settings))
    assert isinstance(store, RemoteStore)
    graph = f"{BASE}graph/written-while-serving"
    store.load_bytes(b"<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n", graph=graph)
    try:
        assert wait_until(lambda: graphs(server) == 7, 15, "the written graph in /health")
        query = "ASK { GRAPH ?g { <http://example.org/a> ?p ?o } }"
        assert send(server, "get", query).json()["boolean"] is True
    finally:
        store.update(f"DROP SILENT GRAPH <{graph}>")
    assert wait_until(lambda: graphs(server) == 6, 15, "the dropped graph gone from /health")


# ------------------------------------------------------------------ Virtuoso's deviations, repaired by the service
def test_virtuoso_merges_from_with_the_protocol_dataset_and_the_service_does_not(
    server: LiveServer, virtuoso: VirtuosoServer
) -> None:
    """Pinned: the protocol's default-graph-uri replaces the query's FROM; Virtuoso uses both."""
    query = f"SELECT (COUNT(*) AS ?n) FROM <{BASE}graph/ontology> WHERE {{ ?s ?p ?o }}"
    vocabulary = {"default_graph_uri": f"{BASE}graph/vocabulary"}
    alone = count(
        send(
            server,
            "get",
            "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
            **{"default-graph-uri": f"{BASE}graph/vocabulary"},
        )
    )
    assert count(raw(virtuoso, query, **vocabulary)) > alone
    assert count(send(server, "get", query, **{"default-graph-uri": f"{BASE}graph/vocabulary"})) == alone


def test_virtuoso_answers_a_graph_outside_the_dataset_as_one_empty_solution(
    server: LiveServer, virtuoso: VirtuosoServer
) -> None:
    """Pinned: GRAPH <iri> for a graph that is not a named graph of the request matches nothing; Virtuoso
    answers the whole pattern as one solution with nothing bound (ASK true, COUNT(*) 1)."""
    ask = f"ASK {{ GRAPH <{OUTSIDE}> {{ ?s ?p ?o }} }}"
    counted = f"SELECT (COUNT(*) AS ?n) WHERE {{ <urn:no> <urn:such> ?x . GRAPH <{OUTSIDE}> {{ ?s ?p ?o }} }}"
    dataset = {"default_graph_uri": f"{BASE}graph/ontology", "named_graph_uri": f"{BASE}graph/ontology"}
    assert raw(virtuoso, ask, **dataset).json()["boolean"] is True
    assert count(raw(virtuoso, counted, **dataset)) == 1
    assert send(server, "get", ask).json()["boolean"] is False
    assert count(send(server, "get", counted)) == 0


def test_virtuoso_graph_patterns_range_over_every_graph_without_named_graph_uri(
    server: LiveServer, virtuoso: VirtuosoServer
) -> None:
    """Pinned: with default-graph-uri alone the request has no named graphs; Virtuoso's GRAPH ?g then
    reaches every graph on the server, its own included."""
    query = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert count(raw(virtuoso, query, default_graph_uri=f"{BASE}graph/ontology")) > 6
    assert count(send(server, "get", query, **{"default-graph-uri": f"{BASE}graph/ontology"})) == 0


def test_virtuoso_tsv_is_not_sparql_tsv_and_the_service_writes_its_own(
    server: LiveServer, virtuoso: VirtuosoServer
) -> None:
    """Pinned: Virtuoso's TSV quotes the variable names and writes IRIs as strings; SPARQL TSV has
    `?id` and `<iri>`. The service asks for SPARQL JSON and writes every format itself."""
    query = f"SELECT ?s WHERE {{ ?s a <{BASE}ontology#ConsumerArticle> }}"
    dataset = {"default_graph_uri": f"{BASE}graph/source/livestrong-back-spasm"}
    assert raw(virtuoso, query, "text/tab-separated-values", **dataset).body.decode().startswith('"s"\n"https://')
    served = send(server, "get", query, "text/tab-separated-values").text
    assert served == f"?s\n<{BASE}id/source/livestrong-back-spasm>\n"


def test_virtuoso_select_star_without_variables_invents_one(server: LiveServer, virtuoso: VirtuosoServer) -> None:
    """Pinned: `SELECT * WHERE {}` has no variables and one empty solution; Virtuoso adds `_star_fake`."""
    assert raw(virtuoso, "SELECT * WHERE {}").json()["head"]["vars"] == ["_star_fake"]
    served = send(server, "get", "SELECT * WHERE {}").json()
    assert served["head"]["vars"] == [] and served["results"]["bindings"] == [{}]


def test_virtuoso_leaves_iri_results_relative_and_the_service_resolves_them(
    server: LiveServer, virtuoso: VirtuosoServer
) -> None:
    """Pinned: IRI("x") resolves against the base (the endpoint's URL); Virtuoso answers `x`."""
    query = 'SELECT (IRI("x") AS ?i) WHERE {}'
    assert raw(virtuoso, "BASE <http://example.org/> " + query).json()["results"]["bindings"][0]["i"]["value"] == "x"
    served = send(server, "get", query).json()["results"]["bindings"][0]["i"]["value"]
    assert served == server.url + "/x"


def test_virtuoso_refuses_base_after_prefix_and_the_service_reorders_the_prologue(
    server: LiveServer, virtuoso: VirtuosoServer
) -> None:
    """Pinned: the grammar allows BASE anywhere in the prologue; Virtuoso only before every PREFIX."""
    query = "PREFIX ex: <y/> BASE <http://example.org/b/> SELECT (ex:z AS ?i) (<w> AS ?j) WHERE {}"
    assert raw(virtuoso, query).status == 400
    [row] = send(server, "get", query).json()["results"]["bindings"]
    assert (row["i"]["value"], row["j"]["value"]) == (server.url + "/y/z", "http://example.org/b/w")


def test_virtuoso_fails_a_query_on_an_expression_error_and_the_service_says_400(
    server: LiveServer, virtuoso: VirtuosoServer
) -> None:
    """Pinned: an expression error leaves a variable unbound in SPARQL (the embedded store answers 200);
    Virtuoso fails the whole query with 500. Nothing can repair that: the service answers 400 with
    Virtuoso's message, never a 200 with an error inside nor a 500 of its own."""
    query = "SELECT (1/0 AS ?x) WHERE {}"
    assert raw(virtuoso, query).status == 500
    assert "Division by 0" in assert_error_shape(send(server, "get", query), 400)["detail"]


# ------------------------------------------------------------------ a store that is cut short, slow or down
def app_client(store: str) -> FlaskClient:
    """The app in-process on a store URL (no gunicorn: these stores answer nothing the server would)."""
    settings = {"store": store, "queries": str(ROOT / "queries"), "query_timeout": 20.0, "base": BASE}
    return create_app(settings).test_client()


def test_a_result_virtuoso_cuts_short_is_never_served_as_a_200(virtuoso: VirtuosoServer, remote: str) -> None:
    """Pinned: with a `timeout` parameter (here in the store URL) Virtuoso answers a slow query with 200,
    the rows it had and `X-SQL-State: S1TAT` ("anytime" results); the service answers 504."""
    started = time.monotonic()
    response = app_client(remote + "?timeout=300").get("/sparql", query_string={"query": SLOW})
    assert response.status_code == 504 and response.json is not None
    assert response.json["error"]["title"] == "Gateway timeout" and "S1TAT" in response.json["error"]["detail"]
    assert time.monotonic() - started < 15


def test_a_store_that_is_down_gets_503_and_serve_refuses_to_start() -> None:
    dead = f"http://127.0.0.1:{free_port()}/sparql"
    response = app_client(dead).get("/sparql", query_string={"query": "ASK {}"})
    assert response.status_code == 503 and response.json is not None
    assert "cannot reach the store" in response.json["error"]["detail"]
    assert app_client(dead).get("/health").status_code == 503
    refused = CliRunner().invoke(main, ["serve", "--store", dead, "--port", str(free_port())])
    assert refused.exit_code == 2 and "cannot reach the store" in refused.output


def test_serve_refuses_a_remote_store_without_the_projects_graphs(remote: str) -> None:
    env = {"EVKG_BASE": "https://example.org/no-such-project/"}
    refused = CliRunner().invoke(main, ["serve", "--store", remote, "--port", str(free_port())], env=env)
    assert refused.exit_code == 2 and "has no graph under <https://example.org/no-such-project/>" in refused.output
