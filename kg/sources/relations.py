"""Term relations (format 1.1): extra parents, overlaps and opposites, and the checks they must pass."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kg.errors import Problem
from kg.sources import records
from kg.sources.yamlio import Located

OVERLAPPING = {"condition", "population-group"}
"""The kinds of term that may overlap one another."""


@dataclass(frozen=True)
class RelationEntry:
    """Relations of one term as a file states them: a `relations:` item, or a term's own `overlaps`/`opposes`."""

    relation: records.Relation
    lines: Located
    loc: tuple[int | str, ...]

    @property
    def path(self) -> Path:
        return self.lines.path or Path("?")

    def line(self, *field: int | str) -> int | None:
        return self.lines.line([*self.loc, *field])


class Terms(Protocol):
    """What the checks need to know of the term index."""

    def __contains__(self, term_id: str) -> bool: ...
    def kind(self, term_id: str) -> str | None: ...
    def ancestors(self, term_id: str) -> set[str]: ...
    def suggest(self, term_id: str) -> str: ...


def of_term(term: records.Term, lines: Located, index: int) -> RelationEntry:
    """A declared term's own overlaps and opposites, to be checked like a `relations:` item."""
    relation = records.Relation(term=term.id, also_under=[], overlaps=term.overlaps, opposes=term.opposes)
    return RelationEntry(relation, lines, ("terms", index))


def of_file(lines: Located, relations: Sequence[records.Relation]) -> list[RelationEntry]:
    """The `relations:` items of one source file."""
    return [RelationEntry(r, lines, ("relations", i)) for i, r in enumerate(relations)]


def check_relation(entry: RelationEntry, terms: Terms) -> Iterator[Problem]:
    """Every problem with one entry: unknown terms, kinds that do not fit, a parent below the term."""
    term = entry.relation.term
    if term not in terms:
        yield Problem(entry.path, entry.line("term"), f"relation on unknown term `{term}`", terms.suggest(term))
        return
    yield from _parents(entry, terms)
    yield from _symmetric(entry, terms, "overlaps", OVERLAPPING)
    yield from _symmetric(entry, terms, "opposes", {"intervention"})


def _parents(entry: RelationEntry, terms: Terms) -> Iterator[Problem]:
    """Extra parents exist, are of the term's kind, and are not the term or below it."""
    term, kind = entry.relation.term, terms.kind(entry.relation.term)
    for parent in entry.relation.also_under:
        where = (entry.path, entry.line("also_under"))
        if parent not in terms:
            yield Problem(*where, f"term `{term}`: unknown extra parent `{parent}`", terms.suggest(parent))
        elif terms.kind(parent) != kind:
            yield Problem(
                *where,
                f"term `{term}` is a {kind} term, `{parent}` a {terms.kind(parent)} term",
                "put a term only under terms of its own kind",
            )
        elif parent == term or term in terms.ancestors(parent):
            yield Problem(
                *where,
                f"term `{term}` cannot be under `{parent}`: `{parent}` is `{term}` or below it",
                "drop this parent, or the relation that puts it below the term",
            )


def _symmetric(entry: RelationEntry, terms: Terms, name: str, kinds: set[str]) -> Iterator[Problem]:
    """The terms a symmetric relation names exist, differ from the term, and both are of the allowed kinds."""
    term = entry.relation.term
    allowed = " or ".join(sorted(kinds))
    for other in getattr(entry.relation, name):
        where = (entry.path, entry.line(name))
        if other not in terms:
            yield Problem(*where, f"term `{term}` {name} unknown term `{other}`", terms.suggest(other))
        elif other == term:
            yield Problem(*where, f"term `{term}` {name} itself", f"remove `{other}` from {name}")
        elif not {terms.kind(term), terms.kind(other)} <= kinds:
            yield Problem(
                *where,
                f"`{name}` relates {allowed} terms, not `{term}` and `{other}`",
                f"use {name} only between {allowed} terms",
            )
