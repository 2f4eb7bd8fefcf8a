"""Loading and validating source files: the seeds, and every kind of mistake a curator makes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kg.build import Dataset, assemble
from kg.errors import SourceError
from kg.project import Project
from kg.sources.quotes import normalize


def test_seeds_have_claims_of_every_kind(seed_dataset: Dataset) -> None:
    kinds = {c.kind for s in seed_dataset.sources for c in s.record.claims}
    assert kinds >= {"recommendation", "evidence", "contraindication", "caution", "adverse-effect", "dose"}
    assert {s.id for s in seed_dataset.sources} == {"livestrong-back-spasm", "droracle-back-spasm"}


def test_every_seed_quote_is_verified_at_its_offsets(seed_dataset: Dataset) -> None:
    checked = 0
    for source in seed_dataset.sources:
        assert source.text is not None
        for claim in source.record.claims:
            match = source.quotes[claim.id]
            assert normalize(source.text[match.start : match.end]) == normalize(claim.quote)
            checked += 1
    assert checked == seed_dataset.claims > 50


def test_tiny_fixture_verifies_despite_quote_marks(
    sources_dir: Callable[..., Path], project_with: Callable[[Path], Project]
) -> None:
    dataset = assemble(project_with(sources_dir("tiny")))
    (source,) = dataset.sources
    match = source.quotes["nsaid-first"]
    assert match.exact == '"NSAIDs are the first choice"'


# (what is wrong, text to replace in tiny.yaml, replacement, words in the error, text on its line)
MISTAKES = [
    ("bad YAML", "direction: for\n", "direction: [for\n", "YAML syntax error", None),
    (
        "unknown term",
        "intervention: nsaid\n    examples",
        "intervention: nsiad\n    examples",
        "unknown term `nsiad`",
        "intervention: nsiad",
    ),
    (
        "quote not in text",
        "quote: Avoid extended bed rest.",
        "quote: Avoid all bed rest.",
        "does not occur in tiny.txt",
        "quote: Avoid all bed rest.",
    ),
    ("missing field", "    direction: against\n", "", "direction", "id: avoid-bed-rest"),
    ("misspelt key", "line: first", "lien: first", "did you mean `line`", "lien: first"),
    ("bad enum value", "direction: for", "direction: maybe", "'for'", "direction: maybe"),
    (
        "uncited authority",
        "attributed_to: tiny-authority",
        "attributed_to: someone-else",
        "does not cite",
        "attributed_to: someone-else",
    ),
    (
        "wrong kind of term",
        "condition: back-muscle-spasm, phase: acute",
        "condition: nsaid, phase: acute",
        "needs a condition term",
        "condition: nsaid",
    ),
    (
        "example outside class",
        "examples: [ibuprofen]",
        "examples: [cyclobenzaprine]",
        "is not a kind of `nsaid`",
        "examples: [cyclobenzaprine]",
    ),
    ("unknown claim kind", "kind: caution", "kind: warning", "kind: recommendation, evidence", "id: elderly-caution"),
    (
        "duplicate claim id",
        "id: avoid-bed-rest",
        "id: nsaid-first",
        "used twice",
        "id: nsaid-first\n    kind: recommendation\n    intervention: extended",
    ),
    ("caution without subgroup", "subgroup: [elderly]", "phase: acute", "subgroup", "id: elderly-caution"),
]


def line_with(text: str, anchor: str) -> int:
    """1-based line on which `anchor` starts."""
    return text[: text.index(anchor)].count("\n") + 1


@pytest.mark.parametrize(("what", "old", "new", "words", "anchor"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_mistake_is_reported_with_file_and_line(
    sources_dir: Callable[..., Path],
    project_with: Callable[[Path], Project],
    what: str,
    old: str,
    new: str,
    words: str,
    anchor: str | None,
) -> None:
    directory = sources_dir("tiny")
    path = directory / "tiny.yaml"
    text = path.read_text()
    assert old in text, f"fixture changed: {old!r} not found"
    broken = text.replace(old, new, 1)
    path.write_text(broken)
    with pytest.raises(SourceError) as caught:
        assemble(project_with(directory))
    messages = [str(p) for p in caught.value.problems]
    problem = next((p for p in caught.value.problems if words in str(p)), None)
    assert problem is not None, messages
    assert problem.path.name == "tiny.yaml"
    if anchor is not None:
        assert problem.line == line_with(broken, anchor), messages


def test_source_without_text_needs_locators(
    sources_dir: Callable[..., Path], project_with: Callable[[Path], Project]
) -> None:
    directory = sources_dir("tiny")
    path = directory / "tiny.yaml"
    path.write_text(path.read_text().replace("  text: tiny.txt\n", ""))
    with pytest.raises(SourceError, match="has no locator"):
        assemble(project_with(directory))
    lines = path.read_text().replace("    quote:", "    locator: Recommendation 1\n    quote:")
    path.write_text(lines)
    dataset = assemble(project_with(directory))
    assert dataset.sources[0].quotes == {}
