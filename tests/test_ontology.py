"""The ontology and vocabulary: consistent under HermiT and Pellet, shapes hold on the seeds and catch breakage."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDFS

from kg.build import Dataset, shacl_findings
from kg.namespaces import EVKG
from kg.owl.reasoner import classify
from kg.project import Project

TERM = "https://w3id.org/evidencekg/id/term/"


def tbox(project: Project, dataset: Dataset) -> list[Graph]:
    return [dataset.graphs[str(project.iris.ontology_graph)], dataset.graphs[str(project.iris.vocabulary_graph)]]


@pytest.fixture(scope="module")
def hermit(project: Project, seed_dataset: Dataset):  # type: ignore[no-untyped-def]
    return classify(tbox(project, seed_dataset))


def test_ontology_and_vocabulary_are_consistent_under_hermit(hermit) -> None:  # type: ignore[no-untyped-def]
    assert hermit.consistent
    assert hermit.unsatisfiable == []


def test_hermit_classifies_through_the_hierarchy_and_definitions(hermit) -> None:  # type: ignore[no-untyped-def]
    pairs = hermit.subsumptions
    assert (TERM + "ibuprofen", str(EVKG.PharmacologicIntervention)) in pairs
    assert (TERM + "ibuprofen", TERM + "nsaid") in pairs
    # a defined class: any term with a component is classified as a combination therapy
    assert (TERM + "cyclobenzaprine-ibuprofen-combination", str(EVKG.CombinationTherapy)) in pairs


def test_pellet_agrees_with_hermit_on_the_seed_terms(project: Project, seed_dataset: Dataset, hermit) -> None:  # type: ignore[no-untyped-def]
    pellet = classify(tbox(project, seed_dataset), "pellet")
    assert pellet.consistent and pellet.unsatisfiable == []
    assert set(pellet.subsumptions) == set(hermit.subsumptions)


def test_pellet_reports_the_curation_mistake_too(project: Project, seed_dataset: Dataset) -> None:
    mistake = Graph()
    mistake.add((URIRef(TERM + "ibuprofen"), RDFS.subClassOf, URIRef(TERM + "heat-therapy")))
    assert TERM + "ibuprofen" in classify([*tbox(project, seed_dataset), mistake], "pellet").unsatisfiable


def test_disjointness_catches_a_curation_mistake(project: Project, seed_dataset: Dataset) -> None:
    graphs = tbox(project, seed_dataset)
    mistake = Graph()
    mistake.add((URIRef(TERM + "ibuprofen"), RDFS.subClassOf, URIRef(TERM + "heat-therapy")))
    report = classify([*graphs, mistake])
    assert TERM + "ibuprofen" in report.unsatisfiable


def test_ontology_file_is_owl_for_protege(project: Project) -> None:
    graph = Graph().parse(project.ontology)
    assert (URIRef("https://w3id.org/evidencekg/ontology"), None, None) in graph
    assert Path(project.ontology).suffix == ".ttl"


def test_seed_graphs_conform_to_the_shapes(project: Project, seed_dataset: Dataset) -> None:
    assert shacl_findings(project, seed_dataset) == []


def test_shapes_catch_a_claim_without_direction(project: Project, seed_dataset: Dataset) -> None:
    name = "https://w3id.org/evidencekg/graph/source/livestrong-back-spasm"
    broken = Graph()
    broken += seed_dataset.graphs[name]
    claim = URIRef("https://w3id.org/evidencekg/id/claim/livestrong-back-spasm.nsaids-only-for-acute")
    broken.remove((claim, EVKG.direction, None))
    graphs = dict(seed_dataset.graphs)
    graphs[name] = broken
    findings = shacl_findings(project, Dataset(graphs, seed_dataset.sources, seed_dataset.terms))
    assert [f.focus for f in findings] == [str(claim)]
    assert "direction" in findings[0].message
