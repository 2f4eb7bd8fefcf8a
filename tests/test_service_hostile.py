"""Bad input never gets a 5xx: malformed IRIs and unknown filter values are 400 with the one error shape
(404 on an /id/ path), a query nested past the depth limit is 400 before it reaches a query worker, a
syntax error asked for as HTML is 400 in HTML; then a bounded, derandomized schemathesis run over
/openapi.json (0 server errors), and that document names every route and method of the app."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from support import ROOT, LiveServer, assert_error_shape

from kg.namespaces import PREFIXES
from kg.sparql.lexer import tokenize
from kg.store.oxigraph import snapshot
from service.app import create_app
from service.guard import MAX_DEPTH, nesting, scan
from service.openapi import openapi_document

EXAMPLES = 25
"""Schemathesis examples per operation: a few hundred requests in all, within a minute."""


# ------------------------------------------------------------------ filters and IRIs
@pytest.mark.parametrize(
    ("query", "phrase"),
    [
        ("intervention=a%20b", "unknown intervention 'a b'"),
        ("condition=%3Cx%3E", "unknown condition '<x>'"),
        ("type=bogus", "unknown type 'bogus'"),
        ("source=bogus", "unknown source 'bogus'"),
        ("status=bogus", "unknown status 'bogus'"),
        ("type=first-line-conflict&type=bogus", "unknown type 'bogus'"),
        ("all=maybe", "`all` takes 1 or 0"),
    ],
)
@pytest.mark.parametrize("path", ["/api/conflicts", "/api/conflicts.csv", "/conflicts"])
def test_an_unknown_or_malformed_filter_value_is_400(
    live_server: LiveServer, path: str, query: str, phrase: str
) -> None:
    reply = live_server.request(f"{path}?{query}", headers={"Accept": "application/json"})
    assert phrase in assert_error_shape(reply, 400)["detail"]


def test_the_400_for_a_filter_lists_the_valid_values(live_server: LiveServer) -> None:
    detail = assert_error_shape(live_server.get("/api/conflicts", type="bogus"), 400)["detail"]
    assert "first-line-conflict" in detail and "direct-contradiction" in detail
    status = assert_error_shape(live_server.get("/api/conflicts", status="bogus"), 400)["detail"]
    assert "explained-by-context" in status


@pytest.mark.parametrize(
    "query",
    [
        "type=dose-discordance",
        "status=dismissed",
        "intervention=nsaid",
        "source=livestrong-back-spasm",
        "all=0",
        "all=",
    ],
)
def test_a_known_filter_value_is_200_even_when_nothing_matches(live_server: LiveServer, query: str) -> None:
    reply = live_server.request(f"/api/conflicts?{query}")
    assert reply.status == 200, reply.text
    assert isinstance(reply.json(), list)


@pytest.mark.parametrize("slug", ["a%20b", "a%3Cb%3E", "x%7By%7D", "%22"])
def test_an_id_path_that_is_no_iri_is_404(live_server: LiveServer, slug: str) -> None:
    reply = live_server.request(f"/id/claim/{slug}", headers={"Accept": "application/json"})
    assert "not an IRI" in assert_error_shape(reply, 404)["detail"]


@pytest.mark.parametrize("path", ["/id/source/livestrong-back-spasm", "/void", "/.well-known/sparql-examples"])
def test_an_unknown_format_is_400(live_server: LiveServer, path: str) -> None:
    assert "unknown format" in assert_error_shape(live_server.get(path, format="bogus"), 400)["detail"]


def test_a_syntax_error_asked_for_as_html_is_400_in_html(live_server: LiveServer) -> None:
    reply = live_server.get("/sparql", "text/html", query="SELEC * WHERE { ?s ?p ?o }")
    assert reply.status == 400 and reply.content_type == "text/html"
    assert "malformed SPARQL query" in reply.text
    assert live_server.get("/sparql", "text/html", query="ASK {}").status == 406  # a good query: no such format


# ------------------------------------------------------------------ nesting
DEEP = {
    "groups": lambda n: "SELECT * WHERE " + "{" * n + " ?s ?p ?o " + "}" * n,
    "parentheses": lambda n: "SELECT * WHERE { FILTER(" + "(" * n + "true" + ")" * n + ") }",
    "calls": lambda n: "SELECT * WHERE { BIND(" + "STR(" * n + "1" + ")" * n + " AS ?x) }",
    "exists": lambda n: "ASK { " + "FILTER EXISTS { " * n + "}" * n + " }",
    "blank nodes": lambda n: "SELECT * WHERE { ?s ?p " + "[ <p> " * n + "1" + " ]" * n + " }",
    "negations": lambda n: "SELECT * WHERE { FILTER(" + "!" * n + "true) }",
    "hidden in an IRI": lambda n: "SELECT * WHERE { FILTER(?a<" + "(" * n + "1" + ")" * n + ">0) }",
}


@pytest.mark.parametrize("shape", list(DEEP))
def test_nesting_counts_every_kind_of_bracket_and_negation(shape: str) -> None:
    assert nesting(tokenize(DEEP[shape](200))) >= 200
    assert scan(DEEP[shape](5), PREFIXES).depth <= 7


def test_nesting_is_not_fooled_by_strings_comments_or_comparisons() -> None:
    text = 'SELECT * WHERE { ?s ?p "((((((" FILTER(?a != 1 && !BOUND(?b)) } # {{{{{{{{'
    assert nesting(tokenize(text)) == 3


def test_a_query_at_the_depth_limit_runs(live_server: LiveServer) -> None:
    query = DEEP["groups"](MAX_DEPTH)
    assert scan(query, PREFIXES).depth == MAX_DEPTH
    reply = live_server.get("/sparql", "application/sparql-results+json", query=query + " LIMIT 1")
    assert reply.status == 200, reply.text
    deeper = live_server.get("/sparql", "application/sparql-results+json", query=DEEP["groups"](MAX_DEPTH + 1))
    assert assert_error_shape(deeper, 400)["detail"].startswith(f"the query nests {MAX_DEPTH + 1} levels")


# ------------------------------------------------------------------ the OpenAPI document, and schemathesis
@pytest.fixture(scope="module")
def app(reasoned_seed_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app in-process over a copy of the reasoned seeds, with the update endpoint on."""
    store = tmp_path_factory.mktemp("hostile") / "store"
    snapshot(reasoned_seed_store, store)
    config = {"store": str(store), "queries": str(ROOT / "queries"), "query_timeout": 5, "update_token": "t0ken"}
    built = create_app(config)
    yield built
    built.extensions["evkg"].close()


@pytest.mark.parametrize("shape", list(DEEP))
def test_a_query_nested_5000_deep_is_400_and_no_worker_dies(app: Flask, shape: str) -> None:
    """In-process, with the default request size limit (the test servers' is too small for these)."""
    client, pool = app.test_client(), app.extensions["evkg"].pool
    assert client.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200  # the workers are up
    killed = pool.stats.killed
    reply = client.post("/sparql", data={"query": DEEP[shape](5000)})
    assert reply.status_code == 400, reply.text
    assert f"at most {MAX_DEPTH}" in reply.get_json()["error"]["detail"]
    assert pool.stats.killed == killed


def documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method.upper()) for path, operations in document["paths"].items() for method in operations}


def test_openapi_documents_every_route_and_method(app: Flask) -> None:
    routes = {
        (re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    document = app.test_client().get("/openapi.json").get_json()
    assert routes == documented(document)
    assert ("/sparql", "POST") in routes and ("/update", "POST") in routes


OPERATIONS = sorted(documented(openapi_document("http://localhost/", update=True)))


@pytest.fixture(scope="module")
def api_schema(app: Flask) -> Any:
    return schemathesis.openapi.from_wsgi("/openapi.json", app)


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_no_request_the_openapi_document_allows_gets_a_server_error(api_schema: Any, path: str, method: str) -> None:
    """Schemathesis on each operation, bounded (EXAMPLES each) and derandomized: no 5xx anywhere."""

    @given(case=api_schema[path][method].as_strategy())
    @settings(
        max_examples=EXAMPLES, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def call(case: Any) -> None:
        case.call_and_validate(checks=[not_a_server_error])

    call()


@pytest.mark.parametrize(
    "chain",
    [
        lambda n: "SELECT * WHERE { " + " UNION ".join(["{ ?s a evkg:NoSuchClass }"] * n) + " }",
        lambda n: "SELECT (" + " + ".join(["1"] * n) + " AS ?x) WHERE {}",
        lambda n: "SELECT * WHERE { ?s ?p ?o " + " ".join(["FILTER(true)"] * n) + " }",
    ],
    ids=["unions", "sums", "filters"],
)
def test_a_long_flat_chain_is_refused_before_a_worker_parses_it(app: Flask, chain: Any) -> None:
    """20,000 elements of a flat chain killed a query worker (500); the token limit refuses it (400)."""
    client, sparql = app.test_client(), "application/sparql-query"
    reply = client.post("/sparql", data=chain(20_000), content_type=sparql)
    assert reply.status_code == 400 and reply.get_json()["error"]["detail"].startswith("the query has ")
    assert client.post("/sparql", data=chain(50), content_type=sparql).status_code == 200
