"""Every query file in queries/ parses, has its header, and runs on the seed graph."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.project import Project
from kg.sparql.queries import QueryRegistry
from kg.store.oxigraph import OxigraphStore

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = QueryRegistry(ROOT / "queries")
SAMPLE = {"intervention": "nsaid", "condition": "back-muscle-spasm", "source": "livestrong-back-spasm"}


@pytest.fixture(scope="module")
def reasoned(reasoned_seeds: OxigraphStore) -> OxigraphStore:
    """The seeds, built and reasoned once per session (so the conflicts and inferred graphs exist)."""
    return reasoned_seeds


@pytest.mark.parametrize("name", sorted(q.name for q in REGISTRY), ids=str)
def test_query_has_header_and_runs(name: str, reasoned: OxigraphStore, project: Project) -> None:
    query = REGISTRY.queries[name]
    assert query.title and query.title != name, "add a `# title:` line"
    assert len(query.description) > 20, "add a `# description:` line"
    bindings = query.bindings({p.name: SAMPLE[p.name] for p in query.parameters if not p.optional}, project.iris)
    result = reasoned.query(query.text, bindings=bindings, base_iri=project.iris.base)
    rows = list(result)
    if name.endswith("-violation"):
        assert rows == [], f"data check {name} fires on the seeds: {rows[:3]}"
    elif not name.startswith(
        (
            "conflicts/supersession",
            "conflicts/strength",
            "conflicts/certainty",
            "conflicts/dose",
            "conflicts/duration",
            "conflicts/evidence",
            "conflicts/direct",
            "conflicts/recommendation-vs-safety",  # the seeds' cautions are their own: qualifications
            "reasoning/types",  # nothing left to derive once reasoned: tests/test_instance_types.py
        )
    ):
        assert rows, f"{name} returns nothing on the seeds"


def test_example_queries_run_for_one_source(reasoned: OxigraphStore, project: Project) -> None:
    query = REGISTRY.queries["claims-with-quotes"]
    rows = list(reasoned.query(query.text, bindings=query.bindings({"source": "droracle-back-spasm"}, project.iris)))
    assert rows and all("droracle" in str(row["claim"]) for row in rows)


def test_a_data_check_fires_on_bad_data(reasoned: OxigraphStore) -> None:
    broken = OxigraphStore.in_memory()
    for quad in reasoned.store.quads_for_pattern(None, None, None, None):
        broken.store.add(quad)
    claim = next(
        iter(
            reasoned.store.quads_for_pattern(
                None, ox.NamedNode("https://w3id.org/evidencekg/ontology#example"), None, None
            )
        )
    ).subject
    broken.store.add(
        ox.Quad(
            claim,
            ox.NamedNode("https://w3id.org/evidencekg/ontology#example"),
            ox.NamedNode("https://w3id.org/evidencekg/id/term/heat-therapy"),
        )
    )
    rows = list(broken.query(REGISTRY.queries["checks/example-not-member-violation"].text))
    assert [row["focus"] for row in rows] == [claim]


def test_the_term_kind_check_fires_on_a_condition_that_is_an_intervention(reasoned: OxigraphStore) -> None:
    broken = OxigraphStore.in_memory()
    broken.store.bulk_extend(reasoned.store.quads_for_pattern(None, None, None, None))
    condition = ox.NamedNode("https://w3id.org/evidencekg/ontology#condition")
    claim = next(iter(reasoned.store.quads_for_pattern(None, condition, None, None))).subject
    broken.store.add(ox.Quad(claim, condition, ox.NamedNode("https://w3id.org/evidencekg/id/term/heat-therapy")))
    assert not list(reasoned.query(REGISTRY.queries["checks/claim-term-kind-violation"].text))
    rows = list(broken.query(REGISTRY.queries["checks/claim-term-kind-violation"].text))
    assert [(row["focus"], "heat-therapy" in row["message"].value) for row in rows] == [(claim, True)]


def test_no_triple_is_stated_in_two_graphs_so_union_queries_count_it_once(reasoned: OxigraphStore) -> None:
    query = (
        "SELECT ?s ?p ?o WHERE { GRAPH ?g1 { ?s ?p ?o } GRAPH ?g2 { ?s ?p ?o } FILTER (STR(?g1) < STR(?g2)) } LIMIT 5"
    )
    assert list(reasoned.query(query)) == []


def test_a_named_query_over_the_union_repeats_no_row(reasoned: OxigraphStore) -> None:
    query = REGISTRY.queries["contraindications-and-cautions"]
    solutions = reasoned.query(query.text)
    rows = [tuple(str(row[v]) for v in solutions.variables) for row in solutions]
    assert rows and len(rows) == len(set(rows))


@pytest.mark.parametrize("name", sorted(q.name for q in REGISTRY.examples()), ids=str)
def test_named_queries_read_the_closure_instead_of_walking_a_path(name: str) -> None:
    """A path over rdfs:subClassOf walks a default graph of several graphs, which Virtuoso 7.2 gets wrong;
    `evkg reason` materializes the closure, one triple pattern away (docs/remote-stores.md)."""
    body = "\n".join(line.split("#", 1)[0] for line in REGISTRY.queries[name].text.splitlines())
    assert not re.search(r"rdfs:subClassOf\s*(\*|\+|\?(?!\w))", body)
