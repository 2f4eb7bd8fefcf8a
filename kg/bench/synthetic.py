"""A deterministic synthetic corpus with planted conflicts of every type, for benchmarks.

Background claims are drawn so that they cannot disagree (recommendations for, benefit findings,
one dose range per intervention). Each planted conflict, and each trap that must *not* conflict,
gets a condition of its own, so the only pair that can fire there is the planted one.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CLAIMS_PER_SOURCE = 50
FAMILIES = 40
MEMBERS = 6
PLANT_SHARE = 0.02
CONFLICT_TYPES = (
    "direct-contradiction",
    "first-line-conflict",
    "assertion-vs-doubt",
    "evidence-contradiction",
    "strength-discordance",
    "recommendation-vs-safety",
    "dose-discordance",
    "class-vs-member",
)
TRAPS = ("phase", "line", "subgroup-dose", "silence", "supersession")


@dataclass
class Plant:
    """A planted pair: the rule expected to fire (None for a trap) and the two claims."""

    kind: str
    expected: str | None
    claims: tuple[str, str]


@dataclass
class SourceDraft:
    """A source file being written: its claims and the sentences of its text."""

    id: str
    claims: list[dict[str, Any]] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)
    supersedes: str | None = None

    def add(self, claim: dict[str, Any], sentence: str) -> str:
        claim = {"id": f"c{len(self.claims)}", **claim, "quote": sentence}
        self.claims.append(claim)
        self.sentences.append(sentence)
        return f"{self.id}.{claim['id']}"


def terms() -> list[dict[str, Any]]:
    """Families of drugs (each a class with members), non-drug families, conditions, groups."""
    out: list[dict[str, Any]] = []
    for f in range(FAMILIES):
        kind = "pharmacologic" if f % 4 else "non-pharmacologic"
        out.append({"id": f"family-{f}", "label": f"family {f}", "parent": kind})
        out.extend(
            {"id": f"drug-{f}-{m}", "label": f"member {m} of family {f}", "parent": f"family-{f}"}
            for m in range(MEMBERS)
        )
    out.append({"id": "synthetic-outcome", "label": "synthetic outcome", "parent": "outcome"})
    out.append({"id": "group-a", "label": "group a", "parent": "population-group"})
    out.append({"id": "group-b", "label": "group b", "parent": "population-group"})
    return out


class Corpus:
    """Generates sources of CLAIMS_PER_SOURCE claims until `size` claims exist."""

    def __init__(self, size: int, seed: int = 7) -> None:
        self.size, self.random = size, random.Random(seed)
        self.sources: list[SourceDraft] = []
        self.plants: list[Plant] = []
        self.conditions: list[str] = []
        self.settled, self.open_from = 0, 0

    @property
    def claims(self) -> int:
        return self.settled + sum(len(s.claims) for s in self.sources[self.open_from :])

    def source(self) -> SourceDraft:
        # Only the two newest drafts still receive claims (a plant fills a pair): count the rest once,
        # so that `claims` stays cheap at a million claims.
        while self.open_from < len(self.sources) - 1:
            self.settled += len(self.sources[self.open_from].claims)
            self.open_from += 1
        draft = SourceDraft(f"synthetic-{len(self.sources):06d}")
        self.sources.append(draft)
        return draft

    def condition(self, prefix: str) -> str:
        name = f"{prefix}-{len(self.conditions)}"
        self.conditions.append(name)
        return name

    def generate(self) -> Corpus:
        plants = max(len(CONFLICT_TYPES) + len(TRAPS), int(self.size * PLANT_SHARE) // 2)
        kinds = [*CONFLICT_TYPES, *(f"trap-{t}" for t in TRAPS)]
        for index in range(plants):
            self.plant(kinds[index % len(kinds)])
        background = [self.condition("background") for _ in range(max(1, self.size // 500))]
        while self.claims < self.size:
            self.fill(self.source(), background)
        return self

    def fill(self, draft: SourceDraft, conditions: list[str]) -> None:
        """Background claims that cannot conflict: for, benefit, fixed doses, adverse effects."""
        for _ in range(min(CLAIMS_PER_SOURCE, self.size - self.claims)):
            f, m = self.random.randrange(FAMILIES), self.random.randrange(MEMBERS)
            drug, cond = f"drug-{f}-{m}", self.random.choice(conditions)
            pop = {"condition": cond, "phase": self.random.choice(["acute", "chronic"])}
            roll = self.random.random()
            n = len(draft.claims)
            if roll < 0.5:
                draft.add(
                    {"kind": "recommendation", "intervention": drug, "direction": "for", "population": pop},
                    f"Claim {n}: use {drug} in {cond}.",
                )
            elif roll < 0.75:
                draft.add(
                    {
                        "kind": "evidence",
                        "intervention": drug,
                        "outcome": "synthetic-outcome",
                        "comparator": "placebo",
                        "finding": "benefit",
                        "population": pop,
                    },
                    f"Claim {n}: {drug} helps in {cond}.",
                )
            elif roll < 0.9:
                draft.add(
                    {
                        "kind": "dose",
                        "intervention": drug,
                        "population": pop,
                        "dose": {"min": 10 * (m + 1), "max": 20 * (m + 1), "unit": "mg"},
                    },
                    f"Claim {n}: {drug} {10 * (m + 1)} to {20 * (m + 1)} mg in {cond}.",
                )
            else:
                draft.add(
                    {
                        "kind": "adverse-effect",
                        "intervention": drug,
                        "outcome": "synthetic-outcome",
                        "frequency": "common",
                        "population": pop,
                    },
                    f"Claim {n}: {drug} causes side effects.",
                )

    def plant(self, kind: str) -> None:
        """Two claims on a condition of their own: a planted conflict or a trap."""
        a, b = self.source(), self.source()
        cond = self.condition("planted")
        f, g = self.pharmacologic_family(), self.pharmacologic_family()
        while g == f:
            g = self.pharmacologic_family()
        family, drug, other = f"family-{f}", f"drug-{f}-0", f"drug-{g}-1"
        pop = {"condition": cond}
        rec = {"kind": "recommendation", "population": pop}
        pairs: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
            "direct-contradiction": (
                {**rec, "intervention": drug, "direction": "for"},
                {**rec, "intervention": family, "direction": "against"},
            ),
            "first-line-conflict": (
                {**rec, "intervention": family, "direction": "for", "line": "first", "exclusive": True},
                {**rec, "intervention": other, "direction": "for", "line": "first"},
            ),
            "assertion-vs-doubt": (
                {**rec, "intervention": drug, "direction": "for"},
                {**rec, "intervention": drug, "direction": "uncertain"},
            ),
            "evidence-contradiction": self.evidence_pair(drug, pop),
            "strength-discordance": (
                {**rec, "intervention": drug, "direction": "for", "strength": "strong"},
                {**rec, "intervention": drug, "direction": "for", "strength": "conditional"},
            ),
            "recommendation-vs-safety": (
                {**rec, "intervention": drug, "direction": "for"},
                {"kind": "contraindication", "intervention": drug, "population": {**pop, "subgroup": ["group-a"]}},
            ),
            "dose-discordance": (
                {"kind": "dose", "intervention": drug, "population": pop, "dose": {"min": 5, "max": 10, "unit": "mg"}},
                {"kind": "dose", "intervention": drug, "population": pop, "dose": {"min": 20, "max": 40, "unit": "mg"}},
            ),
            "class-vs-member": (
                {**rec, "intervention": family, "direction": "for"},
                {**rec, "intervention": drug, "direction": "against"},
            ),
            "trap-phase": (
                {**rec, "intervention": drug, "direction": "for", "population": {**pop, "phase": "acute"}},
                {**rec, "intervention": drug, "direction": "against", "population": {**pop, "phase": "chronic"}},
            ),
            "trap-line": (
                {**rec, "intervention": drug, "direction": "for", "line": "later"},
                {**rec, "intervention": drug, "direction": "against", "line": "first"},
            ),
            "trap-subgroup-dose": (
                {"kind": "dose", "intervention": drug, "population": pop, "dose": {"min": 5, "max": 10, "unit": "mg"}},
                {
                    "kind": "dose",
                    "intervention": drug,
                    "population": {**pop, "subgroup": ["group-b"]},
                    "dose": {"min": 20, "max": 40, "unit": "mg"},
                },
            ),
            "trap-silence": (
                {**rec, "intervention": drug, "direction": "for"},
                {**rec, "intervention": other, "direction": "for"},
            ),
            "trap-supersession": (
                {**rec, "intervention": drug, "direction": "for"},
                {**rec, "intervention": drug, "direction": "against"},
            ),
        }
        first, second = pairs[kind]
        if kind == "trap-supersession":
            b.supersedes = a.id
        within = kind == "evidence-contradiction"
        one = a.add(first, f"Planted {kind} claim one on {cond}.")
        two = (a if within else b).add(second, f"Planted {kind} claim two on {cond}.")
        expected = None if kind.startswith("trap-") else kind
        self.plants.append(Plant(kind, expected, (one, two)))

    def pharmacologic_family(self) -> int:
        """A drug family (families whose number is a multiple of 4 are non-drug treatments)."""
        family = self.random.randrange(1, FAMILIES)
        return family if family % 4 else family + 1

    @staticmethod
    def evidence_pair(drug: str, pop: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        base = {
            "kind": "evidence",
            "intervention": drug,
            "outcome": "synthetic-outcome",
            "comparator": "placebo",
            "population": pop,
        }
        return (
            {**base, "effect": {"measure": "relative-risk", "value": 1.5, "ci": [1.2, 1.9]}},
            {**base, "effect": {"measure": "relative-risk", "value": 0.9, "ci": [0.7, 1.1]}},
        )

    def files(self) -> Iterator[tuple[str, str]]:
        """(file name, content) of every source YAML and text, plus the terms file."""
        conditions = [{"id": c, "label": c.replace("-", " "), "parent": "condition"} for c in self.conditions]
        head = {
            "version": 1,
            "source": {"id": "synthetic-terms", "title": "Synthetic vocabulary", "kind": "guideline"},
            "terms": terms() + conditions,
            "claims": [],
        }
        yield "000-terms.yaml", yaml.dump(head, Dumper=yaml.CSafeDumper, sort_keys=False)
        for draft in self.sources:
            source = {
                "id": draft.id,
                "title": f"Synthetic source {draft.id}",
                "kind": "guideline",
                "publisher": f"Publisher of {draft.id}",
                "text": f"{draft.id}.txt",
            }
            if draft.supersedes:
                source["supersedes"] = draft.supersedes
            data = {"version": 1, "source": source, "claims": draft.claims}
            yield f"{draft.id}.yaml", yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False)
            yield f"{draft.id}.txt", "\n".join(draft.sentences) + "\n"

    def write(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for name, content in self.files():
            (directory / name).write_text(content, encoding="utf-8")
