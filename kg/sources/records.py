"""Typed records of the sources format (version 1): what a curator writes in a YAML file."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

FORMAT_VERSION = 1

Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", min_length=1, max_length=80),
]
"""Lower-case letters and digits in hyphen-separated words: `nsaids-only-for-acute`."""
_SLUG_SCHEMA = {"type": "string", "pattern": r"^[a-z0-9]+(-[a-z0-9]+)*$"}

SourceKind = Literal[
    "guideline",
    "systematic-review",
    "trial",
    "drug-label",
    "clinical-answer",
    "consumer-article",
]
Phase = Literal["acute", "subacute", "chronic"]
Direction = Literal["for", "against", "uncertain", "no-recommendation"]
Line = Literal["first", "second", "later", "last-resort", "adjunct"]
Strength = Literal["strong", "conditional"]
Certainty = Literal["high", "moderate", "low", "very-low"]
Finding = Literal["benefit", "harm", "no-difference", "questioned"]
Measure = Literal[
    "relative-risk",
    "odds-ratio",
    "hazard-ratio",
    "mean-difference",
    "standardized-mean-difference",
    "unspecified-ratio",
]
TimeUnit = Literal["hour", "day", "week", "month", "year"]
TermKind = Literal["intervention", "condition", "outcome", "population-group"]


def _listify(value: object) -> object:
    """Accept a single slug where a list of slugs is expected."""
    return [value] if isinstance(value, str) else value


Slugs = Annotated[
    list[Slug],
    BeforeValidator(_listify),
    WithJsonSchema({"anyOf": [_SLUG_SCHEMA, {"type": "array", "items": _SLUG_SCHEMA}]}),
]
"""One slug or a list of slugs."""


MAX_LITERAL_CHARS = 100_000
"""The longest text one field may hold (a note, a quote): larger ones are refused with file and line."""


class Record(BaseModel):
    """Base: unknown keys are mistakes, not extensions; no text field over MAX_LITERAL_CHARS."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=MAX_LITERAL_CHARS)


class Code(Record):
    """A mapping of a term to an external code, with where the mapping comes from."""

    system: Literal["rxnorm", "chebi", "mondo", "mesh", "snomedct", "icd10", "umls", "ncit"]
    code: Annotated[str, StringConstraints(min_length=1)]
    match: Literal["exact", "close", "broad", "narrow"] = "exact"
    source: str | None = Field(None, description="Where the mapping was checked (a URL or a name).")


class Term(Record):
    """A vocabulary term: an OWL class under its parent(s)."""

    id: Slug
    label: Annotated[str, StringConstraints(min_length=1)]
    parent: Slugs = Field(
        description="Parent term id(s), or a root: intervention, pharmacologic, "
        "non-pharmacologic, procedure, care-process, condition, outcome, population-group."
    )
    synonyms: list[str] = []
    definition: str | None = None
    components: Slugs = Field([], description="Component terms of a combination therapy.")
    codes: list[Code] = []


class CitedAuthority(Record):
    """An authority a source attributes statements to."""

    id: Slug
    title: Annotated[str, StringConstraints(min_length=1)]
    url: str | None = None


class Source(Record):
    """The document a file describes."""

    id: Slug
    title: Annotated[str, StringConstraints(min_length=1)]
    kind: SourceKind
    publisher: str | None = None
    authors: list[str] = []
    issued: dt.date | None = None
    modified: dt.date | None = None
    url: str | None = None
    text: str | None = Field(None, description="Path of the document's text, relative to the YAML file.")
    supersedes: Slug | None = Field(None, description="Id of the source this one replaces.")
    curated_by: str | None = None
    cites: list[CitedAuthority] = []


class Population(Record):
    """Who a claim is about."""

    condition: Slug
    phase: Phase | None = None
    subgroup: Slugs = Field([], description="Subgroup terms; all of them apply.")
    underlying: Slugs = Field([], description="Conditions the condition results from; any of them.")


class Span(Record):
    """A duration or time point: a range in one unit."""

    min: float | None = Field(None, ge=0)
    max: float | None = Field(None, ge=0)
    unit: TimeUnit

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        return self


class Dose(Record):
    """A dose range with its unit and frequency."""

    min: float | None = Field(None, gt=0)
    max: float | None = Field(None, gt=0)
    unit: Annotated[str, StringConstraints(min_length=1)]
    frequency: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Dose:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        return self


class Effect(Record):
    """An effect estimate."""

    measure: Measure
    value: float
    ci: tuple[float, float] | None = Field(None, description="[lower, upper] limits.")
    ci_level: float = Field(0.95, gt=0, lt=1)
    approximate: bool = False

    @model_validator(mode="after")
    def _ci_ordered(self) -> Effect:
        if self.ci is not None and not self.ci[0] <= self.value <= self.ci[1]:
            raise ValueError(f"value {self.value} lies outside its ci {list(self.ci)}")
        return self


class BaseClaim(Record):
    """What every claim has."""

    id: Slug
    quote: Annotated[str, StringConstraints(min_length=3)]
    locator: str | None = Field(None, description="Section or recommendation number.")
    attributed_to: Slugs = Field([], description="Ids from the source's `cites`.")
    note: str | None = None
    intervention: Slug
    population: Population | None = None


class RecommendationClaim(BaseClaim):
    kind: Literal["recommendation"]
    direction: Direction
    line: Line | None = None
    exclusive: bool = False
    examples: Slugs = []
    alternatives: Slugs = []
    strength: Strength | None = None
    certainty: Certainty | None = None
    published_strength: str | None = None
    dose: Dose | None = None
    duration: Span | None = None


class EvidenceClaim(BaseClaim):
    kind: Literal["evidence"]
    outcome: Slug
    comparator: Slug | None = None
    finding: Finding | None = None
    effect: Effect | None = None
    timepoint: Span | None = None
    certainty: Certainty | None = None
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
    frequency: str | None = None
    serious: bool | None = None
    effect: Effect | None = None


class DoseClaim(BaseClaim):
    kind: Literal["dose"]
    dose: Dose | None = None
    duration: Span | None = None

    @model_validator(mode="after")
    def _has_amount(self) -> DoseClaim:
        if self.dose is None and self.duration is None:
            raise ValueError("a dose claim needs a `dose` or a `duration` (or both)")
        return self


Claim = Annotated[
    RecommendationClaim | EvidenceClaim | SafetyClaim | AdverseEffectClaim | DoseClaim,
    Field(discriminator="kind"),
]


class SourceFile(Record):
    """One YAML file in sources/: a document, the terms it needs, and its claims."""

    version: Literal[1] = 1
    source: Source
    terms: list[Term] = []
    claims: list[Claim] = []


class VocabularyFile(Record):
    """ontology/vocabulary.yaml: the shared terms."""

    version: Literal[1] = 1
    terms: list[Term]


def source_schema() -> dict[str, object]:
    """The JSON Schema of a source file (draft 2020-12), for editors and other tools."""
    schema = SourceFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://w3id.org/evidencekg/schema/source-1.json"
    schema["title"] = f"EvidenceKG source file, format version {FORMAT_VERSION}"
    return schema
