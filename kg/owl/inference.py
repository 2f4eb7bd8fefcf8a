"""The inferred graph: the OWL reasoner's subsumption closure and what follows from it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from kg.errors import ReasonerError
from kg.namespaces import EVKG, Iris
from kg.owl.reasoner import Reasoner, ReasonerReport, classify
from kg.project import Finding
from kg.store.base import Store, constructed


@dataclass
class Inference:
    """The reasoner's report and the triples of the inferred graph."""

    report: ReasonerReport
    triples: list[tuple[URIRef, URIRef, URIRef]]


def tbox_from_store(store: Store, iris: Iris, tbox_query: str) -> Graph:
    """The ontology graph plus every class declared anywhere in the store, as rdflib."""
    ontology = ox.serialize(store.triples(str(iris.ontology_graph)), format=ox.RdfFormat.N_TRIPLES) or b""
    found = constructed(store.query(tbox_query, base_iri=iris.base, hints=True))
    terms = ox.serialize(found, format=ox.RdfFormat.N_TRIPLES) or b""
    # One document, so that a blank node both parts name stays one node.
    return Graph().parse(data=ontology + terms, format="nt")


SYMMETRIC = (EVKG.partlyOverlaps, EVKG.opposes)
"""Term relations the rules use but the OWL reasoner never sees (format 1.1)."""


def without_relations(tbox: Graph) -> tuple[Graph, list[tuple[URIRef, URIRef, URIRef]]]:
    """The tbox without the symmetric term relations, and those relations both ways."""
    kept, both_ways = Graph(), []
    for s, p, o in tbox:
        if p in SYMMETRIC and isinstance(s, URIRef) and isinstance(o, URIRef):
            both_ways.extend([(s, URIRef(str(p)), o), (o, URIRef(str(p)), s)])
        else:
            kept.add((s, p, o))
    return kept, both_ways


def infer(tbox: Graph, reasoner: Reasoner = "hermit") -> Inference:
    """Classify with the OWL reasoner and derive the closure, `evkg:coveredBy` and `evkg:overlaps`;
    the symmetric term relations go into the closure both ways, past the reasoner."""
    tbox, relations = without_relations(tbox)
    report = classify([tbox], reasoner)
    if not report.consistent or report.unsatisfiable:
        return Inference(report, [])
    named = {s for s in tbox.subjects(RDF.type, OWL.Class) if isinstance(s, URIRef)}
    check_named(report, named)
    ancestors: dict[URIRef, set[URIRef]] = defaultdict(set)
    for sub, sup in report.subsumptions:
        ancestors[URIRef(sub)].add(URIRef(sup))
    for cls in named:
        ancestors[cls].add(cls)
    triples = [(sub, RDFS.subClassOf, sup) for sub, sups in ancestors.items() for sup in sups]
    covered = list(covered_by(tbox, ancestors))
    triples.extend((x, EVKG.coveredBy, y) for x, y in covered)
    related = {(a, b) for a, _, b in triples} | set(covered)
    triples.extend((a, EVKG.overlaps, b) for pair in related for a, b in (pair, pair[::-1]))
    triples.extend(relations)
    # What a graph already asserts is left out, so that the union default graph holds each triple
    # once and a query over it counts a subclass once (not once per graph that states it).
    return Inference(report, sorted(set(triples) - set(tbox) - set(relations[::2])))  # type: ignore[arg-type]


def check_named(report: ReasonerReport, named: set[URIRef]) -> None:
    """Refuse a closure naming a class the terms do not declare (an IRI the reasoner invented)."""
    known = {str(iri) for iri in named} | {str(OWL.Thing), str(OWL.Nothing)}
    invented = sorted({iri for pair in report.subsumptions for iri in pair} - known)
    if invented:
        raise ReasonerError(
            f"{report.reasoner} concluded about classes no term declares ({', '.join(invented[:5])}): "
            "a class expression in the ontology or the terms could not be read; nothing was written"
        )


def components(tbox: Graph) -> dict[URIRef, set[URIRef]]:
    """Direct components of each combination term (from hasComponent restrictions)."""
    found: dict[URIRef, set[URIRef]] = defaultdict(set)
    for term, restriction in tbox.subject_objects(RDFS.subClassOf):
        if isinstance(restriction, BNode) and (restriction, OWL.onProperty, EVKG.hasComponent) in tbox:
            filler = tbox.value(restriction, OWL.someValuesFrom)
            if isinstance(filler, URIRef) and isinstance(term, URIRef):
                found[term].add(filler)
    return found


def covered_by(tbox: Graph, ancestors: dict[URIRef, set[URIRef]]) -> Iterable[tuple[URIRef, URIRef]]:
    """(x, y) where advice about intervention y applies to x: x below y, or a component of x below y."""
    parts = components(tbox)
    for term, ups in ancestors.items():
        if EVKG.Intervention not in ups:
            continue
        covering = set(ups)
        for up in ups:  # a combination inherits the components of the combinations above it
            for component in parts.get(up, ()):
                covering |= ancestors.get(component, {component})
        for target in covering:
            if EVKG.Intervention in ancestors.get(target, set()) and target != EVKG.Intervention:
                yield term, target


def explain_unsatisfiable(tbox: Graph, report: ReasonerReport, declared_in: dict[str, str]) -> list[Finding]:
    """Name the disjoint classes an unsatisfiable term falls under, and the file it came from."""
    disjoint = _disjoint_pairs(tbox)
    findings = []
    for iri in report.unsatisfiable:
        term = URIRef(iri)
        ups = set(tbox.transitive_objects(term, RDFS.subClassOf)) - {term}
        clashes = sorted(f"{_name(a)} and {_name(b)}" for a, b in disjoint if a in ups and b in ups)
        where = declared_in.get(iri, "an unknown file")
        why = "; ".join(clashes) if clashes else "its axioms (run the reasoner with an explanation tool)"
        findings.append(
            Finding("reasoner", iri, f"unsatisfiable: it is below disjoint classes {why}; declared in {where}")
        )
    if not report.consistent:
        findings.append(Finding("reasoner", "ontology", f"inconsistent: {report.message}"))
    return findings


def _disjoint_pairs(tbox: Graph) -> set[tuple[URIRef, URIRef]]:
    pairs: set[tuple[URIRef, URIRef]] = set()
    for a, b in tbox.subject_objects(OWL.disjointWith):
        pairs.add((a, b))  # type: ignore[arg-type]
    for group in tbox.subjects(RDF.type, OWL.AllDisjointClasses):
        head = tbox.value(group, OWL.members)
        members = list(tbox.items(head)) if head is not None else []
        pairs.update((a, b) for i, a in enumerate(members) for b in members[i + 1 :])  # type: ignore[misc]
    return pairs


def _name(iri: URIRef) -> str:
    return str(iri).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
