"""Find a curator's quote in a source text, insensitive to whitespace runs and quote marks."""

from __future__ import annotations

import re
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
    """A text with whitespace runs collapsed and quote marks unified, mapped back to offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        chars: list[str] = []
        offsets: list[int] = []
        for match in re.finditer(r"\s+|\S", text.translate(_EQUIVALENT)):
            chars.append(" " if match.group().isspace() else match.group())
            offsets.append(match.start())
        self.normalized = "".join(chars)
        self._offsets = offsets

    def find(self, quote: str) -> QuoteMatch | None:
        """The first occurrence of `quote`, or None."""
        needle = normalize(quote)
        at = self.normalized.find(needle)
        if not needle or at < 0:
            return None
        start = self._offsets[at]
        last = self._offsets[at + len(needle) - 1]
        end = last + 1
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
