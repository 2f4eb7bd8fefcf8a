"""`evkg reason` is idempotent and deterministic: run again on an unchanged store, it writes the same
inferred and conflicts graphs; findings never become input; no IRI the reasoner invented is kept."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from kg.conflicts import reason
from kg.errors import ReasonerError
from kg.namespaces import EVKG
from kg.owl.inference import infer
from kg.project import Project
from kg.store.oxigraph import OxigraphStore

RUN = ox.NamedNode("urn:x-test:run")


def written_graphs(path: Path, project: Project) -> set[tuple[str, ox.Triple]]:
    """The inferred and conflicts graphs, with the run's IRI made one constant and its own triples dropped."""
    store = OxigraphStore.open(path, read_only=True)
    names = (str(project.iris.graph("inferred")), str(project.iris.graph("conflicts")))
    graphs = {name: list(store.triples(name)) for name in names}
    kind = ox.NamedNode(str(EVKG.ReasoningRun))
    runs = {t.subject for triples in graphs.values() for t in triples if t.object == kind}
    found = set()
    for name, triples in graphs.items():
        for triple in triples:
            if triple.subject not in runs:
                target = RUN if triple.object in runs else triple.object
                found.add((name, ox.Triple(triple.subject, triple.predicate, target)))
    return found


def test_reasoning_three_times_writes_the_same_graphs(project: Project, writable_store: Path, tmp_path: Path) -> None:
    outcomes = []
    for _ in range(3):
        reason(project, writable_store, tmp_path / "no-reviews.yaml")
        outcomes.append(written_graphs(writable_store, project))
    assert outcomes[0] == outcomes[1] == outcomes[2]
    assert len(outcomes[0]) > 1000


def test_no_finding_addresses_a_clinical_question(project: Project, writable_store: Path, tmp_path: Path) -> None:
    for _ in range(2):
        reason(project, writable_store, tmp_path / "no-reviews.yaml")
    store = OxigraphStore.open(writable_store, read_only=True)
    ask = "ASK { GRAPH ?g { ?finding evkg:rule ?rule } ?finding evkg:addresses ?question }"
    assert not store.query(ask, union_default_graph=True)


def test_combination_terms_classify_under_combination_therapy(
    project: Project, writable_store: Path, tmp_path: Path
) -> None:
    reason(project, writable_store, tmp_path / "no-reviews.yaml")
    store = OxigraphStore.open(writable_store, read_only=True)
    inferred = str(project.iris.graph("inferred"))
    term = str(project.iris.resource("term", "cyclobenzaprine-nsaid-combination"))
    supers = {
        row["sup"].value
        for row in store.query(
            f"SELECT ?sup WHERE {{ GRAPH <{inferred}> {{ <{term}> rdfs:subClassOf ?sup }} }}", union_default_graph=False
        )
    }
    assert str(EVKG.CombinationTherapy) in supers
    assert not [iri for iri in supers if "owlapi" in iri]


def test_a_class_expression_the_reasoner_cannot_read_fails_the_run() -> None:
    """A restriction with no property, shared by two terms: HermiT's parser names it an error class."""
    tbox = Graph()
    restriction = BNode()
    tbox.add((restriction, RDF.type, OWL.Restriction))
    for slug in ("a", "b"):
        term = URIRef(f"https://w3id.org/evidencekg/id/term/{slug}")
        tbox.add((term, RDF.type, OWL.Class))
        tbox.add((term, RDFS.label, Literal(slug)))
        tbox.add((term, RDFS.subClassOf, restriction))
    with pytest.raises(ReasonerError, match="no term declares"):
        infer(tbox)
