"""Typed records -> RDF: one graph per source, one for the vocabulary, as N-Triples text.

The writer formats every triple as one N-Triples line (`kg.rdf.ntriples`) instead of building rdflib
objects, so a build streams graphs into the store's bulk loader at the store's own speed.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from kg.namespaces import CODE_SYSTEMS, EVKG, OA, ROOTS, Iris
from kg.rdf.ntriples import BlankNodes, Graph, Namespace, checked_iri, literal, plain, tagged, typed
from kg.sources import records
from kg.sources.loader import LoadedSource
from kg.sources.terms import TermIndex

EV, WA = Namespace(str(EVKG)), Namespace(str(OA))
RDF_, RDFS_, OWL_ = Namespace(str(RDF)), Namespace(str(RDFS)), Namespace(str(OWL))
SKOS_, DC, PROV_, XSD_ = Namespace(str(SKOS)), Namespace(str(DCTERMS)), Namespace(str(PROV)), Namespace(str(XSD))

CLAIM_CLASSES = {
    "recommendation": EV.Recommendation,
    "evidence": EV.EvidenceClaim,
    "contraindication": EV.Contraindication,
    "caution": EV.Caution,
    "adverse-effect": EV.AdverseEffectClaim,
    "dose": EV.DoseStatement,
}
SOURCE_CLASSES = {
    "guideline": EV.Guideline,
    "systematic-review": EV.SystematicReview,
    "trial": EV.Trial,
    "drug-label": EV.DrugLabel,
    "clinical-answer": EV.ClinicalAnswer,
    "consumer-article": EV.ConsumerArticle,
}
ENUMS: dict[str, dict[str, str]] = {
    "phase": {"acute": EV.Acute, "subacute": EV.Subacute, "chronic": EV.Chronic},
    "direction": {
        "for": EV.For,
        "against": EV.Against,
        "uncertain": EV.Uncertain,
        "no-recommendation": EV.NoRecommendation,
    },
    "line": {
        "first": EV.FirstLine,
        "second": EV.SecondLine,
        "later": EV.LaterLine,
        "last-resort": EV.LastResort,
        "adjunct": EV.Adjunct,
    },
    "strength": {"strong": EV.Strong, "conditional": EV.Conditional},
    "certainty": {
        "high": EV.HighCertainty,
        "moderate": EV.ModerateCertainty,
        "low": EV.LowCertainty,
        "very-low": EV.VeryLowCertainty,
    },
    "finding": {
        "benefit": EV.Benefit,
        "harm": EV.Harm,
        "no-difference": EV.NoDifference,
        "questioned": EV.Questioned,
    },
    "measure": {
        "relative-risk": EV.RelativeRisk,
        "odds-ratio": EV.OddsRatio,
        "hazard-ratio": EV.HazardRatio,
        "mean-difference": EV.MeanDifference,
        "standardized-mean-difference": EV.StandardizedMeanDifference,
        "unspecified-ratio": EV.UnspecifiedRatio,
    },
}
SEVERITY = {"contraindication": EV.Avoid, "caution": EV.UseWithCaution}
DAYS = {
    "hour": Decimal(1) / Decimal(24),
    "day": Decimal(1),
    "week": Decimal(7),
    "month": Decimal("30.4375"),
    "year": Decimal("365.25"),
}
MATCH = {"exact": SKOS_.exactMatch, "close": SKOS_.closeMatch, "broad": SKOS_.broadMatch, "narrow": SKOS_.narrowMatch}
ROOT_TERMS = {slug: EV[name] for slug, (name, _) in ROOTS.items()}
A, LABEL = RDF_.type, RDFS_.label
TRUE, FALSE = literal(True), literal(False)


def decimal(value: float | Decimal) -> str:
    """An xsd:decimal literal that keeps the written digits (1.5, not 1.5000000001)."""
    number = value if isinstance(value, Decimal) else Decimal(repr(value))
    if number == number.to_integral():
        number = number.normalize()
    return typed(f"{number:f}", XSD_.decimal)


def integer(value: int) -> str:
    """An xsd:integer literal (the store keeps oa:start/oa:end as xsd:integer)."""
    return typed(str(value), XSD_.integer)


class Minter:
    """The IRIs minted under the configured base, as N-Triples terms."""

    def __init__(self, iris: Iris) -> None:
        self.base = iris.base
        self.id = f"<{iris.base}id/"

    def source(self, source_id: str) -> str:
        return f"{self.id}source/{source_id}>"

    def text(self, source_id: str) -> str:
        return f"{self.id}text/{source_id}>"

    def agent(self, agent_id: str) -> str:
        return f"{self.id}agent/{agent_id}>"

    def claim(self, source_id: str, claim_id: str, part: str = "") -> str:
        return f"{self.id}claim/{source_id}.{claim_id}{part}>"

    def term(self, term_id: str) -> str:
        root = ROOT_TERMS.get(term_id)
        return root if root is not None else f"{self.id}term/{term_id}>"

    def graph(self, name: str) -> str:
        return f"{self.base}graph/{name}"


class GraphWriter:
    """Writes records into one graph of N-Triples lines, minting IRIs under the configured base."""

    def __init__(self, mint: Minter, terms: TermIndex, blanks: BlankNodes, graph: Graph) -> None:
        self.mint, self.terms, self.blanks, self.graph = mint, terms, blanks, graph
        self.add = graph.add

    def value(self, subject: str, predicate: str, value: Any) -> None:
        """Add a literal for a plain Python value unless it is None."""
        if value is not None:
            self.add(subject, predicate, literal(value))

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
        return node

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
        self.quote(loaded, node, claim)
        return node

    def details(self, node: str, kind: str, fields: dict[str, Any]) -> None:
        """The kind-specific fields: stance, line, grading, related terms, severity, frequency."""
        add, term = self.add, self.mint.term
        for name in ("direction", "line", "strength", "certainty", "finding"):
            value = fields.get(name)
            if value:
                add(node, EV[name], ENUMS[name][value])
        for name, prop in (("examples", EV.example), ("alternatives", EV.alternative)):
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
            if claim.population.phase:
                parts.append(f"({claim.population.phase})")
        return " ".join(parts)

    def population(self, node: str, population: records.Population | None) -> None:
        if population is None:
            return
        add, term = self.add, self.mint.term
        add(node, EV.condition, term(population.condition))
        if population.phase:
            add(node, EV.phase, ENUMS["phase"][population.phase])
        for ref in population.subgroup:
            add(node, EV.subgroup, term(ref))
        for ref in population.underlying:
            add(node, EV.underlyingCondition, term(ref))

    def effect(self, node: str, effect: records.Effect | None) -> None:
        if effect is None:
            return
        estimate = f"{node[:-1]}#estimate>"
        self.add(node, EV.estimate, estimate)
        self.add(estimate, A, EV.EffectEstimate)
        self.add(estimate, EV.measure, ENUMS["measure"][effect.measure])
        self.add(estimate, EV.value, decimal(effect.value))
        if effect.approximate:
            self.add(estimate, EV.approximate, TRUE)
        if effect.ci is not None:
            self.add(estimate, EV.ciLower, decimal(effect.ci[0]))
            self.add(estimate, EV.ciUpper, decimal(effect.ci[1]))
            self.add(estimate, EV.ciLevel, decimal(effect.ci_level))

    def dose(self, node: str, dose: records.Dose | None) -> None:
        if dose is None:
            return
        target = f"{node[:-1]}#dose>"
        self.add(node, EV.dose, target)
        self.add(target, A, EV.Dose)
        if dose.min is not None:
            self.add(target, EV.doseMin, decimal(dose.min))
        if dose.max is not None:
            self.add(target, EV.doseMax, decimal(dose.max))
        self.add(target, EV.doseUnit, plain(dose.unit))
        self.value(target, EV.doseFrequency, dose.frequency)
        self.value(target, EV.note, dose.note)

    def span(self, node: str, prop: str, name: str, span: records.Span | None) -> None:
        if span is None:
            return
        target = f"{node[:-1]}#{name}>"
        self.add(node, prop, target)
        self.add(target, A, EV.TimeSpan)
        self.add(target, EV.spanUnit, plain(span.unit))
        for bound, value, days in (("spanMin", span.min, EV.minDays), ("spanMax", span.max, EV.maxDays)):
            if value is not None:
                self.add(target, EV[bound], decimal(value))
                self.add(target, days, decimal(Decimal(repr(value)) * DAYS[span.unit]))

    def quote(self, loaded: LoadedSource, node: str, claim: Any) -> None:
        """The exact words as a W3C Web Annotation; offsets when verified against the text."""
        add, stem = self.add, node[:-1]
        annotation, target, selector = f"{stem}#quote>", f"{stem}#target>", f"{stem}#text-quote>"
        match = loaded.quotes.get(claim.id)
        add(node, EV.hasQuote, annotation)
        add(annotation, A, WA.Annotation)
        add(annotation, WA.motivatedBy, WA.describing)
        add(annotation, WA.hasBody, node)
        add(annotation, WA.hasTarget, target)
        add(annotation, EV.quoteVerified, FALSE if match is None else TRUE)
        add(target, A, WA.SpecificResource)
        add(target, WA.hasSelector, selector)
        add(selector, A, WA.TextQuoteSelector)
        if match is None:
            add(target, WA.hasSource, self.mint.source(loaded.id))
            add(selector, WA.exact, plain(claim.quote))
            return
        add(node, PROV_.wasQuotedFrom, self.mint.source(loaded.id))
        add(target, WA.hasSource, self.mint.text(loaded.id))
        add(selector, WA.exact, plain(match.exact))
        add(selector, WA.prefix, plain(match.prefix))
        add(selector, WA.suffix, plain(match.suffix))
        position = f"{stem}#text-position>"
        add(target, WA.hasSelector, position)
        add(position, A, WA.TextPositionSelector)
        add(position, WA.start, integer(match.start))
        add(position, WA.end, integer(match.end))


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
        """The terms that source files declare, each in its file's source graph (no other triples)."""
        graphs: dict[str, GraphWriter] = {}
        for entry in terms:
            source_id = declaring.get(entry.path)
            if source_id is not None:
                name = self.mint.graph(f"source/{source_id}")
                if name not in graphs:
                    graphs[name] = GraphWriter(self.mint, self.terms, self.blanks, Graph(name))
                graphs[name].term(entry.term)
        return [writer.graph for writer in graphs.values()]

    def source(self, loaded: LoadedSource) -> Graph:
        """One source file as its own graph."""
        graph = Graph(self.mint.graph(f"source/{loaded.id}"))
        GraphWriter(self.mint, self.terms, self.blanks, graph).source(loaded)
        return graph
