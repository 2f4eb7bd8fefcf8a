"""Typed records -> RDF: one graph per source, one for the vocabulary (rdflib)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from kg import records
from kg.namespaces import EVKG, OA, PREFIXES, Iris, code_iri
from kg.sources import LoadedSource
from kg.terms import TermIndex
from kg.yamlio import Located

CLAIM_CLASSES = {
    "recommendation": EVKG.Recommendation,
    "evidence": EVKG.EvidenceClaim,
    "contraindication": EVKG.Contraindication,
    "caution": EVKG.Caution,
    "adverse-effect": EVKG.AdverseEffectClaim,
    "dose": EVKG.DoseStatement,
}
SOURCE_CLASSES = {
    "guideline": EVKG.Guideline,
    "systematic-review": EVKG.SystematicReview,
    "trial": EVKG.Trial,
    "drug-label": EVKG.DrugLabel,
    "clinical-answer": EVKG.ClinicalAnswer,
    "consumer-article": EVKG.ConsumerArticle,
}
ENUMS: dict[str, dict[str, URIRef]] = {
    "phase": {"acute": EVKG.Acute, "subacute": EVKG.Subacute, "chronic": EVKG.Chronic},
    "direction": {
        "for": EVKG.For,
        "against": EVKG.Against,
        "uncertain": EVKG.Uncertain,
        "no-recommendation": EVKG.NoRecommendation,
    },
    "line": {
        "first": EVKG.FirstLine,
        "second": EVKG.SecondLine,
        "later": EVKG.LaterLine,
        "last-resort": EVKG.LastResort,
        "adjunct": EVKG.Adjunct,
    },
    "strength": {"strong": EVKG.Strong, "conditional": EVKG.Conditional},
    "certainty": {
        "high": EVKG.HighCertainty,
        "moderate": EVKG.ModerateCertainty,
        "low": EVKG.LowCertainty,
        "very-low": EVKG.VeryLowCertainty,
    },
    "finding": {
        "benefit": EVKG.Benefit,
        "harm": EVKG.Harm,
        "no-difference": EVKG.NoDifference,
        "questioned": EVKG.Questioned,
    },
    "measure": {
        "relative-risk": EVKG.RelativeRisk,
        "odds-ratio": EVKG.OddsRatio,
        "hazard-ratio": EVKG.HazardRatio,
        "mean-difference": EVKG.MeanDifference,
        "standardized-mean-difference": EVKG.StandardizedMeanDifference,
        "unspecified-ratio": EVKG.UnspecifiedRatio,
    },
}
SEVERITY = {"contraindication": EVKG.Avoid, "caution": EVKG.UseWithCaution}
DAYS = {
    "hour": Decimal(1) / Decimal(24),
    "day": Decimal(1),
    "week": Decimal(7),
    "month": Decimal("30.4375"),
    "year": Decimal("365.25"),
}
MATCH = {"exact": SKOS.exactMatch, "close": SKOS.closeMatch, "broad": SKOS.broadMatch, "narrow": SKOS.narrowMatch}


def decimal(value: float | Decimal) -> Literal:
    """An xsd:decimal literal that keeps the written digits (1.5, not 1.5000000001)."""
    number = value if isinstance(value, Decimal) else Decimal(repr(value))
    return Literal(number.normalize() if number == number.to_integral() else number, datatype=XSD.decimal)


def new_graph() -> Graph:
    """An empty graph with the project's prefixes bound."""
    graph = Graph(bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


class GraphWriter:
    """Writes records into one rdflib graph, minting IRIs under the configured base."""

    def __init__(self, iris: Iris, terms: TermIndex, graph: Graph | None = None) -> None:
        self.iris, self.terms = iris, terms
        self.graph = graph if graph is not None else new_graph()

    def add(self, subject: URIRef | BNode, predicate: URIRef, value: Any) -> None:
        """Add a triple unless the value is None; plain Python values become literals."""
        if value is None:
            return
        if not isinstance(value, URIRef | BNode | Literal):
            value = Literal(value)
        self.graph.add((subject, predicate, value))

    def add_all(self, subject: URIRef, predicate: URIRef, values: Iterable[Any]) -> None:
        for value in values:
            self.add(subject, predicate, value)

    def label(self, term_id: str) -> str:
        entry = self.terms.entries.get(term_id)
        return entry.term.label if entry else term_id.replace("-", " ")

    # ---------------------------------------------------------------- terms
    def term(self, term: records.Term) -> URIRef:
        """A term as an OWL class under its parents, with labels, components and codes."""
        node = self.iris.term(term.id)
        self.add(node, RDF.type, OWL.Class)
        self.add(node, RDFS.label, Literal(term.label, lang="en"))
        self.add(node, SKOS.prefLabel, Literal(term.label, lang="en"))
        self.add(node, DCTERMS.identifier, term.id)
        self.add_all(node, SKOS.altLabel, (Literal(s, lang="en") for s in term.synonyms))
        self.add(node, SKOS.definition, Literal(term.definition, lang="en") if term.definition else None)
        self.add_all(node, RDFS.subClassOf, (self.iris.term(p) for p in term.parent))
        for component in term.components:
            restriction = BNode()
            self.add(restriction, RDF.type, OWL.Restriction)
            self.add(restriction, OWL.onProperty, EVKG.hasComponent)
            self.add(restriction, OWL.someValuesFrom, self.iris.term(component))
            self.add(node, RDFS.subClassOf, restriction)
        for code in term.codes:
            self.code(node, code)
        return node

    def code(self, node: URIRef, code: records.Code) -> None:
        """A mapping to an external code, annotated with where it was checked (never owl:sameAs)."""
        target = code_iri(code.system, code.code)
        self.add(node, MATCH[code.match], target)
        self.add(node, SKOS.notation, f"{code.system}:{code.code.split(':')[-1]}")
        if code.source:
            axiom = BNode()
            self.add(axiom, RDF.type, OWL.Axiom)
            self.add(axiom, OWL.annotatedSource, node)
            self.add(axiom, OWL.annotatedProperty, MATCH[code.match])
            self.add(axiom, OWL.annotatedTarget, target)
            self.add(axiom, DCTERMS.source, code.source)

    # ---------------------------------------------------------------- sources
    def source(self, loaded: LoadedSource) -> URIRef:
        """The source document, its text, the authorities it cites, its terms and claims."""
        src = loaded.record.source
        node = self.iris.source(src.id)
        self.add(node, RDF.type, SOURCE_CLASSES[src.kind])
        self.add(node, RDFS.label, src.title)
        self.add(node, DCTERMS.title, src.title)
        self.add(node, DCTERMS.identifier, src.id)
        self.add(node, DCTERMS.publisher, src.publisher)
        self.add_all(node, DCTERMS.creator, src.authors)
        self.add(node, DCTERMS.issued, src.issued)
        self.add(node, DCTERMS.modified, src.modified)
        self.add(node, EVKG.url, Literal(src.url, datatype=XSD.anyURI) if src.url else None)
        self.add(node, DCTERMS.contributor, src.curated_by)
        self.add(node, EVKG.formatVersion, loaded.record.version)
        self.add(node, EVKG.curationFile, loaded.path.name)
        if src.supersedes:
            self.add(node, EVKG.supersedes, self.iris.source(src.supersedes))
        if loaded.text is not None:
            text = self.iris.text(src.id)
            self.add(node, EVKG.text, text)
            self.add(text, RDF.type, EVKG.SourceText)
            self.add(text, DCTERMS.format, "text/plain")
            self.add(text, EVKG.fullText, loaded.text)
        for cited in src.cites:
            agent = self.iris.agent(cited.id)
            self.add(node, EVKG.cites, agent)
            self.add(agent, RDF.type, EVKG.CitedAuthority)
            self.add(agent, RDFS.label, cited.title)
            self.add(agent, EVKG.url, Literal(cited.url, datatype=XSD.anyURI) if cited.url else None)
        for term in loaded.record.terms:
            self.term(term)
        for claim in loaded.record.claims:
            self.claim(loaded, claim)
        return node

    # ---------------------------------------------------------------- claims
    def claim(self, loaded: LoadedSource, claim: Any) -> URIRef:
        """One claim: an n-ary node with population, intervention, details, quote, provenance."""
        node = self.iris.claim(loaded.id, claim.id)
        self.add(node, RDF.type, CLAIM_CLASSES[claim.kind])
        self.add(node, RDFS.label, self.claim_label(claim))
        self.add(node, DCTERMS.identifier, claim.id)
        self.add(node, EVKG.source, self.iris.source(loaded.id))
        self.add_all(node, EVKG.attributedTo, (self.iris.agent(a) for a in claim.attributed_to))
        self.add(node, EVKG.intervention, self.iris.term(claim.intervention))
        self.add(node, EVKG.note, claim.note)
        self.add(node, EVKG.locator, claim.locator)
        self.population(node, claim.population)
        for name in ("direction", "line", "strength", "certainty", "finding"):
            value = getattr(claim, name, None)
            self.add(node, EVKG[name], ENUMS[name][value] if value else None)
        for name, prop in (("examples", EVKG.example), ("alternatives", EVKG.alternative)):
            self.add_all(node, prop, (self.iris.term(t) for t in getattr(claim, name, [])))
        for name in ("comparator", "outcome"):
            value = getattr(claim, name, None)
            self.add(node, EVKG[name], self.iris.term(value) if value else None)
        if claim.kind == "recommendation":
            self.add(node, EVKG.exclusive, claim.exclusive)
            self.add(node, EVKG.publishedStrength, claim.published_strength)
        self.add(node, EVKG.severity, SEVERITY.get(claim.kind))
        self.add(node, EVKG.frequency, getattr(claim, "frequency", None))
        self.add(node, EVKG.serious, getattr(claim, "serious", None))
        self.add_all(node, EVKG.study, getattr(claim, "studies", []))
        self.effect(node, getattr(claim, "effect", None))
        self.dose(node, getattr(claim, "dose", None))
        self.span(node, EVKG.duration, "duration", getattr(claim, "duration", None))
        self.span(node, EVKG.timepoint, "timepoint", getattr(claim, "timepoint", None))
        self.quote(loaded, node, claim)
        return node

    def claim_label(self, claim: Any) -> str:
        """A one-line human label: 'recommendation for NSAID (first line), back spasm, acute'."""
        parts = [claim.kind.replace("-", " ")]
        if getattr(claim, "direction", None):
            parts.append(claim.direction.replace("-", " "))
        parts.append(self.label(claim.intervention))
        if getattr(claim, "line", None):
            parts.append(f"({claim.line} line)")
        if getattr(claim, "outcome", None):
            parts.append(f"on {self.label(claim.outcome)}")
        if claim.population is not None:
            parts.append(f"in {self.label(claim.population.condition)}")
            parts.extend(self.label(s) for s in claim.population.subgroup)
            if claim.population.phase:
                parts.append(f"({claim.population.phase})")
        return " ".join(parts)

    def population(self, node: URIRef, population: records.Population | None) -> None:
        if population is None:
            return
        self.add(node, EVKG.condition, self.iris.term(population.condition))
        self.add(node, EVKG.phase, ENUMS["phase"][population.phase] if population.phase else None)
        self.add_all(node, EVKG.subgroup, (self.iris.term(t) for t in population.subgroup))
        self.add_all(node, EVKG.underlyingCondition, (self.iris.term(t) for t in population.underlying))

    def effect(self, node: URIRef, effect: records.Effect | None) -> None:
        if effect is None:
            return
        estimate = URIRef(f"{node}#estimate")
        self.add(node, EVKG.estimate, estimate)
        self.add(estimate, RDF.type, EVKG.EffectEstimate)
        self.add(estimate, EVKG.measure, ENUMS["measure"][effect.measure])
        self.add(estimate, EVKG.value, decimal(effect.value))
        self.add(estimate, EVKG.approximate, effect.approximate or None)
        if effect.ci is not None:
            self.add(estimate, EVKG.ciLower, decimal(effect.ci[0]))
            self.add(estimate, EVKG.ciUpper, decimal(effect.ci[1]))
            self.add(estimate, EVKG.ciLevel, decimal(effect.ci_level))

    def dose(self, node: URIRef, dose: records.Dose | None) -> None:
        if dose is None:
            return
        target = URIRef(f"{node}#dose")
        self.add(node, EVKG.dose, target)
        self.add(target, RDF.type, EVKG.Dose)
        self.add(target, EVKG.doseMin, decimal(dose.min) if dose.min is not None else None)
        self.add(target, EVKG.doseMax, decimal(dose.max) if dose.max is not None else None)
        self.add(target, EVKG.doseUnit, dose.unit)
        self.add(target, EVKG.doseFrequency, dose.frequency)
        self.add(target, EVKG.note, dose.note)

    def span(self, node: URIRef, prop: URIRef, name: str, span: records.Span | None) -> None:
        if span is None:
            return
        target = URIRef(f"{node}#{name}")
        self.add(node, prop, target)
        self.add(target, RDF.type, EVKG.TimeSpan)
        self.add(target, EVKG.spanUnit, span.unit)
        for bound, value, days in (("spanMin", span.min, EVKG.minDays), ("spanMax", span.max, EVKG.maxDays)):
            if value is not None:
                self.add(target, EVKG[bound], decimal(value))
                self.add(target, days, decimal(Decimal(repr(value)) * DAYS[span.unit]))

    def quote(self, loaded: LoadedSource, node: URIRef, claim: Any) -> None:
        """The exact words as a W3C Web Annotation; offsets when verified against the text."""
        annotation, target = URIRef(f"{node}#quote"), URIRef(f"{node}#target")
        match = loaded.quotes.get(claim.id)
        self.add(node, EVKG.hasQuote, annotation)
        self.add(annotation, RDF.type, OA.Annotation)
        self.add(annotation, OA.motivatedBy, OA.describing)
        self.add(annotation, OA.hasBody, node)
        self.add(annotation, OA.hasTarget, target)
        self.add(annotation, EVKG.quoteVerified, match is not None)
        self.add(target, RDF.type, OA.SpecificResource)
        selector = URIRef(f"{node}#text-quote")
        self.add(target, OA.hasSelector, selector)
        self.add(selector, RDF.type, OA.TextQuoteSelector)
        if match is None:
            self.add(target, OA.hasSource, self.iris.source(loaded.id))
            self.add(selector, OA.exact, claim.quote)
            return
        self.add(node, PROV.wasQuotedFrom, self.iris.source(loaded.id))
        self.add(target, OA.hasSource, self.iris.text(loaded.id))
        self.add(selector, OA.exact, match.exact)
        self.add(selector, OA.prefix, match.prefix)
        self.add(selector, OA.suffix, match.suffix)
        position = URIRef(f"{node}#text-position")
        self.add(target, OA.hasSelector, position)
        self.add(position, RDF.type, OA.TextPositionSelector)
        self.add(position, OA.start, Literal(match.start, datatype=XSD.integer))
        self.add(position, OA.end, Literal(match.end, datatype=XSD.integer))


def vocabulary_graph(iris: Iris, terms: TermIndex) -> Graph:
    """The shared vocabulary (terms declared in ontology/vocabulary.yaml) as a graph."""
    writer = GraphWriter(iris, terms)
    for entry in terms:
        writer.term(entry.term)
    return writer.graph


def source_graph(iris: Iris, terms: TermIndex, loaded: LoadedSource) -> Graph:
    """One source file as its own graph."""
    writer = GraphWriter(iris, terms.with_terms(Located(None), loaded.record.terms))
    writer.source(loaded)
    return writer.graph
