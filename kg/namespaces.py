"""Namespaces of the vocabularies EvidenceKG reuses, and the IRIs it mints under its base."""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

ROOTS: dict[str, tuple[str, str]] = {
    "intervention": ("Intervention", "intervention"),
    "pharmacologic": ("PharmacologicIntervention", "intervention"),
    "non-pharmacologic": ("NonPharmacologicIntervention", "intervention"),
    "procedure": ("Procedure", "intervention"),
    "care-process": ("CareProcess", "intervention"),
    "condition": ("Condition", "condition"),
    "outcome": ("Outcome", "outcome"),
    "population-group": ("PopulationGroup", "population-group"),
}
"""Root slug -> (ontology class local name, term kind)."""

EVKG = Namespace("https://w3id.org/evidencekg/ontology#")
ONTOLOGY_IRI = URIRef("https://w3id.org/evidencekg/ontology")
OA = Namespace("http://www.w3.org/ns/oa#")
OBO = Namespace("http://purl.obolibrary.org/obo/")
SCHEMA = Namespace("http://schema.org/")
VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

PREFIXES: dict[str, str] = {
    "evkg": str(EVKG),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "prov": str(PROV),
    "oa": str(OA),
    "obo": str(OBO),
    "schema": str(SCHEMA),
    "void": str(VOID),
}

CODE_SYSTEMS: dict[str, str] = {
    "rxnorm": "http://purl.bioontology.org/ontology/RXNORM/{}",
    "chebi": "http://purl.obolibrary.org/obo/CHEBI_{}",
    "mondo": "http://purl.obolibrary.org/obo/MONDO_{}",
    "mesh": "http://id.nlm.nih.gov/mesh/{}",
    "snomedct": "http://snomed.info/id/{}",
    "icd10": "http://purl.bioontology.org/ontology/ICD10/{}",
    "umls": "http://purl.bioontology.org/ontology/UMLS/{}",
    "ncit": "http://purl.obolibrary.org/obo/NCIT_{}",
}
"""Code system -> IRI template; the code's own prefix (`CHEBI:`) is stripped first."""


def code_iri(system: str, code: str) -> URIRef:
    """The IRI of an external code, e.g. ('chebi', 'CHEBI:15365') -> obo:CHEBI_15365."""
    local = code.split(":", 1)[1] if ":" in code else code
    return URIRef(CODE_SYSTEMS[system].format(local))


class Iris:
    """IRIs minted under one base: /id/<kind>/<slug> for resources, /graph/<name> for graphs."""

    def __init__(self, base: str) -> None:
        self.base = base if base.endswith("/") else base + "/"

    def resource(self, kind: str, slug: str) -> URIRef:
        return URIRef(f"{self.base}id/{kind}/{slug}")

    def source(self, source_id: str) -> URIRef:
        return self.resource("source", source_id)

    def text(self, source_id: str) -> URIRef:
        return self.resource("text", source_id)

    def claim(self, source_id: str, claim_id: str) -> URIRef:
        return self.resource("claim", f"{source_id}.{claim_id}")

    def agent(self, agent_id: str) -> URIRef:
        return self.resource("agent", agent_id)

    def term(self, term_id: str) -> URIRef:
        if term_id in ROOTS:
            return EVKG[ROOTS[term_id][0]]
        return self.resource("term", term_id)

    def graph(self, name: str) -> URIRef:
        return URIRef(f"{self.base}graph/{name}")

    def source_graph(self, source_id: str) -> URIRef:
        return self.graph(f"source/{source_id}")

    @property
    def ontology_graph(self) -> URIRef:
        return self.graph("ontology")

    @property
    def vocabulary_graph(self) -> URIRef:
        return self.graph("vocabulary")
