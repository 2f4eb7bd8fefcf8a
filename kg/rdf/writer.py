"""Typed records -> RDF: one graph per source, one for the vocabulary, as N-Triples text.

The writer formats every triple as one N-Triples line (`kg.rdf.ntriples`) instead of building rdflib
objects, so a build streams graphs into the store's bulk loader at the store's own speed.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kg.namespaces import CODE_SYSTEMS, Iris
from kg.rdf.ntriples import BlankNodes, Graph, checked_iri, literal, plain, tagged, typed
from kg.rdf.parts import PartWriter
from kg.rdf.vocab import (
    CLAIM_CLASSES,
    DC,
    ENUMS,
    EV,
    FALSE,
    LABEL,
    MATCH,
    OWL_,
    PROV_,
    RDFS_,
    SEVERITY,
    SKOS_,
    SOURCE_CLASSES,
    TRUE,
    XSD_,
    A,
    Minter,
)
from kg.sources import records
from kg.sources.loader import LoadedSource
from kg.sources.terms import TermIndex

RELATIONS = (("also_under", RDFS_.subClassOf), ("overlaps", EV.partlyOverlaps), ("opposes", EV.opposes))
"""Term relations (format 1.1): the record field and the property it is written as."""


class GraphWriter(PartWriter):
    """Writes records into one graph of N-Triples lines, minting IRIs under the configured base."""

    def label(self, term_id: str) -> str:
        entry = self.terms.entries.get(term_id)
        return entry.term.label if entry else term_id.replace("-", " ")

    # ---------------------------------------------------------------- terms
    def term(self, term: records.Term) -> str:
        """A term as an OWL class under its parents, with labels, components and codes."""
        add, node = self.add, self.mint.term(term.id)
        label = tagged(term.label, "en")
        add(node, A, OWL_.Class)
        add(node, LABEL, label)
        add(node, SKOS_.prefLabel, label)
        add(node, DC.identifier, plain(term.id))
        for synonym in term.synonyms:
            add(node, SKOS_.altLabel, tagged(synonym, "en"))
        if term.definition:
            add(node, SKOS_.definition, tagged(term.definition, "en"))
        for parent in term.parent:
            add(node, RDFS_.subClassOf, self.mint.term(parent))
        for component in term.components:
            restriction = self.blanks.new()
            add(restriction, A, OWL_.Restriction)
            add(restriction, OWL_.onProperty, EV.hasComponent)
            add(restriction, OWL_.someValuesFrom, self.mint.term(component))
            add(node, RDFS_.subClassOf, restriction)
        for code in term.codes:
            self.code(node, code)
        for other in term.overlaps:
            add(node, EV.partlyOverlaps, self.mint.term(other))
        for other in term.opposes:
            add(node, EV.opposes, self.mint.term(other))
        return node

    def relation(self, source: str, relation: records.Relation) -> None:
        """What a source says about a term declared elsewhere, each statement annotated with the source."""
        node = self.mint.term(relation.term)
        for name, prop in RELATIONS:
            for other in getattr(relation, name):
                target = self.mint.term(other)
                self.add(node, prop, target)
                axiom = self.blanks.new()
                self.add(axiom, A, OWL_.Axiom)
                self.add(axiom, OWL_.annotatedSource, node)
                self.add(axiom, OWL_.annotatedProperty, prop)
                self.add(axiom, OWL_.annotatedTarget, target)
                self.add(axiom, PROV_.wasDerivedFrom, source)

    def code(self, node: str, code: records.Code) -> None:
        """A mapping to an external code, annotated with where it was checked (never owl:sameAs)."""
        local = code.code.split(":", 1)[1] if ":" in code.code else code.code
        target = checked_iri(CODE_SYSTEMS[code.system].format(local))
        self.add(node, MATCH[code.match], target)
        self.add(node, SKOS_.notation, plain(f"{code.system}:{code.code.split(':')[-1]}"))
        if code.source:
            axiom = self.blanks.new()
            self.add(axiom, A, OWL_.Axiom)
            self.add(axiom, OWL_.annotatedSource, node)
            self.add(axiom, OWL_.annotatedProperty, MATCH[code.match])
            self.add(axiom, OWL_.annotatedTarget, target)
            self.add(axiom, DC.source, plain(code.source))

    # ---------------------------------------------------------------- sources
    def source(self, loaded: LoadedSource) -> str:
        """The source document, its text, the authorities it cites, its terms and claims."""
        add, src = self.add, loaded.record.source
        node = self.mint.source(src.id)
        add(node, A, SOURCE_CLASSES[src.kind])
        add(node, LABEL, plain(src.title))
        add(node, DC.title, plain(src.title))
        add(node, DC.identifier, plain(src.id))
        self.value(node, DC.publisher, src.publisher)
        for author in src.authors:
            add(node, DC.creator, plain(author))
        self.value(node, DC.issued, src.issued)
        self.value(node, DC.modified, src.modified)
        self.value(node, EV.shortTitle, src.short_title)
        self.value(node, EV.retrieved, src.retrieved)
        if src.url:
            add(node, EV.url, typed(src.url, XSD_.anyURI))
        self.value(node, DC.contributor, src.curated_by)
        add(node, EV.formatVersion, literal(loaded.record.version))
        add(node, EV.curationFile, plain(loaded.path.name))
        if src.supersedes:
            add(node, EV.supersedes, self.mint.source(src.supersedes))
        if loaded.text is not None:
            self.text(node, src.id, loaded.text)
        for cited in src.cites:
            self.cited(node, cited)
        for term in loaded.record.terms:
            self.term(term)
        for relation in loaded.record.relations:
            self.relation(node, relation)
        for claim in loaded.record.claims:
            self.claim(loaded, claim)
        return node

    def text(self, node: str, source_id: str, text: str) -> None:
        text_node = self.mint.text(source_id)
        self.add(node, EV.text, text_node)
        self.add(text_node, A, EV.SourceText)
        self.add(text_node, DC.format, plain("text/plain"))
        self.add(text_node, EV.fullText, plain(text))

    def cited(self, node: str, cited: records.CitedAuthority) -> None:
        agent = self.mint.agent(cited.id)
        self.add(node, EV.cites, agent)
        self.add(agent, A, EV.CitedAuthority)
        self.add(agent, LABEL, plain(cited.title))
        if cited.url:
            self.add(agent, EV.url, typed(cited.url, XSD_.anyURI))

    # ---------------------------------------------------------------- claims
    def claim(self, loaded: LoadedSource, claim: Any) -> str:
        """One claim: an n-ary node with population, intervention, details, quote, provenance."""
        add, term = self.add, self.mint.term
        node = self.mint.claim(loaded.id, claim.id)
        add(node, A, CLAIM_CLASSES[claim.kind])
        add(node, LABEL, plain(self.claim_label(claim)))
        add(node, DC.identifier, plain(claim.id))
        add(node, EV.source, self.mint.source(loaded.id))
        for agent in claim.attributed_to:
            add(node, EV.attributedTo, self.mint.agent(agent))
        add(node, EV.intervention, term(claim.intervention))
        self.value(node, EV.note, claim.note)
        self.value(node, EV.locator, claim.locator)
        self.population(node, claim.population)
        fields = claim.__dict__  # the kinds have different fields: look them up without pydantic's __getattr__
        self.details(node, claim.kind, fields)
        self.effect(node, fields.get("effect"))
        self.dose(node, fields.get("dose"))
        self.span(node, EV.duration, "duration", fields.get("duration"))
        self.span(node, EV.timepoint, "timepoint", fields.get("timepoint"))
        self.timing(node, fields.get("timing"))
        self.quote(loaded, node, claim)
        return node

    def details(self, node: str, kind: str, fields: dict[str, Any]) -> None:
        """The kind-specific fields: stance, line, grading, related terms, severity, frequency."""
        add, term = self.add, self.mint.term
        for name in ("direction", "line", "strength", "certainty", "finding"):
            value = fields.get(name)
            if value:
                add(node, EV[name], ENUMS[name][value])
        for name, prop in (("examples", EV.example), ("alternatives", EV.alternative), ("purpose", EV.purpose)):
            for ref in fields.get(name, ()):
                add(node, prop, term(ref))
        for name in ("comparator", "outcome"):
            value = fields.get(name)
            if value:
                add(node, EV[name], term(value))
        if kind == "recommendation":
            add(node, EV.exclusive, TRUE if fields["exclusive"] else FALSE)
            self.value(node, EV.publishedStrength, fields["published_strength"])
        if kind in SEVERITY:
            add(node, EV.severity, SEVERITY[kind])
        self.value(node, EV.frequency, fields.get("frequency"))
        self.value(node, EV.serious, fields.get("serious"))
        for study in fields.get("studies", ()):
            add(node, EV.study, plain(study))

    def claim_label(self, claim: Any) -> str:
        """A one-line human label: 'recommendation for NSAID (first line), back spasm, acute'."""
        fields = claim.__dict__
        parts = [claim.kind.replace("-", " ")]
        if fields.get("direction"):
            parts.append(fields["direction"].replace("-", " "))
        parts.append(self.label(claim.intervention))
        if fields.get("line"):
            parts.append(f"({fields['line']} line)")
        if fields.get("outcome"):
            parts.append(f"on {self.label(fields['outcome'])}")
        if claim.population is not None:
            parts.append(f"in {self.label(claim.population.condition)}")
            parts.extend(self.label(s) for s in claim.population.subgroup)
            if claim.population.phases:
                parts.append(f"({' or '.join(claim.population.phases)})")
        return " ".join(parts)

    def population(self, node: str, population: records.Population | None) -> None:
        if population is None:
            return
        add, term = self.add, self.mint.term
        add(node, EV.condition, term(population.condition))
        for phase in population.phases:
            add(node, EV.phase, ENUMS["phase"][phase])
        for ref in population.subgroup:
            add(node, EV.subgroup, term(ref))
        for ref in population.underlying:
            add(node, EV.underlyingCondition, term(ref))


class Writer:
    """Turns the vocabulary and loaded sources into graphs; blank node labels are unique per writer."""

    def __init__(self, iris: Iris, terms: TermIndex) -> None:
        checked_iri(f"{iris.base}id/")  # a base that makes no IRI fails here, not in the store
        self.mint, self.terms, self.blanks = Minter(iris), terms, BlankNodes()

    def vocabulary(self, terms: Iterable[records.Term]) -> Graph:
        """The shared vocabulary (terms declared in ontology/vocabulary.yaml) as a graph."""
        writer = GraphWriter(self.mint, self.terms, self.blanks, Graph(self.mint.graph("vocabulary")))
        for term in terms:
            writer.term(term)
        return writer.graph

    def declared_terms(self, terms: TermIndex, declaring: dict[Path, str]) -> list[Graph]:
        """The terms and term relations that source files declare, each in its file's source graph."""
        graphs: dict[str, GraphWriter] = {}
        for entry in terms:
            source_id = declaring.get(entry.path)
            if source_id is not None:
                self._in(graphs, source_id).term(entry.term)
        for related in terms.relations:
            source_id = declaring.get(related.path)
            if source_id is not None:
                self._in(graphs, source_id).relation(self.mint.source(source_id), related.relation)
        return [writer.graph for writer in graphs.values()]

    def _in(self, graphs: dict[str, GraphWriter], source_id: str) -> GraphWriter:
        """The writer of a source's graph, made on first use."""
        name = self.mint.graph(f"source/{source_id}")
        if name not in graphs:
            graphs[name] = GraphWriter(self.mint, self.terms, self.blanks, Graph(name))
        return graphs[name]

    def source(self, loaded: LoadedSource) -> Graph:
        """One source file as its own graph."""
        graph = Graph(self.mint.graph(f"source/{loaded.id}"))
        GraphWriter(self.mint, self.terms, self.blanks, graph).source(loaded)
        return graph
