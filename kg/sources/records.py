"""Typed records of the sources format (version 1.1): what a curator writes in a YAML file.

The value types are in `kg.sources.fields`, the claims in `kg.sources.claims`; both are re-exported here.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, StringConstraints, WithJsonSchema

from kg.sources.claims import (
    CLAIM_MODELS,
    AdverseEffectClaim,
    BaseClaim,
    Claim,
    DoseClaim,
    EvidenceClaim,
    RecommendationClaim,
    SafetyClaim,
    kinds_with_field,
)
from kg.sources.fields import (
    MAX_LITERAL_CHARS,
    AnyDose,
    AnyDuration,
    Code,
    Dose,
    Effect,
    Population,
    QualitativeDose,
    QualitativeSpan,
    Record,
    Slug,
    Slugs,
    SourceKind,
    Span,
    TermKind,
    Timing,
)

__all__ = [
    "CLAIM_MODELS",
    "MAX_LITERAL_CHARS",
    "AdverseEffectClaim",
    "AnyDose",
    "AnyDuration",
    "BaseClaim",
    "CitedAuthority",
    "Claim",
    "Code",
    "Dose",
    "DoseClaim",
    "Effect",
    "EvidenceClaim",
    "Population",
    "QualitativeDose",
    "QualitativeSpan",
    "RecommendationClaim",
    "Relation",
    "SafetyClaim",
    "Source",
    "SourceFile",
    "Span",
    "Term",
    "TermKind",
    "Timing",
    "VocabularyFile",
    "kinds_with_field",
    "source_schema",
]

FORMAT_VERSION = "1.1"
"""The newest version of the format; files say `version: "1.1"` (or 1.1) to use its additions."""


def _version(value: object) -> object:
    """`1`, `"1"`, `1.1`, `"1.1"` -> 1 or "1.1" (a version-1 file keeps the integer it always had)."""
    text = str(value)
    if text == "1":
        return 1
    return "1.1" if text == "1.1" else value


Version = Annotated[
    Literal[1, "1.1"],
    BeforeValidator(_version),
    WithJsonSchema({"enum": [1, "1", "1.1", 1.1], "description": 'Format version: 1 (default) or "1.1".'}),
]
"""The format version: 1 (the default) or "1.1"."""


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
    overlaps: Slugs = Field([], description="Terms that share members with it, neither containing the other (1.1).")
    opposes: Slugs = Field([], description="Interventions that are opposite advice to it (1.1).")


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
    short_title: str | None = Field(
        None, description="What reports call the source (format 1.1), e.g. `CDC opioid guideline`."
    )
    url: str | None = None
    retrieved: dt.date | None = Field(None, description="When the text was retrieved from `url` (format 1.1).")
    text: str | None = Field(None, description="Path of the document's text, relative to the YAML file.")
    supersedes: Slug | None = Field(None, description="Id of the source this one replaces.")
    curated_by: str | None = None
    cites: list[CitedAuthority] = []


class Relation(Record):
    """What a source says about terms it did not declare (format 1.1): extra parents, overlaps, opposites."""

    term: Slug
    also_under: Slugs = Field([], description="Extra parents: the term is also a kind of these.")
    overlaps: Slugs = Field([], description="Conditions or population groups that share members with it (symmetric).")
    opposes: Slugs = Field([], description="Interventions that are opposite advice to it (symmetric).")


class SourceFile(Record):
    """One YAML file in sources/: a document, the terms it needs, and its claims."""

    version: Version = 1
    source: Source
    terms: list[Term] = []
    relations: list[Relation] = Field([], description="Relations between terms declared elsewhere (format 1.1).")
    claims: list[Claim] = []


class VocabularyFile(Record):
    """ontology/vocabulary.yaml: the shared terms."""

    version: Version = 1
    terms: list[Term]


def source_schema() -> dict[str, object]:
    """The JSON Schema of a source file (draft 2020-12), for editors and other tools."""
    schema = SourceFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://w3id.org/evidencekg/schema/source-1.1.json"
    schema["title"] = f"EvidenceKG source file, format version {FORMAT_VERSION}"
    return schema
