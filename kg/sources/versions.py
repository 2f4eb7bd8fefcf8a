"""Which parts of a file need format version 1.1: a version-1 file must not use them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from kg.sources import records

Loc = tuple[int | str, ...]

NEW_FIELDS: dict[type[BaseModel], frozenset[str]] = {
    records.RecommendationClaim: frozenset({"paraphrase", "purpose", "timing"}),
    records.EvidenceClaim: frozenset({"paraphrase", "strength"}),
    records.SafetyClaim: frozenset({"paraphrase", "strength", "certainty"}),
    records.AdverseEffectClaim: frozenset({"paraphrase", "strength", "certainty", "finding"}),
    records.DoseClaim: frozenset({"paraphrase", "strength", "certainty", "timing"}),
    records.Effect: frozenset({"scale"}),
    records.Term: frozenset({"overlaps", "opposes"}),
    records.SourceFile: frozenset({"relations"}),
    records.Source: frozenset({"short_title", "retrieved"}),
}
"""Keys that format 1.1 added, by record."""
NEW_RECORDS = (records.QualitativeDose, records.QualitativeSpan)
"""Records that format 1.1 added (written as `{qualifier: ...}`)."""


def newer_parts(record: BaseModel, loc: Loc = ()) -> Iterator[tuple[Loc, str]]:
    """(where, what) for every part of a record that only format 1.1 has."""
    if isinstance(record, NEW_RECORDS):
        yield loc, "a `qualifier`"
        return
    for name in sorted(NEW_FIELDS.get(type(record), frozenset()) & record.model_fields_set):
        yield (*loc, name), f"`{name}`"
    if isinstance(record, records.Population) and isinstance(record.phase, list):
        yield (*loc, "phase"), "a list of phases"
    for name in record.model_fields_set:
        yield from _nested(getattr(record, name), (*loc, name))


def _nested(value: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    """newer_parts of a field's value: a record, or a list of records."""
    if isinstance(value, BaseModel):
        yield from newer_parts(value, loc)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, BaseModel):
                yield from newer_parts(item, (*loc, index))
