"""Run the W3C SPARQL 1.1 query-evaluation tests against the real service, over HTTP.

One `evkg serve` (gunicorn) runs for the whole run, on a store directory of its own, with
`EVKG_UNION_DEFAULT_GRAPH=false` (the standard dataset, whose default graph is only the store's default
graph) or, with `--union`, as users get it: the default graph is the union of all graphs, so each test
states its dataset, which must replace the union: the query's FROM / FROM NAMED when it has them, else
the protocol's `default-graph-uri` (the qt:data files, loaded as named graphs) and `named-graph-uri`.
For each test:

1. a fresh, empty store is made in a scratch directory, and `evkg load` adds the test's qt:data
   files to its default graph and each qt:graphData file to a named graph called by the file's
   IRI (the real click command, invoked in-process through click's CliRunner: the command's code
   path without the ~1 s interpreter start per file; `EVKG_W3C_LOAD=subprocess` runs the `evkg`
   executable instead);
2. the scratch store becomes a new live generation of the served store (`kg.store.oxigraph.snapshot`, the
   same atomic `current` swap `evkg build` makes), which the service's query workers pick up on
   their next query;
3. the query, with `BASE <its file's IRI>` put in front (the protocol has no base parameter), is
   asked with SPARQLWrapper: SPARQL JSON for SELECT / ASK, Turtle for CONSTRUCT / DESCRIBE;
4. the answer is compared with mf:result by tests/w3c/results.py (isomorphism; in order only when
   the query has a top-level ORDER BY; numeric literals by value).

`python -m tests.w3c.runner --report` runs every test and prints the pass counts per directory;
tests/test_w3c_query.py runs the same cases one pytest test each.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import rdflib
from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from kg.sparql.lexer import names_dataset
from service.guard import tokenize

from .manifest import QUERY_DIRECTORIES, QueryCase, query_cases
from .results import Solutions, from_graph, from_json, read_expected, same_results
from .server import ConformanceServer, install, start_server

_GROUP_CONCAT_LANG = (
    'pyoxigraph 0.5.13: GROUP_CONCAT of literals that share a language tag keeps the tag ("1 2"@en); '
    'the test expects a simple literal, so its FILTER(?g = "1 2") is false'
)
_EMPTY_PATH = (
    "pyoxigraph 0.5.13: a zero-length path ({op}) with a constant {end} on an empty dataset returns nothing; "
    "the test (added to rdf-tests after the Recommendation) expects the constant itself"
)
KNOWN_FAILURES: dict[str, str] = {
    "aggregates/agg-groupconcat-04": _GROUP_CONCAT_LANG,
    "aggregates/agg-groupconcat-06": _GROUP_CONCAT_LANG.replace("1 2", "1"),
    "aggregates/agg-empty-group-count-graph": (
        "pyoxigraph 0.5.13: an aggregate subquery inside GRAPH ?g is evaluated once over all graphs "
        "(one row, ?g unbound, count 2) instead of once per named graph (0 and 2)"
    ),
    "bindings/graph": (
        "pyoxigraph 0.5.13: VALUES inside GRAPH ?g that binds ?g itself: an UNDEF ?g is not bound to each "
        "graph name, and the rows are not joined with the graphs that contain them"
    ),
    "functions/bnode01": (
        "pyoxigraph 0.5.13: BNODE(str) gives the same blank node for the same string in different solutions; "
        "the spec wants a fresh one per solution"
    ),
    "negation/graph-minus": (
        "pyoxigraph 0.5.13: inside GRAPH ?g, MINUS treats the graph variable as shared by both sides, so the "
        "disjoint MINUS removes the solution it must keep"
    ),
    "property-path/zero_or_more_set_start": _EMPTY_PATH.format(op="*", end="object"),
    "property-path/zero_or_more_set_end": _EMPTY_PATH.format(op="*", end="subject"),
    "property-path/zero_or_one_set_start": _EMPTY_PATH.format(op="?", end="object"),
    "property-path/zero_or_one_set_end": _EMPTY_PATH.format(op="?", end="subject"),
}
"""Tests that fail for reasons that are not the service's to fix: test id -> reason.

Every one fails the same way when pyoxigraph runs the test in-process (no HTTP, no service), so
the fault is in the engine. Each becomes `pytest.mark.xfail(strict=True)`: a fix upstream shows
up as an XPASS failure, and the entry is then removed."""


@dataclass(frozen=True)
class Outcome:
    """One test's verdict: passed, or why not (with both results for the failure message)."""

    case: QueryCase
    passed: bool
    detail: str = ""


# ---------------------------------------------------------------------------------- the query
def ordered(query: str) -> bool:
    """True when the query has ORDER BY at the top level (not only inside a subquery)."""
    depth, previous = 0, ""
    for token in tokenize(query):
        if token.text == "{":
            depth += 1
        elif token.text == "}":
            depth -= 1
        elif depth == 0 and token.kind == "word" and previous == "ORDER" and token.text.upper() == "BY":
            return True
        previous = token.text.upper() if token.kind == "word" else ""
    return False


def protocol_dataset(server: ConformanceServer, case: QueryCase, text: str) -> tuple[list[str], list[str]]:
    """The default and named graphs to send with the query: none on the standard dataset or when the
    query has its own; else the test's files by their graph names (see server.install)."""
    if not server.union or names_dataset(text):
        return [], []
    named = [name for name, _ in case.graph_data]
    return [p.as_uri() for p in case.data], named


def ask(endpoint: str, query: str, dataset: tuple[list[str], list[str]] = ([], [])) -> Solutions:
    """Ask a query with SPARQLWrapper (content negotiation only, the dataset by the protocol) and read its answer."""
    wrapper = SPARQLWrapper(endpoint)
    for graph in dataset[0]:
        wrapper.addDefaultGraph(graph)
    for graph in dataset[1]:
        wrapper.addNamedGraph(graph)
    wrapper.setOnlyConneg(True)
    wrapper.setTimeout(60)
    wrapper.setQuery(query)
    graph_form = wrapper.queryType in ("CONSTRUCT", "DESCRIBE")
    wrapper.setReturnFormat(TURTLE if graph_form else JSON)
    result = wrapper.query()
    if graph_form:
        return from_graph(rdflib.Graph().parse(data=result.response.read(), format="turtle"))
    document = result.convert()
    assert isinstance(document, dict), f"not SPARQL JSON: {document!r:.200}"
    return from_json(document)


def run_case(server: ConformanceServer, case: QueryCase) -> Outcome:
    """Install the test's dataset, ask its query over HTTP, compare with the expected result."""
    expected = read_expected(case.result)
    install(server, case.data, case.graph_data)
    text = case.query.read_text(encoding="utf-8")
    try:
        actual = ask(server.endpoint, f"BASE <{case.base_iri}>\n{text}", protocol_dataset(server, case, text))
    except SPARQLWrapperException as exc:
        return Outcome(case, False, f"the service refused the query: {exc}")
    difference = same_results(expected, actual, ordered=ordered(text))
    if difference is None:
        return Outcome(case, True)
    return Outcome(case, False, f"{difference}\n--- expected\n{expected.describe()}\n--- actual\n{actual.describe()}")


# ---------------------------------------------------------------------------------- the report
def report(outcomes: list[Outcome]) -> str:
    """A Markdown table: per directory, tests, passed, known failures, unexpected failures."""
    totals: Counter[tuple[str, str]] = Counter()
    for outcome in outcomes:
        state = "passed" if outcome.passed else ("known" if outcome.case.id in KNOWN_FAILURES else "failed")
        totals[(outcome.case.directory, state)] += 1
        totals[("total", state)] += 1
    lines = ["| directory | tests | passed | known failures | unexpected failures |", "|---|---|---|---|---|"]
    for directory in (*QUERY_DIRECTORIES, "total"):
        counts = [totals[(directory, s)] for s in ("passed", "known", "failed")]
        name = f"**{directory}**" if directory == "total" else f"`{directory}`"
        lines.append(f"| {name} | {sum(counts)} | {counts[0]} | {counts[1]} | {counts[2]} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """`python -m tests.w3c.runner --report [--union] [--only ID-PREFIX]`: run the cases, print the table."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--report", action="store_true", help="print the per-directory table")
    parser.add_argument("--only", default="", help="run only tests whose id starts with this")
    parser.add_argument("--verbose", "-v", action="store_true", help="print each failure's detail")
    parser.add_argument("--union", action="store_true", help="serve with the union default graph (as users get it)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="evkg-w3c-") as folder:
        server = start_server(Path(folder), union=args.union)
        try:
            started = time.monotonic()
            outcomes = [run_case(server, c) for c in query_cases() if c.id.startswith(args.only)]
            seconds = time.monotonic() - started
        finally:
            server.stop()
    for outcome in outcomes:
        if not outcome.passed:
            known = KNOWN_FAILURES.get(outcome.case.id)
            print(f"FAIL {outcome.case.id}" + (f" (known: {known})" if known else ""))
            if args.verbose:
                print(outcome.detail + "\n")
    if args.report:
        print(report(outcomes))
    print(f"{sum(o.passed for o in outcomes)} of {len(outcomes)} passed in {seconds:.0f} s")
    unexpected = [o for o in outcomes if not o.passed and o.case.id not in KNOWN_FAILURES]
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
