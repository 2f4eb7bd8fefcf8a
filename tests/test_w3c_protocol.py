"""The W3C SPARQL 1.1 Protocol tests (tests/w3c/protocol/manifest.ttl, 34 tests) against the real
service: query requests at /sparql, update requests at the token-protected /update (on only when
EVKG_UPDATE_TOKEN is set). Then the update endpoint's own guarantees: the token, LOAD and SERVICE
refused, the protocol's using-graph-uri turned into USING clauses, and no /update without a token.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from w3c.protocol import ProtocolCase, protocol_cases, run_protocol_case
from w3c.server import ConformanceServer, start_server

from kg.store.oxigraph import write_generation
from service.app import create_app
from service.errors import BadRequest
from service.update import with_using

TOKEN = "w3c-protocol-test-token"
CASES = protocol_cases()
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", params=[False, True], ids=["union-off", "union-on"])
def server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[ConformanceServer]:
    """The service on the standard dataset, then with the union default graph that users get."""
    folder = tmp_path_factory.mktemp("w3c-protocol")
    running = start_server(folder, {"EVKG_UPDATE_TOKEN": TOKEN}, union=request.param)
    yield running
    running.stop()


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_protocol(server: ConformanceServer, case: ProtocolCase) -> None:
    assert run_protocol_case(server, case, TOKEN) is None


def test_the_manifest_has_34_tests_14_of_them_updates() -> None:
    assert len(CASES) == 34
    assert sum(c.is_update for c in CASES) == 14


def post_update(server: ConformanceServer, text: str, token: str | None = TOKEN) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/sparql-update"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(server.url + "/update", data=text.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.parametrize("token", [None, "wrong-token", ""])
def test_an_update_without_the_token_is_refused_401(server: ConformanceServer, token: str | None) -> None:
    status, body = post_update(server, "INSERT DATA { <http://example/s> <http://example/p> 1 }", token)
    assert status == 401
    assert b"Bearer" in body


def test_load_is_refused_because_it_would_fetch_from_the_web(server: ConformanceServer) -> None:
    status, body = post_update(server, "LOAD <http://example.org/data.ttl>")
    assert status == 403
    assert b"LOAD" in body


def test_service_in_an_update_is_held_to_the_allowlist(server: ConformanceServer) -> None:
    text = "INSERT { ?s ?p ?o } WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"
    assert post_update(server, text)[0] == 400


def test_a_failed_update_changes_nothing(server: ConformanceServer) -> None:
    before = sorted(p.name for p in server.store.glob("gen-*"))
    status, body = post_update(server, "CREATE GRAPH <http://example/g> ; CREATE GRAPH <http://example/g>")
    assert status == 400, body
    assert sorted(p.name for p in server.store.glob("gen-*")) == before


def test_without_a_token_there_is_no_update_endpoint(tmp_path: Path) -> None:
    write_generation(tmp_path / "store", lambda _: None)
    app = create_app({"store": str(tmp_path / "store"), "queries": str(ROOT / "queries"), "update_token": ""})
    reply = app.test_client().post("/update", data="CLEAR ALL", content_type="application/sparql-update")
    assert reply.status_code == 404


USING = ("http://example/a",)
NAMED = ("http://example/b",)


@pytest.mark.parametrize(
    ("update", "expected"),
    [
        (
            "INSERT { ?s a ?o } WHERE { ?s a ?o }",
            "INSERT { ?s a ?o } USING <http://example/a> USING NAMED <http://example/b> WHERE { ?s a ?o }",
        ),
        (
            "DELETE WHERE { ?s ?p ?o } ; INSERT DATA { <x> <y> <z> }",
            "DELETE WHERE { ?s ?p ?o } ; INSERT DATA { <x> <y> <z> }",
        ),
        (
            "CLEAR ALL ; delete { ?s ?p ?o } where { { SELECT ?s WHERE { ?s ?p ?o } } }",
            "CLEAR ALL ; delete { ?s ?p ?o } USING <http://example/a> USING NAMED <http://example/b> where "
            "{ { SELECT ?s WHERE { ?s ?p ?o } } }",
        ),
        (
            'INSERT { ?s <p> "WHERE" } WHERE { ?s ?p ?o } # WHERE',
            'INSERT { ?s <p> "WHERE" } USING <http://example/a> USING NAMED <http://example/b> '
            "WHERE { ?s ?p ?o } # WHERE",
        ),
    ],
)
def test_using_graph_uri_becomes_using_before_each_top_level_where(update: str, expected: str) -> None:
    assert with_using(update, USING, NAMED) == expected


@pytest.mark.parametrize(
    "update",
    [
        "WITH <http://example/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "INSERT { ?s ?p ?o } USING <g> WHERE { ?s ?p ?o }",
    ],
)
def test_a_dataset_in_both_the_request_and_the_update_is_refused(update: str) -> None:
    with pytest.raises(BadRequest):
        with_using(update, USING, ())
    assert with_using(update, (), ()) == update
