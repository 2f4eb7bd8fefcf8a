"""Instance types up the class hierarchy: `evkg reason` adds to the inferred graph every superclass of
an instance's stated class (queries/reasoning/types.rq), so `?c a evkg:Claim` finds every claim,
and never a type some graph already states, so the union default graph counts each type once."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from support import ROOT

from kg.project import Project
from kg.sparql.queries import QueryRegistry
from kg.store.base import constructed
from kg.store.oxigraph import OxigraphStore

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
TYPES = QueryRegistry(ROOT / "queries").resolve("reasoning/types").text


def count(store: OxigraphStore, query: str) -> int:
    return int(next(iter(store.query(query)))["n"].value)


@pytest.mark.parametrize(
    ("stated", "general"),
    [
        ("?c evkg:source ?s", "evkg:Claim"),
        ("?c evkg:source ?s ; a evkg:Recommendation", "evkg:Recommendation"),
        ("?c evkg:source ?s ; a ?k VALUES ?k { evkg:Contraindication evkg:Caution }", "evkg:SafetyClaim"),
        ("?c a evkg:CitedAuthority", "prov:Agent"),
        ("?c dcterms:title ?t ; evkg:curationFile ?f", "evkg:Source"),
        ("?c evkg:rule ?r", "evkg:ConflictFinding"),
    ],
)
def test_a_general_class_finds_every_instance_once(reasoned_seeds: OxigraphStore, stated: str, general: str) -> None:
    expected = count(reasoned_seeds, f"SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ {stated} }}")
    assert expected > 0
    assert count(reasoned_seeds, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?c a {general} }}") == expected


def test_inferred_types_repeat_no_stated_type(reasoned_seeds: OxigraphStore, project: Project) -> None:
    inferred = str(project.iris.graph("inferred"))
    types = [t for t in reasoned_seeds.triples(inferred) if t.predicate == RDF_TYPE]
    clash = f"""SELECT (COUNT(*) AS ?n) WHERE {{
      GRAPH <{inferred}> {{ ?s a ?t }} GRAPH ?g {{ ?s a ?t }} FILTER (?g != <{inferred}>) }}"""
    assert len(types) > 100 and count(reasoned_seeds, clash) == 0


def test_the_types_query_derives_exactly_the_inferred_types(reasoned_seeds: OxigraphStore, project: Project) -> None:
    """Run without the inferred graph's types, it gives back those of instances (the clinical questions'
    type is stated by queries/reasoning/questions.rq); on the reasoned store, nothing is left to derive."""
    inferred = ox.NamedNode(str(project.iris.graph("inferred")))
    question = ox.NamedNode("https://w3id.org/evidencekg/ontology#ClinicalQuestion")
    bare, expected = OxigraphStore.in_memory(), set()
    for quad in reasoned_seeds.store.quads_for_pattern(None, None, None, None):
        if quad.graph_name == inferred and quad.predicate == RDF_TYPE:
            expected |= {ox.Triple(quad.subject, quad.predicate, quad.object)} if quad.object != question else set()
        else:
            bare.store.add(quad)
    assert expected
    assert set(constructed(bare.query(TYPES, base_iri=project.iris.base))) == expected
    assert list(constructed(reasoned_seeds.query(TYPES, base_iri=project.iris.base))) == []
