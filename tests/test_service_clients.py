"""Every client in common use gets what it asks for from the real gunicorn server (the embedded store):
SPARQLWrapper 2.0.0 with its default settings and each return format, over GET, form POST and direct
POST, for each query form (it sends `format=`, `output=` and `results=` with every query, whatever the
form); the `format` / `output` names of Jena/Fuseki; HEAD answered as GET without a body; gzip when
the client accepts it, the streamed dumps included."""

from __future__ import annotations

import gzip
import urllib.parse
import warnings

import pyoxigraph as ox
import pytest
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, POSTDIRECTLY, RDF, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from support import BASE, LiveServer

SOURCES = {f"{BASE}id/source/droracle-back-spasm", f"{BASE}id/source/livestrong-back-spasm"}
QUERIES = {
    "SELECT": "SELECT ?s WHERE { ?s a/rdfs:subClassOf evkg:Source }",
    "ASK": "ASK { ?c evkg:hasQuote ?q }",
    "CONSTRUCT": "CONSTRUCT { ?s a evkg:Source } WHERE { ?s a/rdfs:subClassOf evkg:Source }",
    "DESCRIBE": f"DESCRIBE <{BASE}id/source/livestrong-back-spasm>",
}
RESULTS = {
    None: "application/sparql-results+xml",  # SPARQLWrapper's default return format: XML
    XML: "application/sparql-results+xml",
    JSON: "application/sparql-results+json",
    CSV: "text/csv",
    TSV: "text/tab-separated-values",
}
GRAPHS = {
    None: "application/rdf+xml",
    XML: "application/rdf+xml",
    RDFXML: "application/rdf+xml",
    RDF: "application/rdf+xml",
    TURTLE: "text/turtle",
    N3: "text/turtle",
    JSONLD: "application/ld+json",
    JSON: "application/ld+json",
}
FALLBACK = {"SELECT": "application/sparql-results+json", "ASK": "application/sparql-results+json"}
"""A return format of the other kind (Turtle for a SELECT) is left out: Accept `*/*` decides."""
RESULT_PARSERS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
RDF_PARSERS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}
FORMATS = [None, XML, JSON, CSV, TSV, TURTLE, N3, RDF, RDFXML, JSONLD]
METHODS = ["GET", "form", "direct"]


def expected_type(form: str, fmt: str | None) -> str:
    """The media type the service answers SPARQLWrapper's return format with, for a query form."""
    table = GRAPHS if form in ("CONSTRUCT", "DESCRIBE") else RESULTS
    return table.get(fmt) or FALLBACK.get(form, "text/turtle")


def wrapper(server: LiveServer, form: str, method: str, fmt: str | None) -> SPARQLWrapper:
    """SPARQLWrapper as a user sets it up: its defaults, then the method and return format."""
    client = SPARQLWrapper(server.url + "/sparql")
    client.setTimeout(30)
    client.setQuery(QUERIES[form])
    if method != "GET":
        client.setMethod(POST)
    if method == "direct":
        client.setRequestMethod(POSTDIRECTLY)
    if fmt is not None:
        client.setReturnFormat(fmt)
    return client


def check_body(form: str, media: str, body: bytes) -> None:
    """The answer holds what the query asks for, read by pyoxigraph (CSV by hand: it does not parse it)."""
    if media in RDF_PARSERS:
        subjects = {t.subject.value for t in ox.parse(body, format=RDF_PARSERS[media])}
        assert subjects == SOURCES if form == "CONSTRUCT" else f"{BASE}id/source/livestrong-back-spasm" in subjects
    elif media == "text/csv":  # an ASK answer in CSV is the bare boolean
        assert body.decode().split()[1:] if form == "SELECT" else body.decode().split() == ["true"]
        assert form == "ASK" or set(body.decode().split()[1:]) == SOURCES
    else:
        answer = ox.parse_query_results(body, format=RESULT_PARSERS[media])
        if form == "ASK":
            assert answer  # a QueryBoolean is true when the answer is
        else:
            assert {row["s"].value for row in answer} == SOURCES


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f or "default")
@pytest.mark.parametrize("form", list(QUERIES))
def test_sparqlwrapper_gets_what_it_asks_for(live_server: LiveServer, form: str, fmt: str | None, method: str) -> None:
    client = wrapper(live_server, form, method, fmt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # SPARQLWrapper warns of a format of the other kind
        result = client.query()
    media = result.response.headers["Content-Type"].split(";")[0]
    assert media == expected_type(form, fmt)
    check_body(form, media, result.response.read())


def test_sparqlwrapper_plain_construct_converts_to_a_graph(live_server: LiveServer) -> None:
    """`SPARQLWrapper(endpoint).setQuery("CONSTRUCT …").query()`: it sends format=xml, and gets RDF/XML."""
    client = SPARQLWrapper(live_server.url + "/sparql")
    client.setQuery(QUERIES["CONSTRUCT"])
    graph = client.query().convert()
    assert {str(s) for s in graph.subjects()} == SOURCES


ALIASES = [
    ("SELECT", "output", "json", "application/sparql-results+json"),
    ("SELECT", "output", "xml", "application/sparql-results+xml"),
    ("SELECT", "format", "srj", "application/sparql-results+json"),
    ("SELECT", "format", "srx", "application/sparql-results+xml"),
    ("SELECT", "output", "tsv", "text/tab-separated-values"),
    ("CONSTRUCT", "output", "ttl", "text/turtle"),
    ("CONSTRUCT", "output", "text", "text/turtle"),
    ("CONSTRUCT", "format", "n3", "text/turtle"),
    ("CONSTRUCT", "output", "nt", "application/n-triples"),
    ("CONSTRUCT", "format", "N-Triples", "application/n-triples"),
    ("CONSTRUCT", "output", "json-ld", "application/ld+json"),
    ("CONSTRUCT", "output", "json", "application/ld+json"),
    ("CONSTRUCT", "output", "xml", "application/rdf+xml"),
    ("CONSTRUCT", "format", "RDF/XML", "application/rdf+xml"),
    ("CONSTRUCT", "format", "application/ld+json,application/x-json+ld", "application/ld+json"),
]


@pytest.mark.parametrize(("form", "parameter", "value", "expected"), ALIASES)
def test_format_and_output_names_of_common_clients(
    live_server: LiveServer, form: str, parameter: str, value: str, expected: str
) -> None:
    """Jena/Fuseki's `output=` names and SPARQLWrapper's `format=` values, whatever the Accept header."""
    path = "/sparql?" + urllib.parse.urlencode({"query": QUERIES[form], parameter: value})
    reply = live_server.request(path, headers={"Accept": "text/html"})
    assert reply.status == 200, reply.text
    assert reply.content_type == expected
    check_body(form, expected, reply.body)


def test_format_and_output_naming_different_formats_is_400(live_server: LiveServer) -> None:
    path = "/sparql?" + urllib.parse.urlencode({"query": QUERIES["SELECT"], "format": "json", "output": "csv"})
    reply = live_server.request(path)
    assert reply.status == 400
    assert "different formats" in reply.json()["error"]["detail"]


# ------------------------------------------------------------------ HEAD
@pytest.mark.parametrize(
    "path",
    [
        "/sparql?" + urllib.parse.urlencode({"query": QUERIES["SELECT"]}),
        "/sparql",
        "/id/source/livestrong-back-spasm",
        "/api/conflicts",
        "/void",
    ],
)
def test_head_answers_as_get_without_a_body(live_server: LiveServer, path: str) -> None:
    get = live_server.request(path, headers={"Accept": "application/json, */*;q=0.5"})
    head = live_server.request(path, method="HEAD", headers={"Accept": "application/json, */*;q=0.5"})
    assert (head.status, head.content_type) == (get.status, get.content_type) == (200, get.content_type)
    assert head.body == b""
    assert int(head.headers["Content-Length"]) > 0  # blank node labels make the description's length vary


# ------------------------------------------------------------------ compression
def test_a_large_json_answer_is_gzipped_when_asked(live_server: LiveServer) -> None:
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 500"
    path = "/sparql?" + urllib.parse.urlencode({"query": query})
    plain = live_server.request(path)
    zipped = live_server.request(path, headers={"Accept-Encoding": "gzip"})
    assert plain.status == zipped.status == 200, plain.text
    assert plain.headers.get("Content-Encoding") is None
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"] and "Accept" in zipped.headers["Vary"]
    assert len(zipped.body) < len(plain.body) / 3
    assert gzip.decompress(zipped.body) == plain.body


def test_a_streamed_dump_is_gzipped_and_keeps_its_etag_per_encoding(live_server: LiveServer) -> None:
    plain = live_server.request("/dumps/evidencekg.nq")
    zipped = live_server.request("/dumps/evidencekg.nq", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.body) == plain.body
    etag = zipped.headers["ETag"]
    assert etag != plain.headers["ETag"]
    again = live_server.request("/dumps/evidencekg.nq", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status == 304 and again.body == b""


def test_errors_and_small_answers_are_not_compressed(live_server: LiveServer) -> None:
    small = live_server.request("/health", headers={"Accept-Encoding": "gzip"})
    error = live_server.request("/sparql?query=SELEC", headers={"Accept-Encoding": "gzip"})
    assert small.status == 200 and error.status == 400
    assert small.headers.get("Content-Encoding") is None and error.headers.get("Content-Encoding") is None
