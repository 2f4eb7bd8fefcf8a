"""The SPARQL 1.1 Protocol at /sparql against a real gunicorn server, on each backend: the embedded
store and, under the `virtuoso` marker, a private Virtuoso (tests/virtuoso_server.py) behind
`evkg serve --store URL`. Methods, content types, Accept headers, the dataset parameters, the
service description, every error status with the one error shape, and the named queries giving the
rows of the embedded store (all of them on Virtuoso too: they read the closure `evkg reason`
writes). SPARQLWrapper is used as a researcher would use it. Where Virtuoso gets it wrong and the
service cannot repair it, the test is a strict xfail for that backend only; the tests of the remote
store alone are in tests/test_service_remote.py."""

from __future__ import annotations

import csv
import io
import json
import urllib.parse
from typing import Any

import pyoxigraph as ox
import pytest
from SPARQLWrapper import CSV, JSON, POST, TSV, TURTLE, XML, SPARQLWrapper
from support import (
    BASE,
    MAX_REQUEST_BYTES,
    MAX_RESULT_BYTES,
    ROOT,
    LiveServer,
    Reply,
    assert_error_shape,
    count,
    solutions,
)

from kg.sparql.queries import QueryRegistry
from kg.store.oxigraph import OxigraphStore

SERVERS = {"embedded": "live_server", "virtuoso": "remote_server"}
"""The session fixture (tests/conftest.py) that serves each backend."""
OUTSIDE = "http://www.openlinksw.com/schemas/virtrdf#"
"""One of Virtuoso's own graphs: on the server, never in the dataset."""


def backends(virtuoso_wrong: str | None = None) -> list[Any]:
    """The backends a test runs on; with `virtuoso_wrong`, a strict xfail on Virtuoso for that reason."""
    marks = [pytest.mark.virtuoso]
    if virtuoso_wrong:
        marks.append(pytest.mark.xfail(strict=True, reason=f"Virtuoso 7.2.5: {virtuoso_wrong}"))
    return [pytest.param("embedded", id="embedded"), pytest.param("virtuoso", marks=marks, id="virtuoso")]


EXAMPLES = [
    pytest.param(*backend.values, q.name, marks=backend.marks, id=f"{backend.id}-{q.name}")
    for q in QueryRegistry(ROOT / "queries").examples()
    for backend in backends()
]
COUNT_SOURCES = "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a/rdfs:subClassOf evkg:Source }"
CONSTRUCT_SOURCES = "CONSTRUCT { ?s a evkg:Source } WHERE { ?s a/rdfs:subClassOf evkg:Source }"
ASK_CLAIMS = "ASK { ?c evkg:hasQuote ?q }"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module", params=backends())
def server(request: pytest.FixtureRequest) -> LiveServer:
    """The session's server for the backend; a test may narrow the backends with `parametrize(indirect=True)`."""
    return request.getfixturevalue(SERVERS[request.param])


def send(server: LiveServer, method: str, query: str, accept: str | None = None, **extra: str) -> Reply:
    """A query by one of the three protocol methods: get, form (POST urlencoded), direct (POST sparql-query)."""
    headers = {"Accept": accept} if accept else {}
    if method == "get":
        return server.request("/sparql?" + urllib.parse.urlencode({"query": query, **extra}), headers=headers)
    if method == "form":
        body = urllib.parse.urlencode({"query": query, **extra}).encode()
        return server.request("/sparql", method="POST", data=body, headers={**headers, "Content-Type": FORM})
    url = "/sparql" + ("?" + urllib.parse.urlencode(extra) if extra else "")
    headers["Content-Type"] = "application/sparql-query"
    return server.request(url, method="POST", data=query.encode(), headers=headers)


METHODS = ["get", "form", "direct"]
RESULT_TYPES = [
    (None, "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("text/csv;q=0.5, text/tab-separated-values;q=0.9", "text/tab-separated-values"),
    ("application/sparql-results+json;q=0, */*;q=0.1", "application/sparql-results+xml"),
]
GRAPH_TYPES = [
    (None, "text/turtle"),
    ("text/turtle", "text/turtle"),
    ("application/n-triples", "application/n-triples"),
    ("application/rdf+xml", "application/rdf+xml"),
    ("application/ld+json", "application/ld+json"),
    ("application/ld+json;q=0.4, text/turtle;q=0.8", "text/turtle"),
]
RDF_PARSERS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}
RESULT_PARSERS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("accept", "expected"), RESULT_TYPES)
def test_select_results_in_the_negotiated_format(server: LiveServer, method: str, accept: str, expected: str) -> None:
    reply = send(server, method, COUNT_SOURCES, accept)
    assert reply.status == 200, reply.text
    assert reply.content_type == expected
    assert "Accept" in reply.headers.get("Vary", "")
    if expected == "text/csv":  # pyoxigraph does not parse CSV results (lossy): read them as CSV
        assert list(csv.reader(io.StringIO(reply.text))) == [["n"], ["2"]]
    else:
        rows = list(ox.parse_query_results(reply.body, format=RESULT_PARSERS[expected]))
        assert int(rows[0]["n"].value) == 2


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("accept", "expected"), GRAPH_TYPES)
def test_construct_results_in_the_negotiated_format(
    server: LiveServer, method: str, accept: str, expected: str
) -> None:
    reply = send(server, method, CONSTRUCT_SOURCES, accept)
    assert reply.status == 200, reply.text
    assert reply.content_type == expected
    triples = list(ox.parse(reply.body, format=RDF_PARSERS[expected]))
    assert {t.subject.value for t in triples} == {
        f"{BASE}id/source/droracle-back-spasm",
        f"{BASE}id/source/livestrong-back-spasm",
    }


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("csv", "text/csv"),
        ("xml", "application/sparql-results+xml"),
        ("text/tab-separated-values", "text/tab-separated-values"),
    ],
)
@pytest.mark.parametrize("method", METHODS)
def test_format_parameter_overrides_accept(server: LiveServer, method: str, fmt: str, expected: str) -> None:
    reply = send(server, method, COUNT_SOURCES, "application/sparql-results+json", format=fmt)
    assert reply.status == 200, reply.text
    assert reply.content_type == expected


def test_ask_answers_a_boolean(server: LiveServer) -> None:
    reply = send(server, "get", ASK_CLAIMS, "application/sparql-results+json")
    assert reply.json() == {"head": {}, "boolean": True}


def test_every_answer_says_where_its_time_went_in_server_timing(server: LiveServer) -> None:
    """The W3C Server-Timing header splits the server's time: the check, the query worker, the pool hop."""
    reply = send(server, "form", COUNT_SOURCES, "application/sparql-results+json")
    assert reply.status == 200, reply.text
    entries = {}
    for entry in (reply.headers.get("Server-Timing") or "").split(","):
        name, *params = (part.strip() for part in entry.split(";"))
        entries[name] = dict(param.split("=", 1) for param in params)
    assert set(entries) == {"check", "query", "pool"}
    durations = {name: float(params["dur"]) for name, params in entries.items()}
    assert all(value >= 0 for value in durations.values())
    assert durations["query"] > 0  # the worker's own time, sent back with the answer
    assert sum(durations.values()) <= reply.seconds * 1000  # the client waited for all of it
    assert all(params["desc"].startswith('"') for params in entries.values())


def test_default_graph_uri_narrows_the_default_graph(server: LiveServer) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s a evkg:Recommendation }"
    everything = send(server, "get", query).json()["results"]["bindings"][0]["n"]["value"]
    one = send(server, "get", query, **{"default-graph-uri": f"{BASE}graph/source/livestrong-back-spasm"})
    ontology = send(server, "direct", query, **{"default-graph-uri": f"{BASE}graph/ontology"})
    assert 0 < int(one.json()["results"]["bindings"][0]["n"]["value"]) < int(everything)
    assert ontology.json()["results"]["bindings"][0]["n"]["value"] == "0"


def test_named_graph_uri_limits_graph_patterns(server: LiveServer) -> None:
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    named = f"{BASE}graph/vocabulary"
    reply = send(server, "form", query, **{"named-graph-uri": named})
    assert [b["g"]["value"] for b in reply.json()["results"]["bindings"]] == [named]


def test_without_dataset_parameters_the_default_graph_is_the_union(server: LiveServer) -> None:
    reply = send(server, "get", "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    union = send(server, "get", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert int(reply.json()["results"]["bindings"][0]["n"]["value"]) == 6
    assert int(union.json()["results"]["bindings"][0]["n"]["value"]) > 5000


CONFLICTS_GRAPH = f"{BASE}graph/conflicts"
COUNT_ALL = "SELECT (COUNT(*) AS ?n) {dataset} WHERE {{ ?s ?p ?o }}"


@pytest.mark.parametrize("method", METHODS)
def test_from_in_the_query_replaces_the_union_default_graph(server: LiveServer, method: str) -> None:
    """SPARQL 1.1: the query's FROM is its dataset; the union default graph is only for a query that names none."""
    own = count(send(server, method, COUNT_ALL.format(dataset=f"FROM <{CONFLICTS_GRAPH}>")))
    by_protocol = count(send(server, "get", COUNT_ALL.format(dataset=""), **{"default-graph-uri": CONFLICTS_GRAPH}))
    union = count(send(server, "get", COUNT_ALL.format(dataset="")))
    assert 0 < own == by_protocol < union


def test_from_named_alone_leaves_an_empty_default_graph_and_one_named_graph(server: LiveServer) -> None:
    named = f"{BASE}graph/vocabulary"
    assert count(send(server, "get", COUNT_ALL.format(dataset=f"FROM NAMED <{named}>"))) == 0
    query = f"SELECT DISTINCT ?g FROM NAMED <{named}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert [b["g"]["value"] for b in send(server, "get", query).json()["results"]["bindings"]] == [named]


def test_the_protocol_dataset_replaces_the_query_from(server: LiveServer) -> None:
    """The protocol's default-graph-uri wins over the query's FROM (SPARQL 1.1 Protocol, section 2.1.4)."""
    ontology = f"{BASE}graph/ontology"
    query = COUNT_ALL.format(dataset=f"FROM <{CONFLICTS_GRAPH}>")
    both = count(send(server, "direct", query, **{"default-graph-uri": ontology}))
    assert both == count(send(server, "get", COUNT_ALL.format(dataset=f"FROM <{ontology}>")))
    assert both != count(send(server, "get", query))


@pytest.mark.parametrize(
    ("accept", "parser"),
    [
        (None, ox.RdfFormat.TURTLE),
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ],
)
def test_no_query_answers_the_service_description(server: LiveServer, accept: str | None, parser: ox.RdfFormat) -> None:
    reply = server.get("/sparql", accept)
    assert reply.status == 200
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(reply.body, format=parser)]
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert (
        ox.Triple(
            ox.NamedNode(server.url + "/sparql"), ox.NamedNode(f"{sd}endpoint"), ox.NamedNode(server.url + "/sparql")
        )
        in triples
    )
    names = {t.object.value for t in triples if t.predicate.value == f"{sd}name"}
    assert f"{BASE}graph/conflicts" in names and len(names) == 6


def test_a_browser_gets_a_query_form_with_the_named_queries(server: LiveServer) -> None:
    reply = server.get("/sparql", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    assert reply.status == 200 and reply.content_type == "text/html"
    assert '<form method="post" action="/sparql">' in reply.text
    assert "Everything said about an intervention, across sources" in reply.text


# ------------------------------------------------------------------ SPARQLWrapper, as a user would
@pytest.mark.parametrize("method", ["GET", POST])
def test_sparqlwrapper_select_json(server: LiveServer, method: str) -> None:
    client = SPARQLWrapper(server.url + "/sparql")
    client.setMethod(method)
    client.setQuery(
        "SELECT DISTINCT ?id WHERE { ?s a/rdfs:subClassOf evkg:Source ; dcterms:identifier ?id } ORDER BY ?id"
    )
    client.setReturnFormat(JSON)
    result = client.queryAndConvert()
    assert [b["id"]["value"] for b in result["results"]["bindings"]] == ["droracle-back-spasm", "livestrong-back-spasm"]


def test_sparqlwrapper_select_xml_and_csv(server: LiveServer) -> None:
    client = SPARQLWrapper(server.url + "/sparql")
    client.setQuery(COUNT_SOURCES)
    client.setReturnFormat(XML)
    document = client.queryAndConvert()
    assert document.getElementsByTagName("literal")[0].firstChild.data == "2"
    client.setReturnFormat(CSV)
    rows = list(csv.reader(io.StringIO(client.queryAndConvert().decode())))
    assert rows == [["n"], ["2"]]


def test_sparqlwrapper_construct_turtle(server: LiveServer) -> None:
    client = SPARQLWrapper(server.url + "/sparql")
    client.setQuery(CONSTRUCT_SOURCES)
    client.setReturnFormat(TURTLE)
    graph = client.queryAndConvert()
    assert len(list(ox.parse(graph, format=ox.RdfFormat.TURTLE))) == 2


def test_sparqlwrapper_ask(server: LiveServer) -> None:
    client = SPARQLWrapper(server.url + "/sparql")
    client.setQuery(ASK_CLAIMS)
    client.setReturnFormat(JSON)
    answer = client.queryAndConvert()
    assert answer["boolean"] is True
    assert answer == {"head": {}, "boolean": True}


@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
@pytest.mark.parametrize("method", ["GET", POST])
def test_sparqlwrapper_reads_every_results_format(server: LiveServer, method: str, fmt: str) -> None:
    client = SPARQLWrapper(server.url + "/sparql")
    client.setTimeout(30)
    client.setMethod(method)
    client.setQuery(
        "SELECT DISTINCT ?id WHERE { ?s a/rdfs:subClassOf evkg:Source ; dcterms:identifier ?id } ORDER BY ?id"
    )
    client.setReturnFormat(fmt)
    result = client.queryAndConvert()
    if fmt == JSON:
        ids = [b["id"]["value"] for b in result["results"]["bindings"]]
    elif fmt == XML:
        ids = [node.firstChild.data for node in result.getElementsByTagName("literal")]
    else:
        ids = [line.split("\t" if fmt == TSV else ",")[0].strip('"') for line in result.decode().splitlines()[1:]]
    assert ids == ["droracle-back-spasm", "livestrong-back-spasm"]


# ------------------------------------------------------------------ the named queries, as on the embedded store
@pytest.mark.parametrize(("server", "name"), EXAMPLES, indirect=["server"])
def test_the_named_queries_give_the_same_rows_as_the_embedded_store(
    server: LiveServer, reasoned_seeds: OxigraphStore, name: str
) -> None:
    text = QueryRegistry(ROOT / "queries").resolve(name).text
    answer = reasoned_seeds.query(text).serialize(format=ox.QueryResultsFormat.JSON) or b"{}"
    if len(answer) > MAX_RESULT_BYTES:  # the test servers' limit: refused whole (see test_service_limits.py)
        assert "EVKG_MAX_RESULT_BYTES" in assert_error_shape(send(server, "form", text), 507)["detail"]
        return
    client = SPARQLWrapper(server.url + "/sparql")
    client.setTimeout(30)
    client.setQuery(text)
    client.setReturnFormat(JSON)
    there = client.queryAndConvert()
    here = json.loads(answer)
    assert there["head"]["vars"] == here["head"]["vars"]
    assert solutions(there, text) == solutions(here, text)


GRAPH_FIXED = (
    "answers a GRAPH ?g whose ?g is fixed to a graph outside the dataset (VALUES, BIND, FILTER =) as one empty "
    "solution; the service repairs only GRAPH with a constant IRI"
)


@pytest.mark.parametrize("server", backends(GRAPH_FIXED), indirect=True)
def test_a_graph_variable_fixed_outside_the_dataset_matches_nothing(server: LiveServer) -> None:
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ <{OUTSIDE}> }} GRAPH ?g {{ ?s ?p ?o }} }}"
    assert count(send(server, "get", query)) == 0


# ------------------------------------------------------------------ errors: status and the one shape
FORM_HEADERS = {"Content-Type": FORM}
ERRORS = [
    pytest.param("GET", "/sparql?query=SELEC+*+WHERE+%7B%7D", None, {}, 400, "malformed", id="400-malformed-get"),
    pytest.param(
        "POST", "/sparql", b"query=SELECT+%3Fx+WHERE+%7B", FORM_HEADERS, 400, "malformed", id="400-malformed-form"
    ),
    pytest.param("GET", "/sparql?query=ASK%7B%7D&query=ASK%7B%7D", None, {}, 400, "2 times", id="400-two-queries"),
    pytest.param(
        "GET",
        "/sparql?query=ASK%7B%7D&default-graph-uri=not+an+iri",
        None,
        {},
        400,
        "default-graph-uri",
        id="400-default-graph-not-iri",
    ),
    pytest.param(
        "GET",
        "/sparql?query=ASK%7B%7D&named-graph-uri=rel/x",
        None,
        {},
        400,
        "named-graph-uri",
        id="400-named-graph-not-iri",
    ),
    pytest.param("GET", "/sparql?query=ASK%7B%7D&format=png", None, {}, 400, "unknown format", id="400-bad-format"),
    pytest.param("POST", "/sparql", b"format=json", FORM_HEADERS, 400, "no `query`", id="400-form-without-query"),
    pytest.param("GET", "/sparql?update=CLEAR+ALL", None, {}, 403, "read-only", id="403-update-param"),
    pytest.param("POST", "/sparql", b"update=CLEAR+ALL", FORM_HEADERS, 403, "read-only", id="403-update-form"),
    pytest.param(
        "POST",
        "/sparql",
        b"CLEAR ALL",
        {"Content-Type": "application/sparql-update"},
        403,
        "read-only",
        id="403-sparql-update",
    ),
    pytest.param(
        "POST",
        "/sparql",
        b"INSERT DATA { <a:b> <a:c> <a:d> }",
        {"Content-Type": "application/sparql-query"},
        403,
        "read-only",
        id="403-update-as-query",
    ),
    pytest.param("GET", "/id/claim/no-such-claim", None, {}, 404, "no triples", id="404-iri"),
    pytest.param("GET", "/no/such/page", None, {}, 404, "not found", id="404-page"),
    pytest.param("DELETE", "/sparql", None, {}, 405, "method", id="405"),
    pytest.param("GET", "/sparql?query=ASK%7B%7D", None, {"Accept": "image/png"}, 406, "text/csv", id="406-results"),
    pytest.param(
        "GET",
        "/sparql?query=CONSTRUCT+WHERE+%7B%3Fs+%3Fp+%3Fo%7D+LIMIT+1",
        None,
        {"Accept": "text/csv"},
        406,
        "text/turtle",
        id="406-graph",
    ),
    pytest.param(
        "GET", "/id/source/livestrong-back-spasm", None, {"Accept": "image/png"}, 406, "text/html", id="406-linked-data"
    ),
    pytest.param(
        "POST",
        "/sparql",
        b"x" * (MAX_REQUEST_BYTES + 1),
        {"Content-Type": "application/sparql-query"},
        413,
        "EVKG_MAX_REQUEST_BYTES",
        id="413-body",
    ),
    pytest.param(
        "GET",
        "/sparql?query=" + "%20" * (MAX_REQUEST_BYTES + 1) + "ASK%7B%7D",
        None,
        {},
        413,
        "EVKG_MAX_REQUEST_BYTES",
        id="413-url",
    ),
    pytest.param(
        "POST",
        "/sparql",
        b"ASK {}",
        {"Content-Type": "text/plain"},
        415,
        "application/sparql-query",
        id="415-text-plain",
    ),
    pytest.param(
        "POST", "/sparql", b"{}", {"Content-Type": "application/json"}, 415, "application/sparql-query", id="415-json"
    ),
    pytest.param(
        "GET",
        "/sparql?query=" + urllib.parse.quote("CONSTRUCT WHERE { ?s ?p ?o }"),
        None,
        {},
        507,
        "EVKG_MAX_RESULT_BYTES",
        id="507-result-too-large",
    ),
]


@pytest.mark.parametrize(("method", "path", "data", "headers", "status", "phrase"), ERRORS)
def test_every_error_has_its_status_and_the_one_shape(
    server: LiveServer, method: str, path: str, data: bytes | None, headers: dict[str, str], status: int, phrase: str
) -> None:
    reply = server.request(path, method=method, data=data, headers=headers)
    error = assert_error_shape(reply, status)
    assert phrase.lower() in error["detail"].lower()


def test_406_lists_the_valid_media_types(server: LiveServer) -> None:
    reply = send(server, "get", COUNT_SOURCES, "application/rdf+xml")
    detail = assert_error_shape(reply, 406)["detail"]
    for media in RESULT_PARSERS:
        assert media in detail


def test_a_browser_gets_errors_as_html(server: LiveServer) -> None:
    reply = server.get("/id/claim/no-such-claim", "text/html,*/*;q=0.8")
    assert reply.status == 404 and reply.content_type == "text/html"
    assert "<h1>404 Not found</h1>" in reply.text


def test_the_error_shape_is_documented_in_openapi(server: LiveServer) -> None:
    schema = server.get("/openapi.json").json()["components"]["schemas"]["Error"]
    assert schema["properties"]["error"]["required"] == ["status", "title", "detail"]
    assert json.loads(server.get("/nope").body)["error"]["status"] == 404
