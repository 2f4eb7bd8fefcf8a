"""A source text with each claim's quote marked, from the build's character offsets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class Segment:
    """A run of the text: plain, or marked for the claims whose quotes cover it."""

    text: str
    claims: list[str] = field(default_factory=list)


def segments(text: str, spans: Iterable[tuple[int, int, str]]) -> list[Segment]:
    """The text cut at every quote's start and end; each piece lists the claims covering it."""
    spans = [(max(0, s), min(len(text), e), claim) for s, e, claim in spans if 0 <= s < e]
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    pieces = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        covering = [claim for s, e, claim in spans if s <= start and end <= e]
        pieces.append(Segment(text[start:end], covering))
    return pieces


def anchors(pieces: list[Segment]) -> dict[int, list[str]]:
    """For each piece, the claims whose quote starts there (the page puts their anchors on it)."""
    seen: set[str] = set()
    found: dict[int, list[str]] = {}
    for index, piece in enumerate(pieces):
        new = [claim for claim in piece.claims if claim not in seen]
        seen.update(new)
        if new:
            found[index] = new
    return found
