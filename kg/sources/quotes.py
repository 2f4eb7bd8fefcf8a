"""Find a curator's quote in a source text, insensitive to whitespace runs and quote marks."""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

# Typographic variants that curators cannot be expected to type exactly.
_EQUIVALENT = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00a0": " ",
    }
)
_SPACE = re.compile(r"\s+")
CONTEXT = 32
"""Characters of prefix and suffix recorded around a quote (Web Annotation TextQuoteSelector)."""


@dataclass(frozen=True)
class QuoteMatch:
    """Where a quote sits in the original text (character offsets, end exclusive)."""

    start: int
    end: int
    exact: str
    prefix: str
    suffix: str


class NormalizedText:
    """A text with whitespace runs collapsed and quote marks unified, mapped back to offsets.

    Quote marks map one character to one, so only the whitespace runs shift offsets: each run
    becomes one space, and `_runs`/`_shift` record where the runs sit in the normalized text and
    how far the original text is ahead after each (a bisection maps an offset back).
    """

    def __init__(self, text: str) -> None:
        self.text = text
        unified = text.translate(_EQUIVALENT)
        runs: list[int] = []
        shift = [0]
        for match in _SPACE.finditer(unified):
            start, end = match.span()
            runs.append(start - shift[-1])
            shift.append(shift[-1] + end - start - 1)
        self.normalized = _SPACE.sub(" ", unified)
        self._runs, self._shift = runs, shift

    def original(self, at: int) -> int:
        """The offset in the original text of the character at `at` in the normalized text."""
        return at + self._shift[bisect_left(self._runs, at)]

    def find(self, quote: str) -> QuoteMatch | None:
        """The first occurrence of `quote`, or None."""
        needle = normalize(quote)
        at = self.normalized.find(needle)
        if not needle or at < 0:
            return None
        start = self.original(at)
        end = self.original(at + len(needle) - 1) + 1
        return QuoteMatch(
            start=start,
            end=end,
            exact=self.text[start:end],
            prefix=self.text[max(0, start - CONTEXT) : start],
            suffix=self.text[end : end + CONTEXT],
        )


def normalize(text: str) -> str:
    """Collapse whitespace runs to one space, unify quote marks, strip the ends."""
    return _SPACE.sub(" ", text.translate(_EQUIVALENT)).strip()
