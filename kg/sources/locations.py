"""Where a graph's node was written: the file and line of the claim, term or source an IRI names."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

from kg.errors import SourceError
from kg.project import Finding
from kg.sources import records
from kg.sources.terms import TermIndex
from kg.sources.yamlio import Located, parse_record

Where = tuple[Path, int | None]


class Locator:
    """Maps the IRIs a build mints (`id/claim/<source>.<claim>`, `id/term/<id>`, `id/source/<id>`,
    their `#parts`) back to the file and line they were written from."""

    def __init__(self, base: str, sources: dict[str, Path], terms: TermIndex) -> None:
        self.prefix, self.sources, self.terms = f"{base}id/", sources, terms
        self.parsed: dict[Path, tuple[records.SourceFile, Located]] = {}

    def where(self, iri: str) -> Where | None:
        """The file and line an IRI was written from; None for a node no file names (a blank node)."""
        kind, _, slug = iri.removeprefix(self.prefix).split("#", 1)[0].partition("/")
        if not iri.startswith(self.prefix) or not slug:
            return None
        if kind == "term":
            entry = self.terms.entries.get(slug)
            return (entry.path, entry.line) if entry else None
        if kind in ("source", "text"):
            return self.source_line(slug, ["source", "text" if kind == "text" else "id"])
        if kind == "claim" and "." in slug:
            return self.claim_line(*slug.split(".", 1))
        return None

    def source_line(self, source_id: str, loc: list[int | str]) -> Where | None:
        path = self.sources.get(source_id)
        return None if path is None else (path, self.parse(path)[1].line(loc))

    def claim_line(self, source_id: str, claim_id: str) -> Where | None:
        """The line where a claim starts in its source's file."""
        path = self.sources.get(source_id)
        if path is None:
            return None
        record, lines = self.parse(path)
        index = next((i for i, c in enumerate(record.claims) if c.id == claim_id), None)
        return (path, None) if index is None else (path, lines.line(["claims", index]))

    def parse(self, path: Path) -> tuple[records.SourceFile, Located]:
        """A source file's record and line numbers (parsed again only when a finding is about it)."""
        if path not in self.parsed:
            try:
                self.parsed[path] = parse_record(path, records.SourceFile)
            except SourceError:
                self.parsed[path] = records.SourceFile.model_construct(claims=[]), Located(path)
        return self.parsed[path]

    def locate(self, findings: Iterable[Finding]) -> list[Finding]:
        """The findings, each with the file and line of its focus node when one names it."""
        located = []
        for finding in findings:
            where = self.where(finding.focus)
            located.append(dataclasses.replace(finding, path=where[0], line=where[1]) if where else finding)
        return located
