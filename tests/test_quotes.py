"""Quote matching: insensitive to whitespace runs and quote-mark style, nothing else."""

import pytest

from kg.sources.quotes import NormalizedText

TEXT = "He said “take  rest”\nthen\t\tleft. It’s fine."


@pytest.mark.parametrize(
    ("quote", "exact"),
    [
        ('"take rest"', "“take  rest”"),
        ("take rest” then left.", "take  rest”\nthen\t\tleft."),
        ("It's fine.", "It’s fine."),
        ("  said  ", "said"),
    ],
)
def test_found_with_original_offsets(quote: str, exact: str) -> None:
    match = NormalizedText(TEXT).find(quote)
    assert match is not None
    assert TEXT[match.start : match.end] == exact == match.exact
    assert TEXT.endswith(match.suffix, 0, len(TEXT)) or match.suffix in TEXT
    assert TEXT[: match.start].endswith(match.prefix)


@pytest.mark.parametrize("quote", ["Take rest", "take rest.", "takerest", "", "said, take"])
def test_other_differences_do_not_match(quote: str) -> None:
    assert NormalizedText(TEXT).find(quote) is None
