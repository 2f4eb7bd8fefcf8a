"""/ontology: the ontology's IRIs (`…/ontology#Recommendation`) dereference to its documentation, HTML
for people (one section per class and property: label, definition, links to standard terms) and the
ontology graph in any RDF format by content negotiation."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox
from flask import Response, render_template, request

from kg.namespaces import EVKG, ONTOLOGY_IRI
from kg.sparql.results import short
from service.context import Services
from service.descriptions import serialize
from service.linked_data import LocalLink, alternates, text
from service.negotiation import HTML, RDF_FORMATS, negotiate

OFFERED = (HTML, *RDF_FORMATS)
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
KINDS = {
    f"{OWL}Class": "Classes",
    f"{OWL}ObjectProperty": "Object properties",
    f"{OWL}DatatypeProperty": "Datatype properties",
    f"{OWL}AnnotationProperty": "Annotation properties",
    f"{OWL}NamedIndividual": "Individuals (code values)",
}
LABEL, DEFINITION = f"{RDFS}label", f"{SKOS}definition"
LINKS = {
    f"{RDFS}subClassOf": "subclass of",
    f"{RDFS}subPropertyOf": "subproperty of",
    f"{RDF}type": "type",
    f"{RDFS}domain": "domain",
    f"{RDFS}range": "range",
    f"{OWL}equivalentClass": "equivalent to",
    f"{SKOS}exactMatch": "exact match",
    f"{SKOS}closeMatch": "close match",
}
"""Predicates shown as links on each term, in this order, with their label."""


@dataclass
class Term:
    """One class, property or individual of the ontology, as its section of the documentation."""

    iri: str
    anchor: str
    kind: str = ""
    label: str = ""
    definition: str = ""
    links: list[tuple[str, str, str]] = field(default_factory=list)
    """(relation, shown value, href) for every link of LINKS."""


def ontology_triples(services: Services) -> list[ox.Triple]:
    """The ontology graph, as the store holds it (read once per store generation)."""
    graph = str(services.iris.ontology_graph)
    return services.cached("ontology", lambda store: list(store.triples(graph)))  # type: ignore[no-any-return]


def own_terms(triples: list[ox.Triple], local: LocalLink) -> list[Term]:
    """The ontology's own terms (IRIs under the evkg: namespace), sorted by kind and name."""
    by_subject: dict[str, list[ox.Triple]] = defaultdict(list)
    for triple in triples:
        if isinstance(triple.subject, ox.NamedNode) and triple.subject.value.startswith(str(EVKG)):
            by_subject[triple.subject.value].append(triple)
    terms = [term_of(iri, found, local) for iri, found in by_subject.items()]
    order = list(KINDS.values())
    return sorted(terms, key=lambda t: (order.index(t.kind) if t.kind in order else len(order), t.anchor))


def term_of(iri: str, triples: list[ox.Triple], local: LocalLink) -> Term:
    """A term's section: its kind, label, definition and links (blank nodes shown as `[…]`)."""
    term = Term(iri, iri.removeprefix(str(EVKG)))
    for t in triples:
        predicate, value = t.predicate.value, t.object
        if predicate == f"{RDF}type" and text(value) in KINDS and not term.kind:
            term.kind = KINDS[text(value)]
        elif predicate == LABEL and not term.label:
            term.label = text(value)
        elif predicate == DEFINITION:
            term.definition = text(value)
    term.links = [link(t, local) for p in LINKS for t in triples if t.predicate.value == p and not skipped(t)]
    return term


def skipped(triple: ox.Triple) -> bool:
    """A type that only restates the term's kind (owl:Class, owl:ObjectProperty ...)."""
    return triple.predicate.value == f"{RDF}type" and text(triple.object) in (*KINDS, f"{OWL}FunctionalProperty")


def link(triple: ox.Triple, local: LocalLink) -> tuple[str, str, str]:
    """(relation, shown value, href) for one link; a blank node (a class expression) has no href."""
    obj = triple.object
    if isinstance(obj, ox.NamedNode):
        return LINKS[triple.predicate.value], short(obj), local(obj.value)
    return LINKS[triple.predicate.value], "[a class expression]", ""


class OntologyView:
    """GET /ontology: the documentation (HTML) or the ontology graph (RDF), by negotiation."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.local = LocalLink(services.iris.base)

    def ontology(self) -> Response:
        chosen = negotiate(request.headers.get("Accept"), request.args.get("format"), OFFERED)
        triples = ontology_triples(self.services)
        body = self.page(triples).encode() if chosen is HTML else serialize(triples, chosen.name)
        response = Response(body, content_type=chosen.content_type)
        response.vary.add("Accept")
        response.headers["Link"] = alternates(request.path, str(ONTOLOGY_IRI))
        return response

    def page(self, triples: list[ox.Triple]) -> str:
        about = {t.predicate.value: text(t.object) for t in triples if text(t.subject) == str(ONTOLOGY_IRI)}
        sections: dict[str, list[Term]] = defaultdict(list)
        for term in own_terms(triples, self.local):
            sections[term.kind or "Other terms"].append(term)
        return render_template(
            "ontology.html",
            iri=str(ONTOLOGY_IRI),
            namespace=str(EVKG),
            about=about,
            sections=sections,
            formats=RDF_FORMATS,
        )
