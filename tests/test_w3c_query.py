"""W3C SPARQL 1.1 query-evaluation tests (13 directories of tests/w3c/) through the running service,
once on the standard dataset and once with the union default graph (tests/w3c/server.py).

Each test loads its data with `evkg load` into a fresh store, makes it the served store's live
generation, asks its query over HTTP with SPARQLWrapper and compares the answer with the expected
result as the suite defines it (see tests/w3c/runner.py and tests/w3c/results.py). Failures that
are pyoxigraph's, not the service's, are strict xfails from runner.KNOWN_FAILURES.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from w3c.manifest import QUERY_DIRECTORIES, QueryCase, query_cases
from w3c.results import Solutions, literal, same_results
from w3c.runner import KNOWN_FAILURES, ordered, run_case
from w3c.server import ConformanceServer, start_server

CASES = query_cases()


def params() -> list[object]:
    marks = {case_id: pytest.mark.xfail(strict=True, reason=reason) for case_id, reason in KNOWN_FAILURES.items()}
    return [pytest.param(c, id=c.id, marks=marks.get(c.id, ())) for c in CASES]


@pytest.fixture(scope="module", params=[False, True], ids=["union-off", "union-on"])
def conformance(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[ConformanceServer]:
    """The suite on the standard dataset, then with the union default graph that users get (each test's
    dataset then asked for by the protocol or the query's FROM, which must replace the union)."""
    server = start_server(tmp_path_factory.mktemp("w3c-query"), union=request.param)
    yield server
    server.stop()


@pytest.mark.parametrize("case", params())
def test_query_evaluation(conformance: ConformanceServer, case: QueryCase) -> None:
    outcome = run_case(conformance, case)
    assert outcome.passed, outcome.detail


def test_the_suite_has_the_229_tests_of_the_13_directories() -> None:
    assert len(CASES) == 229
    assert {c.directory for c in CASES} == set(QUERY_DIRECTORIES)
    assert len({c.id for c in CASES}) == 229


def test_every_known_failure_names_a_test_and_a_reason() -> None:
    ids = {c.id for c in CASES}
    assert set(KNOWN_FAILURES) <= ids
    assert all(len(reason) > 40 for reason in KNOWN_FAILURES.values())


def test_the_copied_suite_keeps_its_licence() -> None:
    licence = Path(__file__).resolve().parent / "w3c" / "LICENSE.md"
    assert "LICENSES FOR W3C TEST SUITES" in licence.read_text()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SELECT * { ?s ?p ?o } ORDER BY ?s", True),
        ("select * { ?s ?p ?o } order  by desc(?o)", True),
        ("SELECT * { { SELECT ?s { ?s ?p ?o } ORDER BY ?s LIMIT 2 } ?s ?q ?r }", False),
        ('SELECT * { ?s ?p "ORDER BY" } # ORDER BY ?s', False),
    ],
)
def test_ordered_comparison_only_for_a_top_level_order_by(query: str, expected: bool) -> None:
    assert ordered(query) is expected


NUM = "http://www.w3.org/2001/XMLSchema#"


def lit(lexical: str, datatype: str) -> tuple[object, ...]:
    return literal(lexical, NUM + datatype, None)


@pytest.mark.parametrize(
    ("left", "right", "equal"),
    [
        (lit("1.0", "decimal"), lit("1", "decimal"), True),
        (lit("1.0E0", "double"), lit("1", "double"), True),
        (lit("01", "integer"), lit("1", "integer"), True),
        (lit("P0D", "dayTimeDuration"), lit("PT0S", "dayTimeDuration"), True),
        (lit("1", "integer"), lit("1.0", "decimal"), False),
        (lit("1", "integer"), lit("2", "integer"), False),
        (lit("a", "string"), lit("A", "string"), False),
    ],
)
def test_numbers_and_durations_compare_by_value_within_their_datatype(
    left: tuple[object, ...], right: tuple[object, ...], equal: bool
) -> None:
    one, other = Solutions(("x",), ((left,),)), Solutions(("x",), ((right,),))
    assert (same_results(one, other, ordered=False) is None) is equal


def test_blank_nodes_match_by_isomorphism_not_by_label() -> None:
    a, b, c = ("bnode", "a"), ("bnode", "b"), ("bnode", "c")
    iri = ("iri", "http://example/x")
    expected = Solutions(("s", "o"), ((a, a), (b, iri)))
    assert same_results(expected, Solutions(("s", "o"), ((c, iri), (b, b))), ordered=False) is None
    assert same_results(expected, Solutions(("s", "o"), ((b, iri), (b, b))), ordered=False) is not None
    assert same_results(expected, Solutions(("s", "o"), ((b, iri), (c, b))), ordered=False) is not None


def test_order_matters_only_when_asked() -> None:
    one, two = ("iri", "http://example/1"), ("iri", "http://example/2")
    expected, actual = Solutions(("x",), ((one,), (two,))), Solutions(("x",), ((two,), (one,)))
    assert same_results(expected, actual, ordered=False) is None
    assert same_results(expected, actual, ordered=True) is not None


def test_the_conformance_server_describes_its_default_graph(conformance: ConformanceServer) -> None:
    request = urllib.request.Request(conformance.endpoint, headers={"Accept": "application/n-triples"})
    with urllib.request.urlopen(request, timeout=30) as response:
        description = response.read().decode()
    assert "sparql-service-description#SPARQL11Query" in description
    assert ("UnionDefaultGraph" in description) is conformance.union
