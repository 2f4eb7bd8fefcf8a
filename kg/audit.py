"""Conflicts as records for people and programs: grouped, filtered, rendered as table, JSON, CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import pyoxigraph as ox

from kg.namespaces import Iris
from kg.sparql.queries import QueryRegistry
from kg.store.base import Store, solutions
from kg.wording import Names, load_names, plain, reword


@dataclass
class ConflictClaim:
    """One side of a conflict: the claim, its source, its exact quote (or the curator's paraphrase) and
    the authorities it cites."""

    id: str
    iri: str
    source: str
    quote: str
    cites: list[str] = field(default_factory=list)
    paraphrased: bool = False
    """True when `quote` holds the curator's paraphrase, not the source's words (format 1.1)."""

    @property
    def words(self) -> str:
        """The quote in quote marks, or the paraphrase marked as such."""
        return f"(paraphrase) {self.quote}" if self.paraphrased else f'"{self.quote}"'


@dataclass
class ConflictRecord:
    """A conflict (or informational finding) as `evkg conflicts` and the API report it."""

    id: str
    iri: str
    type: str
    category: str
    severity: str
    status: str
    explanation: str
    witness: str
    rule: str
    sources: list[str] = field(default_factory=list)
    claims: list[ConflictClaim] = field(default_factory=list)
    interventions: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    review: dict[str, str] | None = None

    @property
    def condition(self) -> str | None:
        return self.conditions[0] if self.conditions else None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["condition"] = self.condition
        data["quotes"] = {c.id: c.quote for c in self.claims}
        data["paraphrased"] = [c.id for c in self.claims if c.paraphrased]
        return data


def slug(iri: str) -> str:
    """The last segment of an IRI: a term, source or type name."""
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def kebab(name: str) -> str:
    """DirectContradiction -> direct-contradiction."""
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in name).lstrip("-")


def _value(row: Any, name: str) -> str:
    term = row[name]
    return "" if term is None else term.value


def load_conflicts(store: Store, registry: QueryRegistry) -> list[ConflictRecord]:
    """Every finding in the conflicts graph, one record each, most severe first, in plain words."""
    names = load_names(store, registry)
    return [in_plain_words(record, names) for record in _records(store, registry)]


def in_plain_words(record: ConflictRecord, names: Names) -> ConflictRecord:
    """The record with sources named by title and year (and what they cite), witnesses in words."""
    citations: dict[str, list[str]] = {}
    for claim in record.claims:
        for agent in claim.cites:
            _add_once(citations.setdefault(claim.source, []), names.authority(agent))
    record.explanation = plain(reword(record.explanation, names, citations), names)
    record.witness = plain(record.witness, names)
    return record


def _records(store: Store, registry: QueryRegistry) -> list[ConflictRecord]:
    records: dict[str, ConflictRecord] = {}
    for row in solutions(store.query(registry.resolve("reports/conflicts").text, hints=True)):
        iri = _value(row, "conflict")
        record = records.get(iri)
        if record is None:
            status = _value(row, "status")
            record = records[iri] = ConflictRecord(
                id=_value(row, "id"),
                iri=iri,
                type=kebab(slug(_value(row, "type"))),
                category="conflict" if slug(_value(row, "category")) == "Conflict" else "informational",
                severity=slug(_value(row, "severity")).removesuffix("Severity").lower(),
                status=kebab(slug(status).removesuffix("Status")) if status else "candidate",
                explanation=_value(row, "explanation"),
                witness=_value(row, "witness"),
                rule=slug(_value(row, "rule")),
            )
            if _value(row, "reviewer"):
                record.review = {
                    "reviewer": _value(row, "reviewer"),
                    "at": _value(row, "reviewedAt"),
                    "rationale": _value(row, "rationale"),
                }
        _add_once(record.sources, _value(row, "sourceId"))
        _add_once(record.interventions, slug(_value(row, "intervention")) if row["intervention"] else "")
        _add_once(record.conditions, slug(_value(row, "condition")) if row["condition"] else "")
        claim = next((c for c in record.claims if c.iri == _value(row, "claim")), None)
        if claim is None:
            claim = ConflictClaim(
                _value(row, "claimId"),
                _value(row, "claim"),
                _value(row, "sourceId"),
                _value(row, "quote"),
                paraphrased=row["paraphrased"] is not None,
            )
            record.claims.append(claim)
        _add_once(claim.cites, _value(row, "agent"))
    return list(records.values())


def _add_once(items: list[str], value: str) -> None:
    if value and value not in items:
        items.append(value)


@dataclass(frozen=True)
class Filters:
    """What a guideline author narrows the report to; empty means everything."""

    types: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    interventions: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    informational: bool = False


def covered_terms(store: Store, iris: Iris, terms: Iterable[str]) -> set[str]:
    """Slugs of the given terms and everything below them (from the inferred closure)."""
    found = set(terms)
    for term in terms:
        query = "SELECT ?t ?top WHERE { ?t rdfs:subClassOf ?top }"
        for row in solutions(store.query(query, bindings={"top": ox.NamedNode(str(iris.term(term)))})):
            found.add(slug(row["t"].value))
    return found


def apply_filters(records: list[ConflictRecord], filters: Filters, store: Store, iris: Iris) -> list[ConflictRecord]:
    """Keep the records matching every given filter (interventions and conditions by hierarchy)."""
    interventions = covered_terms(store, iris, filters.interventions) if filters.interventions else set()
    conditions = covered_terms(store, iris, filters.conditions) if filters.conditions else set()
    kept = []
    for record in records:
        if record.category != "conflict" and not filters.informational and not filters.types:
            continue
        checks = [
            not filters.types or record.type in filters.types,
            not filters.sources or bool(set(record.sources) & set(filters.sources)),
            not interventions or bool(set(record.interventions) & interventions),
            not conditions or bool(set(record.conditions) & conditions),
            not filters.statuses or record.status in filters.statuses,
        ]
        if all(checks):
            kept.append(record)
    return kept


CSV_FIELDS = [
    "id",
    "type",
    "category",
    "severity",
    "status",
    "explanation",
    "sources",
    "interventions",
    "condition",
    "claim_a",
    "quote_a",
    "claim_b",
    "quote_b",
    "witness",
    "rule",
    "iri",
]


def to_csv(records: list[ConflictRecord]) -> str:
    """One row per conflict; list fields joined by `; `; the first two claims with their quotes."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for r in records:
        a, b = (r.claims + [ConflictClaim("", "", "", "")] * 2)[:2]
        writer.writerow(
            {
                "id": r.id,
                "type": r.type,
                "category": r.category,
                "severity": r.severity,
                "status": r.status,
                "explanation": r.explanation,
                "sources": "; ".join(r.sources),
                "interventions": "; ".join(r.interventions),
                "condition": r.condition or "",
                "claim_a": f"{a.source}.{a.id}" if a.id else "",
                "quote_a": a.words if a.paraphrased else a.quote,
                "claim_b": f"{b.source}.{b.id}" if b.id else "",
                "quote_b": b.words if b.paraphrased else b.quote,
                "witness": r.witness,
                "rule": r.rule,
                "iri": r.iri,
            }
        )
    return out.getvalue()


def to_json(records: list[ConflictRecord]) -> str:
    return json.dumps([r.as_json() for r in records], indent=2, ensure_ascii=False) + "\n"


def to_table(records: list[ConflictRecord]) -> str:
    """A readable report: one block per conflict with both quotes."""
    lines = []
    for r in records:
        lines.append(f"[{r.severity}] {r.type} {r.id} ({r.status})")
        lines.append(f"  {r.explanation}")
        for claim in r.claims:
            lines.append(f"  - {claim.source}.{claim.id}: {claim.words}")
        lines.append("")
    lines.append(f"{len(records)} finding(s)")
    return "\n".join(lines) + "\n"
