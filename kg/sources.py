"""Load and validate the curation files: YAML -> typed records, with errors that name file and line."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg import records
from kg.errors import Problem, SourceError
from kg.quotes import NormalizedText, QuoteMatch
from kg.terms import TermIndex
from kg.yamlio import Located, parse_record


@dataclass(frozen=True)
class LoadedSource:
    """A validated source file: its record, its text, and where each quote sits in the text."""

    path: Path
    record: records.SourceFile
    text: str | None
    quotes: dict[str, QuoteMatch] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.record.source.id


def _claim_refs(claim: Any) -> Iterable[tuple[str, str, set[str]]]:
    """(field, term id, allowed kinds) for every term a claim points at."""
    interventions = {"intervention"}
    yield "intervention", claim.intervention, interventions
    for name in ("examples", "alternatives"):
        for ref in getattr(claim, name, []):
            yield name, ref, interventions
    if getattr(claim, "comparator", None):
        yield "comparator", claim.comparator, interventions
    if getattr(claim, "outcome", None):
        yield "outcome", claim.outcome, {"outcome"}
    if claim.population is not None:
        yield "population.condition", claim.population.condition, {"condition"}
        for ref in claim.population.underlying:
            yield "population.underlying", ref, {"condition"}
        for ref in claim.population.subgroup:
            yield "population.subgroup", ref, {"population-group", "condition"}


class SourceChecker:
    """Cross-reference checks of one source file against the vocabulary and its text."""

    def __init__(self, path: Path, lines: Located, record: records.SourceFile, terms: TermIndex) -> None:
        self.path, self.lines, self.record, self.terms = path, lines, record, terms
        self.problems: list[Problem] = []

    def problem(self, loc: Sequence[int | str], message: str, fix: str | None = None) -> None:
        self.problems.append(Problem(self.path, self.lines.line(loc), message, fix))

    def read_text(self) -> NormalizedText | None:
        """The source's text, or None when it has none (quotes then need locators)."""
        ref = self.record.source.text
        if ref is None:
            return None
        text_path = self.path.parent / ref
        try:
            return NormalizedText(text_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            self.problem(
                ["source", "text"],
                f"cannot read the source text {text_path}: {exc}",
                "give a path relative to this YAML file, to a UTF-8 text file",
            )
            return None

    def check_claims(self, text: NormalizedText | None) -> dict[str, QuoteMatch]:
        """Check ids, references, attributions and quotes of every claim."""
        cited = {c.id for c in self.record.source.cites}
        seen: dict[str, int] = {}
        matches: dict[str, QuoteMatch] = {}
        for index, claim in enumerate(self.record.claims):
            loc: list[int | str] = ["claims", index]
            if claim.id in seen:
                self.problem(
                    [*loc, "id"],
                    f"claim id `{claim.id}` is used twice (first at claims[{seen[claim.id]}])",
                    "give every claim of a file its own id",
                )
            seen.setdefault(claim.id, index)
            self.check_refs(loc, claim)
            for ref in claim.attributed_to:
                if ref not in cited:
                    self.problem(
                        [*loc, "attributed_to"],
                        f"claim `{claim.id}` is attributed to `{ref}`, which the source does not cite",
                        f"add `{ref}` to source.cites, or use one of: {', '.join(sorted(cited)) or '(none cited)'}",
                    )
            match = self.check_quote(loc, claim, text)
            if match is not None:
                matches[claim.id] = match
        return matches

    def check_refs(self, loc: list[int | str], claim: Any) -> None:
        for name, ref, kinds in _claim_refs(claim):
            where = [*loc, *name.split(".")]
            kind = self.terms.kind(ref)
            if kind is None:
                self.problem(where, f"claim `{claim.id}`: unknown term `{ref}` in {name}", self.terms.suggest(ref))
            elif kind not in kinds:
                self.problem(
                    where,
                    f"claim `{claim.id}`: `{ref}` is a {kind} term, "
                    f"but {name} needs a {' or '.join(sorted(kinds))} term",
                )
        for example in getattr(claim, "examples", []):
            if self.terms.kind(example) and not self.terms.is_a(example, claim.intervention):
                self.problem(
                    [*loc, "examples"],
                    f"claim `{claim.id}`: example `{example}` is not a kind of `{claim.intervention}`",
                    f"give `{example}` the parent `{claim.intervention}` in the vocabulary, or drop the example",
                )

    def check_quote(self, loc: list[int | str], claim: Any, text: NormalizedText | None) -> QuoteMatch | None:
        if text is None:
            if claim.locator is None and self.record.source.text is None:
                self.problem(
                    loc,
                    f"claim `{claim.id}` has no locator and its source has no text to verify the quote against",
                    "add `locator:` (section or recommendation number), or give the source a `text:`",
                )
            return None
        match = text.find(claim.quote)
        if match is None:
            self.problem(
                [*loc, "quote"],
                f"claim `{claim.id}`: the quote does not occur in {self.record.source.text}",
                "copy the words exactly from the text (only whitespace and quote-mark style may differ)",
            )
        return match


def check_source(
    path: Path, record: records.SourceFile, lines: Located, known: TermIndex, problems: list[Problem]
) -> LoadedSource:
    """Cross-check a parsed source against the known terms and its text."""
    checker = SourceChecker(path, lines, record, known)
    checker.problems.extend(problems)
    text = checker.read_text()
    quotes = checker.check_claims(text)
    if checker.problems:
        raise SourceError(checker.problems)
    return LoadedSource(path, record, text.text if text else None, quotes)


def source_files(directory: Path) -> list[Path]:
    """The YAML files of a sources directory, in name order."""
    if not directory.is_dir():
        raise SourceError([Problem(directory, None, "sources directory not found", "pass --sources DIR")])
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])


def load_sources(directory: Path, terms: TermIndex) -> list[LoadedSource]:
    """Load every source file of a directory; raise one SourceError with all problems of all files.

    Terms declared by any source file may be used by every other one.
    """
    parsed: list[tuple[Path, records.SourceFile, Located]] = []
    problems: list[Problem] = []
    for path in source_files(directory):
        try:
            record, lines = parse_record(path, records.SourceFile)
        except SourceError as exc:
            problems.extend(exc.problems)
            continue
        parsed.append((path, record, lines))
    shared = terms.extended((lines, record.terms) for _, record, lines in parsed)
    loaded: list[LoadedSource] = []
    for path, record, lines in parsed:
        own = [p for p in shared.problems if p.path == path]
        try:
            loaded.append(check_source(path, record, lines, shared, own))
        except SourceError as exc:
            problems.extend(exc.problems)
    problems.extend(_cross_file_problems(loaded))
    if problems:
        raise SourceError(problems)
    return loaded


def _cross_file_problems(loaded: list[LoadedSource]) -> list[Problem]:
    """Source ids unique across files; `supersedes` names a known source."""
    problems = []
    first: dict[str, Path] = {}
    for item in loaded:
        if item.id in first:
            problems.append(
                Problem(
                    item.path,
                    None,
                    f"source id `{item.id}` is also used by {first[item.id]}",
                    "give each source file its own source.id",
                )
            )
        first.setdefault(item.id, item.path)
    for item in loaded:
        target = item.record.source.supersedes
        if target and target not in first:
            problems.append(
                Problem(
                    item.path,
                    None,
                    f"source.supersedes names `{target}`, which no source file defines",
                    f"use one of: {', '.join(sorted(first))}",
                )
            )
    return problems
