"""The claim records of the sources format, one class per kind of claim."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from kg.sources.fields import (
    AdverseFinding,
    AnyDose,
    AnyDuration,
    Certainty,
    Direction,
    Effect,
    Finding,
    Line,
    Population,
    Record,
    Slug,
    Slugs,
    Span,
    Strength,
    Timing,
)

Words = Annotated[str, StringConstraints(min_length=3)]


class BaseClaim(Record):
    """What every claim has."""

    id: Slug
    quote: Words | None = Field(None, description="The source's exact words.")
    paraphrase: Words | None = Field(
        None, description="The curator's words, for a source without `text` (format 1.1); needs a `locator`."
    )
    locator: str | None = Field(None, description="Section or recommendation number.")
    attributed_to: Slugs = Field([], description="Ids from the source's `cites`.")
    note: str | None = None
    intervention: Slug
    population: Population | None = None
    strength: Strength | None = None
    certainty: Certainty | None = None

    @model_validator(mode="after")
    def _has_words(self) -> BaseClaim:
        if (self.quote is None) == (self.paraphrase is None):
            raise ValueError("a claim needs `quote` (the source's words) or `paraphrase` (yours), not both")
        return self


class RecommendationClaim(BaseClaim):
    kind: Literal["recommendation"]
    direction: Direction
    line: Line | None = None
    exclusive: bool = False
    examples: Slugs = []
    alternatives: Slugs = []
    published_strength: str | None = None
    purpose: Slugs = Field([], description="Outcome terms the recommendation is meant to achieve (format 1.1).")
    dose: AnyDose | None = None
    duration: AnyDuration | None = None
    timing: Timing | None = None


class EvidenceClaim(BaseClaim):
    kind: Literal["evidence"]
    outcome: Slug
    comparator: Slug | None = None
    finding: Finding | None = None
    effect: Effect | None = None
    timepoint: Span | None = None
    studies: list[str] = []

    @model_validator(mode="after")
    def _has_result(self) -> EvidenceClaim:
        if self.finding is None and self.effect is None:
            raise ValueError("an evidence claim needs a `finding` or an `effect` (or both)")
        return self


class SafetyClaim(BaseClaim):
    kind: Literal["contraindication", "caution"]
    population: Population

    @model_validator(mode="after")
    def _has_subgroup(self) -> SafetyClaim:
        if not self.population.subgroup:
            raise ValueError(f"a {self.kind} needs `population.subgroup`: who must avoid or take care")
        return self


class AdverseEffectClaim(BaseClaim):
    kind: Literal["adverse-effect"]
    outcome: Slug
    comparator: Slug | None = None
    finding: AdverseFinding | None = Field(None, description="`harm` or `no-difference` (format 1.1).")
    frequency: str | None = None
    serious: bool | None = None
    effect: Effect | None = None


class DoseClaim(BaseClaim):
    kind: Literal["dose"]
    dose: AnyDose | None = None
    duration: AnyDuration | None = None
    timing: Timing | None = None

    @model_validator(mode="after")
    def _has_amount(self) -> DoseClaim:
        if self.dose is None and self.duration is None:
            raise ValueError("a dose claim needs a `dose` or a `duration` (or both)")
        return self


CLAIM_MODELS: tuple[type[BaseClaim], ...] = (
    RecommendationClaim,
    EvidenceClaim,
    SafetyClaim,
    AdverseEffectClaim,
    DoseClaim,
)

Claim = Annotated[
    RecommendationClaim | EvidenceClaim | SafetyClaim | AdverseEffectClaim | DoseClaim,
    Field(discriminator="kind"),
]


def kinds_with_field(name: str) -> list[str]:
    """The claim kinds that accept a key, in the format's order (`finding`: evidence, adverse-effect)."""
    kinds: list[str] = []
    for model in CLAIM_MODELS:
        if name in model.model_fields:
            kinds.extend(model.model_fields["kind"].annotation.__args__)  # type: ignore[union-attr]
    return kinds
