"""Load and validate the curation files: YAML -> typed records, with errors that name file and line."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.errors import Problem, SourceError
from kg.sources import records
from kg.sources.quotes import NormalizedText, QuoteMatch
from kg.sources.terms import FileTerms, TermIndex
from kg.sources.versions import newer_parts
from kg.sources.yamlio import Located, parse_record


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
    for ref in getattr(claim, "purpose", []):
        yield "purpose", ref, {"outcome"}
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

    def check_version(self) -> None:
        """A version-1 file uses nothing that format 1.1 added."""
        if self.record.version != 1:
            return
        for loc, what in newer_parts(self.record):
            self.problem(list(loc), f"{what} is new in format 1.1", 'write `version: "1.1"` at the top of the file')

    def check_quote(self, loc: list[int | str], claim: Any, text: NormalizedText | None) -> QuoteMatch | None:
        if claim.paraphrase is not None and self.record.source.text is not None:
            self.problem(
                [*loc, "paraphrase"],
                f"claim `{claim.id}` paraphrases a source that has a text",
                "give the source's exact words as `quote:` (a paraphrase is for sources without `text:`)",
            )
            return None
        if text is None:
            if claim.locator is None and self.record.source.text is None:
                words = "paraphrase rests on" if claim.paraphrase is not None else "quote cannot be verified without"
                self.problem(
                    loc,
                    f"claim `{claim.id}` has no locator: its {words} the source's section or number",
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
    checker.check_version()
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


def may_declare_terms(data: bytes) -> bool:
    """False only when a file's bytes cannot hold a `terms:` or `relations:` key, so the first pass need not parse it.

    A YAML key is spelled out in the file, except through escapes in double-quoted scalars (a
    backslash) or in another encoding than UTF-8 (a byte-order mark or NUL bytes).
    """
    return (
        b"terms" in data
        or b"relations" in data
        or b"\\" in data
        or b"\x00" in data
        or data[:2] in (b"\xff\xfe", b"\xfe\xff")
    )


def declared_terms(paths: Iterable[Path], vocabulary: TermIndex) -> tuple[TermIndex, dict[Path, str]]:
    """The vocabulary extended with the terms and term relations every source file declares (the
    first, cheap pass), and the source id of each file that declares terms or relations.

    A file that does not parse contributes nothing here; the second pass reports its problems.
    """
    groups: list[FileTerms] = []
    declaring: dict[Path, str] = {}
    for path in paths:
        try:
            if not may_declare_terms(path.read_bytes()):
                continue
            record, lines = parse_record(path, records.SourceFile)
        except (OSError, SourceError):
            continue
        if record.terms or record.relations:
            groups.append((lines, record.terms, record.relations))
            declaring[path] = record.source.id
    return vocabulary.extended(groups), declaring


class SourceStream:
    """The source files of a directory, loaded and checked one at a time (memory stays bounded).

    A first pass collects the terms that any file declares (terms declared by any source file may
    be used by every other one); iterating then yields each valid file in name order and keeps its
    problems. `finish()` adds the cross-file checks and raises one SourceError with every problem.
    """

    def __init__(self, directory: Path, vocabulary: TermIndex) -> None:
        self.paths = source_files(directory)
        self.terms, self.declaring = declared_terms(self.paths, vocabulary)
        self.problems: list[Problem] = []
        self.ids: dict[str, Path] = {}
        self.supersedes: list[tuple[Path, str]] = []
        self.claims = 0

    def __iter__(self) -> Iterator[LoadedSource]:
        for path in self.paths:
            loaded = self.load(path)
            if loaded is not None:
                yield loaded

    def load(self, path: Path) -> LoadedSource | None:
        """Parse and check one file; None (and its problems recorded) when it is not valid."""
        try:
            record, lines = parse_record(path, records.SourceFile)
            own = [p for p in self.terms.problems if p.path == path]
            loaded = check_source(path, record, lines, self.terms, own)
        except SourceError as exc:
            self.problems.extend(exc.problems)
            return None
        self.problems.extend(self._duplicate_id(loaded))
        if loaded.record.source.supersedes:
            self.supersedes.append((path, loaded.record.source.supersedes))
        self.claims += len(loaded.record.claims)
        return loaded

    def _duplicate_id(self, loaded: LoadedSource) -> list[Problem]:
        """A source id must be unique across files."""
        first = self.ids.setdefault(loaded.id, loaded.path)
        if first == loaded.path:
            return []
        return [
            Problem(
                loaded.path,
                None,
                f"source id `{loaded.id}` is also used by {first}",
                "give each source file its own source.id",
            )
        ]

    def finish(self) -> None:
        """Check that `supersedes` names a known source; raise SourceError if any file had problems."""
        for path, target in self.supersedes:
            if target not in self.ids:
                self.problems.append(
                    Problem(
                        path,
                        None,
                        f"source.supersedes names `{target}`, which no source file defines",
                        f"use one of: {', '.join(sorted(self.ids))}",
                    )
                )
        if self.problems:
            raise SourceError(self.problems)


def load_sources(directory: Path, terms: TermIndex) -> list[LoadedSource]:
    """Load every source file of a directory into memory; raise one SourceError with all problems of all files.

    Terms declared by any source file may be used by every other one. The build streams instead
    (`SourceStream`); this list is for tests and small folders.
    """
    stream = SourceStream(directory, terms)
    loaded = list(stream)
    stream.finish()
    return loaded
