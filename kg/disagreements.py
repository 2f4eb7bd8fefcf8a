"""Disagreements: the pairwise findings that are one disagreement, grouped for a guideline author.

Two findings are the same disagreement when they have the same type family, the same sources and,
once a member term is folded into a class term the same group names (cyclobenzaprine into skeletal
muscle relaxant), the same interventions and conditions: two sentences of one source against a
class claim and a member claim of another are one disagreement, listed with its four pairs.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from kg.audit import ConflictClaim, ConflictRecord, slug
from kg.namespaces import Iris
from kg.store.base import Store, solutions

FAMILIES = {
    "evidence-estimate-contradiction": "evidence-contradiction",
    "duration-discordance": "dose-discordance",
    "certainty-discordance": "strength-discordance",
}
"""Types that are one kind of disagreement for an author (else a type is its own family)."""
ANCESTORS = "SELECT ?t ?up WHERE { ?t rdfs:subClassOf ?up }"
SEVERITY_ORDER = ("high", "moderate", "low", "info")
Hierarchy = Mapping[str, set[str]]
"""Term slug -> the slugs of its ancestors (itself included)."""


@dataclass
class Disagreement:
    """Findings that are one disagreement: its id, headline, severity, status, claims and pairs."""

    id: str
    category: str
    type: str
    severity: str
    status: str
    explanation: str
    sources: list[str]
    interventions: list[str]
    conditions: list[str]
    claims: list[ConflictClaim] = field(default_factory=list)
    pairs: list[ConflictRecord] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The API's item: the disagreement, every claim involved, and its pairs."""
        return {
            "id": self.id,
            "category": self.category,
            "type": self.type,
            "severity": self.severity,
            "status": self.status,
            "explanation": self.explanation,
            "sources": self.sources,
            "interventions": self.interventions,
            "conditions": self.conditions,
            "claims": [
                {"id": c.id, "source": c.source, "quote": c.quote, "paraphrased": c.paraphrased, "iri": c.iri}
                for c in self.claims
            ],
            "pairs": [pair.as_json() for pair in self.pairs],
        }


def family(record: ConflictRecord) -> str:
    """The record's type family."""
    return FAMILIES.get(record.type, record.type)


def hierarchy(store: Store, iris: Iris, terms: Iterable[str]) -> dict[str, set[str]]:
    """Each term's ancestors among the inferred closure (and itself)."""
    found = {}
    for term in terms:
        rows = solutions(store.query(ANCESTORS, bindings={"t": ox.NamedNode(str(iris.term(term)))}))
        found[term] = {term} | {slug(row["up"].value) for row in rows}
    return found


def folded(terms: Iterable[str], named: set[str], ups: Hierarchy) -> tuple[str, ...]:
    """The terms with each one replaced by the broadest of the named terms above it (or itself)."""
    out = set()
    for term in terms:
        above = (ups.get(term, {term}) | {term}) & named
        out |= {t for t in above if not (ups.get(t, {t}) - {t}) & above}
    return tuple(sorted(out))


def group(records: list[ConflictRecord], ups: Hierarchy) -> list[Disagreement]:
    """The records as disagreements, most severe first (then by type and id)."""
    buckets: dict[tuple[str, tuple[str, ...]], list[ConflictRecord]] = defaultdict(list)
    for record in records:
        buckets[(family(record), tuple(sorted(record.sources)))].append(record)
    found = [d for (kind, sources), bucket in buckets.items() for d in _split(kind, sources, bucket, ups)]
    return sorted(found, key=lambda d: (SEVERITY_ORDER.index(d.severity), d.type, d.id))


def _split(kind: str, sources: tuple[str, ...], bucket: list[ConflictRecord], ups: Hierarchy) -> list[Disagreement]:
    """One bucket (a family and a set of sources) split by folded interventions and conditions."""
    interventions = {i for r in bucket for i in r.interventions}
    conditions = {c for r in bucket for c in r.conditions}
    keyed: dict[tuple[tuple[str, ...], tuple[str, ...]], list[ConflictRecord]] = defaultdict(list)
    for record in bucket:
        key = (folded(record.interventions, interventions, ups), folded(record.conditions, conditions, ups))
        keyed[key].append(record)
    return [disagreement(kind, sources, key[0], key[1], pairs) for key, pairs in keyed.items()]


def disagreement(
    kind: str,
    sources: tuple[str, ...],
    interventions: tuple[str, ...],
    conditions: tuple[str, ...],
    pairs: list[ConflictRecord],
) -> Disagreement:
    """A disagreement from its key and its pairs (the most severe pair gives the headline, one that names
    the authority a source cites if there is one)."""
    pairs = sorted(pairs, key=lambda r: (SEVERITY_ORDER.index(r.severity), ", citing " not in r.explanation, r.id))
    key = " ".join([kind, ",".join(sources), ",".join(interventions), ",".join(conditions)])
    return Disagreement(
        id=hashlib.sha1(key.encode()).hexdigest()[:16],
        category=pairs[0].category,
        type=kind,
        severity=pairs[0].severity,
        status=_status(pairs),
        explanation=pairs[0].explanation,
        sources=list(sources),
        interventions=list(interventions),
        conditions=list(conditions),
        claims=_claims(pairs),
        pairs=pairs,
    )


def _status(pairs: list[ConflictRecord]) -> str:
    """The pairs' review status when they share one, else `mixed`."""
    statuses = {pair.status for pair in pairs}
    return statuses.pop() if len(statuses) == 1 else "mixed"


def _claims(pairs: list[ConflictRecord]) -> list[ConflictClaim]:
    """Every claim of the pairs, once each, in order of appearance."""
    seen: dict[str, ConflictClaim] = {}
    for pair in pairs:
        for claim in pair.claims:
            seen.setdefault(claim.iri, claim)
    return list(seen.values())


def disagreements(records: list[ConflictRecord], store: Store, iris: Iris) -> list[Disagreement]:
    """The records grouped into disagreements, with the term hierarchy read from the store."""
    terms = {t for r in records for t in [*r.interventions, *r.conditions]}
    return group(records, hierarchy(store, iris, terms))


CSV_FIELDS = [
    "id",
    "type",
    "category",
    "severity",
    "status",
    "explanation",
    "sources",
    "interventions",
    "conditions",
    "claims",
    "quotes",
    "pairs",
]


def to_csv(items: list[Disagreement]) -> str:
    """One row per disagreement; list fields joined by `; `, quotes by ` | `."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for d in items:
        row = {name: getattr(d, name) for name in CSV_FIELDS[:6]}
        row |= {name: "; ".join(getattr(d, name)) for name in ("sources", "interventions", "conditions")}
        row["claims"] = "; ".join(f"{c.source}.{c.id}" for c in d.claims)
        row["quotes"] = " | ".join(c.quote for c in d.claims)
        row["pairs"] = "; ".join(pair.id for pair in d.pairs)
        writer.writerow(row)
    return out.getvalue()


def to_json(items: list[Disagreement]) -> str:
    """The disagreements as a JSON array (`as_json` of each)."""
    return json.dumps([d.as_json() for d in items], indent=2, ensure_ascii=False) + "\n"


def to_table(items: list[Disagreement]) -> str:
    """A readable report: one block per disagreement, its claims with their quotes, its pairs."""
    lines = []
    for d in items:
        lines.append(f"[{d.severity}] {d.type} {d.id} ({d.status}, {len(d.pairs)} pair(s))")
        lines.append(f"  {d.explanation}")
        lines.extend(f"  - {c.source}.{c.id}: {c.words}" for c in d.claims)
        lines.append("  pairs: " + ", ".join(pair.id for pair in d.pairs))
        lines.append("")
    lines.append(f"{len(items)} disagreement(s), {sum(len(d.pairs) for d in items)} pair(s)")
    return "\n".join(lines) + "\n"


def review_targets(conflict: str, records: list[ConflictRecord], store: Store, iris: Iris) -> list[str]:
    """The pair ids a review of `conflict` applies to: itself (a pair), or every pair of a disagreement."""
    if any(record.id == conflict for record in records):
        return [conflict]
    for item in disagreements(records, store, iris):
        if item.id == conflict:
            return [pair.id for pair in item.pairs]
    return []
