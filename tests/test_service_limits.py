"""Protection: a runaway query is killed at its timeout while other queries keep being answered,
its worker is replaced; results over the byte limit are refused, never truncated; SERVICE and
FROM are refused unless allowed (the lexical check, including attempts to hide the keyword); CORS."""

from __future__ import annotations

import json
import os
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from support import (
    MAX_RESULT_BYTES,
    QUERY_TIMEOUT,
    ROOT,
    LiveServer,
    Reply,
    assert_error_shape,
    query_workers,
    wait_until,
)

from kg.namespaces import PREFIXES
from kg.store.oxigraph import derive_generation
from service.app import create_app
from service.errors import BadRequest, Forbidden
from service.guard import check_query

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
SIMPLE = "ASK { ?s a evkg:Recommendation }"


@pytest.fixture(scope="module")
def server(live_server: LiveServer) -> LiveServer:
    """The session's server on the reasoned seeds (tests/conftest.py)."""
    return live_server


def query(server: LiveServer, text: str, timeout: float = 30) -> Reply:
    return server.request("/sparql?" + urllib.parse.urlencode({"query": text}), timeout=timeout)


def wait_for_idle_workers(server: LiveServer, count: int = 2, seconds: float = 20) -> dict[str, Any]:
    """/health's account of the query workers, once exactly `count` of them are idle."""

    def idle() -> dict[str, Any] | None:
        health = dict(server.get("/health").json()["query_workers"])
        return health if health["idle"] == count else None

    return wait_until(idle, seconds, f"{count} idle query workers")


def test_a_runaway_query_is_stopped_at_its_timeout_while_others_are_answered(server: LiveServer) -> None:
    before = wait_for_idle_workers(server)
    workers = query_workers(server)
    with ThreadPoolExecutor(2) as pool:
        runaway = pool.submit(query, server, RUNAWAY)
        wait_for_idle_workers(server, 1)  # the runaway holds the other one
        simple = query(server, SIMPLE)
        stopped = runaway.result()
    assert simple.status == 200 and simple.json()["boolean"] is True
    assert simple.seconds < 1.0
    error = assert_error_shape(stopped, 503)
    assert "longer than 2 s" in error["detail"] and "stopped" in error["detail"]
    assert QUERY_TIMEOUT <= stopped.seconds < QUERY_TIMEOUT + 1.5
    after = wait_for_idle_workers(server)
    assert after["timeouts"] == int(before["timeouts"]) + 1  # type: ignore[call-overload]
    gone = workers - query_workers(server)
    assert len(gone) == 1 and after["running"] >= 2
    with pytest.raises(ProcessLookupError):
        os.kill(gone.pop(), 0)
    assert query(server, SIMPLE).status == 200


def test_when_every_worker_stays_busy_the_next_query_gets_503(server: LiveServer) -> None:
    wait_for_idle_workers(server)
    with ThreadPoolExecutor(3) as pool:
        runaways = [pool.submit(query, server, RUNAWAY) for _ in range(2)]
        wait_for_idle_workers(server, 0)  # both are held: a sleep here raced a busy machine
        waiting = query(server, SIMPLE)
        statuses = [r.result().status for r in runaways]
    assert statuses == [503, 503]
    assert "busy" in assert_error_shape(waiting, 503)["detail"]
    assert waiting.headers.get("Retry-After") == "5"
    wait_for_idle_workers(server)


def test_a_result_over_the_byte_limit_is_refused_not_truncated(server: LiveServer) -> None:
    reply = query(server, "SELECT * WHERE { ?s ?p ?o }")
    error = assert_error_shape(reply, 507)
    assert str(MAX_RESULT_BYTES) in error["detail"]
    small = query(server, "SELECT * WHERE { ?s ?p ?o } LIMIT 10")
    assert small.status == 200 and len(small.json()["results"]["bindings"]) == 10


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "select * where { sErViCe silent <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE # a comment\n <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "PREFIX local: <http://127.0.0.1:9/> SELECT * WHERE { SERVICE local:sparql { ?s ?p ?o } }",
        "SELECT * WHERE { BIND(<http://127.0.0.1:9/sparql> AS ?e) SERVICE ?e { ?s ?p ?o } }",
        "SELECT * WHERE { ?x ?y ?z FILTER(?y<?z)SERVICE#>\n<http://127.0.0.1:9/sparql>{ ?s ?p ?o } }",
    ],
    ids=["plain", "case-silent", "comment", "prefixed-name", "variable", "hidden-after-less-than"],
)
def test_service_to_an_endpoint_not_allowed_is_refused(server: LiveServer, text: str) -> None:
    reply = query(server, text)
    assert_error_shape(reply, 400)


def test_service_to_an_allowed_endpoint_runs(server: LiveServer) -> None:
    endpoint = server.env["EVKG_SERVICE_ALLOWLIST"]
    text = (
        f"SELECT ?n WHERE {{ SERVICE <{endpoint}> {{ SELECT (COUNT(*) AS ?n) WHERE {{ ?s a evkg:Recommendation }} }} }}"
    )
    reply = query(server, text)
    assert reply.status == 200, reply.text
    assert int(reply.json()["results"]["bindings"][0]["n"]["value"]) > 10


def test_from_a_graph_outside_the_store_is_refused(server: LiveServer) -> None:
    outside = query(server, "SELECT * FROM <http://127.0.0.1:9/data.ttl> WHERE { ?s ?p ?o } LIMIT 1")
    inside = query(server, "SELECT * FROM <https://w3id.org/evidencekg/graph/ontology> WHERE { ?s ?p ?o } LIMIT 1")
    assert "FROM" in assert_error_shape(outside, 400)["detail"]
    assert inside.status == 200 and len(inside.json()["results"]["bindings"]) == 1


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { ?s ?p 'SERVICE <http://127.0.0.1:9/>' }",
        "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://127.0.0.1:9/>",
        "SELECT * WHERE { ?s <http://www.w3.org/ns/prov#wasDerivedFrom> ?o }",
        "SELECT * WHERE { ?s evkg:service ?o . ?service ?p ?o }",
        'SELECT * WHERE { ?s ?p """FROM <x:y>\nSERVICE""" }',
    ],
)
def test_the_keywords_inside_strings_comments_iris_and_names_are_not_refused(text: str) -> None:
    shape = check_query(text, PREFIXES, (), ())
    assert shape.form == "SELECT" and not shape.services and not shape.datasets


def test_updates_are_recognized_as_such() -> None:
    with pytest.raises(Forbidden):
        check_query("PREFIX ex: <http://e/> LOAD <http://127.0.0.1:9/x.ttl>", PREFIXES, (), ())
    with pytest.raises(BadRequest):
        check_query("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> {} }", PREFIXES, ("http://other/",), ())


def test_cors_origins_from_the_settings() -> None:
    app = create_app({"cors_origins": "https://a.example, https://b.example", "queries": str(ROOT / "queries")})
    client = app.test_client()
    allowed = client.get("/openapi.json", headers={"Origin": "https://b.example"})
    other = client.get("/openapi.json", headers={"Origin": "https://evil.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://b.example"
    assert "Origin" in allowed.headers["Vary"]
    assert "Access-Control-Allow-Origin" not in other.headers


def test_cors_allows_reads_from_any_origin_by_default(server: LiveServer) -> None:
    reply = server.request("/sparql?query=ASK%7B%7D", headers={"Origin": "https://example.org"})
    assert reply.headers["Access-Control-Allow-Origin"] == "*"
    preflight = server.request(
        "/sparql",
        method="OPTIONS",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert preflight.status == 200
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]


def test_a_new_store_generation_is_picked_up_without_a_restart(server: LiveServer) -> None:
    before = server.get("/health").json()["generation"]
    derive_generation(server.store, lambda store: None)
    after = server.get("/health").json()
    assert after["generation"] != before and after["triples"] > 5000
    assert query(server, SIMPLE).json()["boolean"] is True
    assert server.get("/id/term/nsaid", "text/turtle").status == 200


def test_each_query_is_logged_with_its_status_and_time(server: LiveServer) -> None:
    log = server.log.with_name(f"{server.log.stem}-queries.jsonl")
    marker = f"# query log test {time.monotonic_ns()}"
    good = f"SELECT ?s WHERE {{ ?s a evkg:Recommendation }} LIMIT 3 {marker}"
    csv = server.request("/sparql?" + urllib.parse.urlencode({"query": good}), headers={"Accept": "text/csv"})
    assert csv.status == 200
    assert query(server, f"SELECT ?s WHERE {{ {marker}").status == 400

    def lines() -> list[dict[str, object]]:
        found = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
        return [line for line in found if marker in str(line["query"])]

    logged = wait_until(lambda: len(lines()) == 2 and lines(), timeout=10)
    assert [(line["status"], line["rows"]) for line in logged] == [(200, 3), (400, None)]
    for line in logged:
        assert line["client"] == "127.0.0.1" and isinstance(line["ms"], float) and len(str(line["query_sha256"])) == 16
