"""The value types of the sources format: slugs, codes, populations, spans, doses, effects, timing."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    WithJsonSchema,
    model_validator,
)

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
AdverseFinding = Literal["harm", "no-difference"]
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
RelativeTo = Literal["onset", "treatment"]


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


class Population(Record):
    """Who a claim is about."""

    condition: Slug
    phase: Phase | list[Phase] | None = Field(
        None, description="One phase, or a list (format 1.1): the claim applies in any of them."
    )
    subgroup: Slugs = Field([], description="Subgroup terms (population groups or conditions); all of them apply.")
    underlying: Slugs = Field([], description="Conditions the condition results from; any of them.")

    @property
    def phases(self) -> list[str]:
        """The phases as a list (empty when none is stated)."""
        if self.phase is None:
            return []
        return [self.phase] if isinstance(self.phase, str) else list(dict.fromkeys(self.phase))


def _check_range(low: float | None, high: float | None) -> None:
    """A range needs a bound, and its lower bound may not exceed its upper."""
    if low is None and high is None:
        raise ValueError("give min, max or both")
    if low is not None and high is not None and low > high:
        raise ValueError(f"min {low} is greater than max {high}")


class Span(Record):
    """A duration or time point: a range in one unit."""

    min: float | None = Field(None, ge=0)
    max: float | None = Field(None, ge=0)
    unit: TimeUnit

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        _check_range(self.min, self.max)
        return self


class QualitativeSpan(Record):
    """A duration the source gives in words only: `{qualifier: shortest-possible}` (format 1.1)."""

    qualifier: Literal["shortest-possible"]
    note: str | None = None


class Dose(Record):
    """A dose range with its unit and frequency."""

    min: float | None = Field(None, gt=0)
    max: float | None = Field(None, gt=0)
    unit: Annotated[str, StringConstraints(min_length=1)]
    frequency: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Dose:
        _check_range(self.min, self.max)
        return self


class QualitativeDose(Record):
    """A dose the source gives in words only: `{qualifier: lowest-effective}` (format 1.1)."""

    qualifier: Literal["lowest-effective"]
    frequency: str | None = None
    note: str | None = None


def _form(value: Any) -> str:
    """`qualitative` for a mapping with a `qualifier`, else `range`: picks the form to validate against."""
    return "qualitative" if isinstance(value, dict) and "qualifier" in value else "range"


AnyDose = Annotated[
    Annotated[Dose, Tag("range")] | Annotated[QualitativeDose, Tag("qualitative")],
    Discriminator(_form),
]
"""A dose range, or a qualitative dose."""
AnyDuration = Annotated[
    Annotated[Span, Tag("range")] | Annotated[QualitativeSpan, Tag("qualitative")],
    Discriminator(_form),
]
"""A duration range, or a qualitative duration."""


class Timing(Record):
    """When advice applies, relative to the onset or to the start of treatment (format 1.1)."""

    start: Span | None = Field(None, description="When it starts: `{min: 24, unit: hour}` is after the first day.")
    end: Span | None = Field(None, description="When it ends: `{min: 1, max: 2, unit: week}`.")
    relative_to: RelativeTo = "onset"

    @model_validator(mode="after")
    def _bounded(self) -> Timing:
        if self.start is None and self.end is None:
            raise ValueError("a timing needs `start`, `end` or both")
        return self


class Effect(Record):
    """An effect estimate."""

    measure: Measure
    value: float
    ci: tuple[float, float] | None = Field(None, description="[lower, upper] limits.")
    ci_level: float = Field(0.95, gt=0, lt=1)
    approximate: bool = False
    scale: str | None = Field(None, description="The scale the value is on, in the source's words (format 1.1).")

    @model_validator(mode="after")
    def _ci_ordered(self) -> Effect:
        if self.ci is not None and not self.ci[0] <= self.value <= self.ci[1]:
            raise ValueError(f"value {self.value} lies outside its ci {list(self.ci)}")
        return self
