"""The parts of a claim as hash IRIs: its effect estimate, dose, spans, timing and quote annotation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kg.rdf.ntriples import BlankNodes, Graph, literal, plain
from kg.rdf.vocab import DAYS, ENUMS, EV, FALSE, PROV_, TRUE, WA, A, Minter, decimal, integer
from kg.sources import records
from kg.sources.loader import LoadedSource
from kg.sources.terms import TermIndex


class PartWriter:
    """Writes the parts of claims into one graph of N-Triples lines."""

    def __init__(self, mint: Minter, terms: TermIndex, blanks: BlankNodes, graph: Graph) -> None:
        self.mint, self.terms, self.blanks, self.graph = mint, terms, blanks, graph
        self.add = graph.add

    def value(self, subject: str, predicate: str, value: Any) -> None:
        """Add a literal for a plain Python value unless it is None."""
        if value is not None:
            self.add(subject, predicate, literal(value))

    def part(self, node: str, prop: str, name: str, cls: str, owner: str | None = None) -> str:
        """A hash IRI `<claim>#name`, typed `cls`, linked by `prop` from the claim (or from another part)."""
        target = f"{node[:-1]}#{name}>"
        self.add(owner or node, prop, target)
        self.add(target, A, cls)
        return target

    def effect(self, node: str, effect: records.Effect | None) -> None:
        if effect is None:
            return
        estimate = self.part(node, EV.estimate, "estimate", EV.EffectEstimate)
        self.add(estimate, EV.measure, ENUMS["measure"][effect.measure])
        self.add(estimate, EV.value, decimal(effect.value))
        if effect.approximate:
            self.add(estimate, EV.approximate, TRUE)
        if effect.ci is not None:
            self.add(estimate, EV.ciLower, decimal(effect.ci[0]))
            self.add(estimate, EV.ciUpper, decimal(effect.ci[1]))
            self.add(estimate, EV.ciLevel, decimal(effect.ci_level))
        self.value(estimate, EV.scale, effect.scale)

    def dose(self, node: str, dose: records.Dose | records.QualitativeDose | None) -> None:
        if dose is None:
            return
        target = self.part(node, EV.dose, "dose", EV.Dose)
        if isinstance(dose, records.QualitativeDose):
            self.add(target, EV.qualifier, ENUMS["qualifier"][dose.qualifier])
        else:
            self.bounds(target, dose)
        self.value(target, EV.doseFrequency, dose.frequency)
        self.value(target, EV.note, dose.note)

    def bounds(self, target: str, dose: records.Dose) -> None:
        """A dose range's limits and unit."""
        if dose.min is not None:
            self.add(target, EV.doseMin, decimal(dose.min))
        if dose.max is not None:
            self.add(target, EV.doseMax, decimal(dose.max))
        self.add(target, EV.doseUnit, plain(dose.unit))

    def span(
        self,
        node: str,
        prop: str,
        name: str,
        span: records.Span | records.QualitativeSpan | None,
        owner: str | None = None,
    ) -> None:
        """A duration, time point or timing bound of a claim (linked from `owner`, a part, when given)."""
        if span is None:
            return
        target = self.part(node, prop, name, EV.TimeSpan, owner)
        if isinstance(span, records.QualitativeSpan):
            self.add(target, EV.qualifier, ENUMS["qualifier"][span.qualifier])
            self.value(target, EV.note, span.note)
            return
        self.add(target, EV.spanUnit, plain(span.unit))
        for bound, value, days in (("spanMin", span.min, EV.minDays), ("spanMax", span.max, EV.maxDays)):
            if value is not None:
                self.add(target, EV[bound], decimal(value))
                self.add(target, days, decimal(Decimal(repr(value)) * DAYS[span.unit]))

    def timing(self, node: str, timing: records.Timing | None) -> None:
        """When advice applies: start and end spans, relative to onset or to the start of treatment."""
        if timing is None:
            return
        target = self.part(node, EV.timing, "timing", EV.Timing)
        self.add(target, EV.relativeTo, ENUMS["relative_to"][timing.relative_to])
        self.span(node, EV.timingStart, "timing-start", timing.start, target)
        self.span(node, EV.timingEnd, "timing-end", timing.end, target)

    def quote(self, loaded: LoadedSource, node: str, claim: Any) -> None:
        """The exact words (or the curator's paraphrase) as a W3C Web Annotation; offsets when verified."""
        stem = node[:-1]
        target = self.annotation(loaded, node, claim)
        if claim.paraphrase is not None:
            self.add(f"{stem}#quote>", EV.paraphrase, plain(claim.paraphrase))
            return
        add, selector = self.add, f"{stem}#text-quote>"
        add(target, WA.hasSelector, selector)
        add(selector, A, WA.TextQuoteSelector)
        match = loaded.quotes.get(claim.id)
        if match is None:
            add(target, WA.hasSource, self.mint.source(loaded.id))
            add(selector, WA.exact, plain(claim.quote))
            return
        add(node, PROV_.wasQuotedFrom, self.mint.source(loaded.id))
        add(target, WA.hasSource, self.mint.text(loaded.id))
        add(selector, WA.exact, plain(match.exact))
        add(selector, WA.prefix, plain(match.prefix))
        add(selector, WA.suffix, plain(match.suffix))
        self.position(stem, target, match.start, match.end)

    def annotation(self, loaded: LoadedSource, node: str, claim: Any) -> str:
        """The annotation that anchors a claim in its source; returns its target."""
        add, stem = self.add, node[:-1]
        annotation, target = f"{stem}#quote>", f"{stem}#target>"
        add(node, EV.hasQuote, annotation)
        add(annotation, A, WA.Annotation)
        add(annotation, WA.motivatedBy, WA.describing)
        add(annotation, WA.hasBody, node)
        add(annotation, WA.hasTarget, target)
        add(annotation, EV.quoteVerified, TRUE if claim.id in loaded.quotes else FALSE)
        add(target, A, WA.SpecificResource)
        if claim.paraphrase is not None:
            add(target, WA.hasSource, self.mint.source(loaded.id))
        return target

    def position(self, stem: str, target: str, start: int, end: int) -> None:
        """The verified quote's character offsets in the source text."""
        position = f"{stem}#text-position>"
        self.add(target, WA.hasSelector, position)
        self.add(position, A, WA.TextPositionSelector)
        self.add(position, WA.start, integer(start))
        self.add(position, WA.end, integer(end))
