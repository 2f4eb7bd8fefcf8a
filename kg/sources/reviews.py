"""Review decisions on conflicts: a YAML file under version control that survives rebuilds.

The file is only ever replaced whole: the new text is written to a temporary file beside it,
flushed to disk and renamed over it, under a lock on its folder, so a kill leaves either the old
file or the new one, and two reviews at once both land.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from kg.errors import Problem, SourceError
from kg.sources.records import Record
from kg.sources.yamlio import parse_record

Status = Literal["candidate", "confirmed", "explained-by-context", "dismissed"]
STATUSES: tuple[str, ...] = ("candidate", "confirmed", "explained-by-context", "dismissed")
EMPTY = "version: 1\nreviews: []\n"
FIELDS = ("conflict", "status", "reviewer", "at", "rationale")
_REVIEWS_KEY = re.compile(r"^reviews:([^\n#]*)", re.M)
_TOP_KEY = re.compile(r"^[^\s#-][^\n]*:", re.M)


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
    """Append a review to the file, keeping its text, comments and earlier decisions (an audit trail)."""
    add_reviews(path, [review])


def add_reviews(path: Path, reviews: list[Review]) -> None:
    """Append reviews in one atomic write (a decision on a disagreement covers each of its pairs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _folder_lock(path.parent):
        _sweep_temporaries(path)
        before = len(load_reviews_list(path))  # a malformed file is reported, never rewritten
        text = path.read_text(encoding="utf-8") if path.exists() else EMPTY
        for review in reviews:
            text = appended(path, text, review)
        replace_file(path, text, check=lambda p: len(load_reviews_list(p)) == before + len(reviews))


def history(path: Path, conflicts: set[str]) -> list[Review]:
    """Every decision recorded on these conflict ids, oldest first."""
    return [review for review in load_reviews_list(path) if review.conflict in conflicts]


def load_reviews_list(path: Path) -> list[Review]:
    """Every review in the file, in order (none when it is missing)."""
    return parse_record(path, ReviewsFile)[0].reviews if path.exists() else []


def appended(path: Path, text: str, review: Review) -> str:
    """The file's text with one entry added at the end of its `reviews` list (the file's last key)."""
    found = list(_REVIEWS_KEY.finditer(text))
    if not found or _TOP_KEY.search(text, found[-1].end()) or found[-1].group(1).strip() not in ("", "[]"):
        line = text.count("\n", 0, found[-1].start()) + 1 if found else None
        raise SourceError(
            [Problem(path, line, "cannot add a review", "make `reviews:` the last key, as a block list or []")]
        )
    head = text[: found[-1].start()] + "reviews:" + text[found[-1].end() :]
    return head.rstrip("\n") + "\n" + entry_text(review)


def entry_text(review: Review) -> str:
    """One review as a block list item, every value double-quoted (ids never read back as numbers)."""
    values = review.model_dump(mode="json")
    lines = [f"{'  - ' if i == 0 else '    '}{name}: {_quoted(str(values[name]))}" for i, name in enumerate(FIELDS)]
    return "\n".join(lines) + "\n"


def _quoted(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def replace_file(path: Path, text: str, check: Callable[[Path], bool] = lambda _: True) -> None:
    """Write `text` to a temporary file beside `path`, flush it to disk, rename it over `path`
    (only when `check` accepts the temporary file)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if not check(temporary):
            raise SourceError([Problem(path, None, "the rewritten file did not read back as written", None)])
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    _sync_folder(path.parent)


def _sweep_temporaries(path: Path) -> None:
    """Remove what a writer killed mid-write left (no other writer is writing: we hold the lock)."""
    for left in path.parent.glob(f".{path.name}.*.tmp"):
        left.unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock on the folder itself (the file is replaced, so it cannot carry the lock)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
