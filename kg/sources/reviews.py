"""Review decisions on conflicts: a YAML file under version control that survives rebuilds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StringConstraints
from ruamel.yaml import YAML

from kg.sources.records import Record
from kg.sources.yamlio import parse_record

Status = Literal["candidate", "confirmed", "explained-by-context", "dismissed"]
STATUSES: tuple[str, ...] = ("candidate", "confirmed", "explained-by-context", "dismissed")


class Review(Record):
    """One decision: a conflict id, its status, who decided, when and why."""

    conflict: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")]
    status: Status
    reviewer: Annotated[str, StringConstraints(min_length=1)]
    at: dt.datetime
    rationale: Annotated[str, StringConstraints(min_length=1)]


class ReviewsFile(Record):
    """sources/reviews/conflicts.yaml."""

    version: Literal[1] = 1
    reviews: list[Review] = Field(default_factory=list)


def load_reviews(path: Path) -> dict[str, Review]:
    """The latest review of each conflict id (a missing file means no reviews yet)."""
    if not path.exists():
        return {}
    record, _ = parse_record(path, ReviewsFile)
    latest: dict[str, Review] = {}
    for review in record.reviews:
        latest[review.conflict] = review
    return latest


def add_review(path: Path, review: Review) -> None:
    """Append a review to the file, keeping its comments and earlier decisions (an audit trail)."""
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    data = yaml.load(path) if path.exists() else None
    if data is None:
        data = {"version": 1, "reviews": []}
    entry = review.model_dump(mode="json")
    data.setdefault("reviews", []).append(entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)
