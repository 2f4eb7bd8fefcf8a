"""The vocabulary of terms: a class hierarchy of interventions, conditions, outcomes, groups."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from kg.errors import Problem, SourceError
from kg.namespaces import ROOTS
from kg.sources import records
from kg.sources.relations import RelationEntry, check_relation, of_file, of_term
from kg.sources.yamlio import Located, parse_record

FileTerms = tuple[Located, Iterable[records.Term], Sequence[records.Relation]]
"""One file's declared terms and its `relations:` items, with its line numbers."""


@dataclass(frozen=True)
class TermEntry:
    """A term, the file it was declared in and its index under `terms:` there."""

    term: records.Term
    lines: Located
    index: int

    @property
    def path(self) -> Path:
        return self.lines.path or Path("?")

    @property
    def line(self) -> int | None:
        return self.lines.line(["terms", self.index])


class TermIndex:
    """Every known term by id, with its kind (intervention, condition, ...), ancestors and relations.

    A term's kind follows from the parents it was declared with; the extra parents that source files
    give it (`relations:`, format 1.1) must be of the same kind, and count for its ancestors.
    """

    def __init__(
        self, entries: dict[str, TermEntry], problems: Sequence[Problem] = (), relations: Sequence[RelationEntry] = ()
    ) -> None:
        self.entries, self.relations = entries, list(relations)
        self.problems = list(problems)
        self._kinds: dict[str, str | None] = {}
        self._extra: dict[str, list[str]] = {}
        for related in self.relations:
            self._extra.setdefault(related.relation.term, []).extend(related.relation.also_under)
        self.problems.extend(self._check())
        self.problems.extend(self._check_relations())

    def __contains__(self, term_id: str) -> bool:
        return term_id in self.entries or term_id in ROOTS

    def __iter__(self) -> Iterator[TermEntry]:
        return iter(self.entries.values())

    def kind(self, term_id: str) -> str | None:
        """intervention, condition, outcome or population-group; None if unknown or cyclic."""
        if term_id in ROOTS:
            return ROOTS[term_id][1]
        if term_id not in self._kinds:
            self._kinds[term_id] = None  # guards against cycles while resolving
            entry = self.entries.get(term_id)
            kinds = {self.kind(p) for p in entry.term.parent} if entry else {None}
            self._kinds[term_id] = kinds.pop() if len(kinds) == 1 else None
        return self._kinds[term_id]

    def ancestors(self, term_id: str) -> set[str]:
        """All ancestors of a term (term ids and root slugs), not including itself."""
        seen: set[str] = set()
        stack = list(self.parents(term_id))
        while stack:
            parent = stack.pop()
            if parent not in seen:
                seen.add(parent)
                stack.extend(self.parents(parent))
        return seen

    def parents(self, term_id: str) -> list[str]:
        """Declared and extra parents of a term."""
        entry = self.entries.get(term_id)
        return [*(entry.term.parent if entry else []), *self._extra.get(term_id, [])]

    def is_a(self, term_id: str, ancestor: str) -> bool:
        """True if `term_id` is `ancestor` or below it."""
        return term_id == ancestor or ancestor in self.ancestors(term_id)

    def suggest(self, term_id: str) -> str:
        """A fix for an unknown term id."""
        close = difflib.get_close_matches(term_id, [*self.entries, *ROOTS], n=3)
        hint = f"did you mean {', '.join(f'`{c}`' for c in close)}? " if close else ""
        return hint + "or declare it under `terms:` in this file or in ontology/vocabulary.yaml"

    def with_terms(self, lines: Located, terms: Iterable[records.Term]) -> TermIndex:
        """A new index with a source file's own terms added (problems for clashes)."""
        return self.extended([(lines, terms, ())])

    def extended(self, groups: Iterable[FileTerms]) -> TermIndex:
        """A new index with the terms and relations of several files added (problems for clashes)."""
        entries, relations = dict(self.entries), list(self.relations)
        problems = []
        for lines, terms, related in groups:
            problems.extend(_add_terms(entries, lines, terms))
            relations.extend(of_file(lines, related))
        return TermIndex(entries, problems, relations)

    def _check_relations(self) -> list[Problem]:
        """Relations given in `relations:` lists and on terms: known terms of fitting kinds, no cycles."""
        own = [of_term(e.term, e.lines, e.index) for e in self.entries.values() if e.term.overlaps or e.term.opposes]
        return [problem for entry in [*own, *self.relations] for problem in check_relation(entry, self)]

    def _check(self) -> list[Problem]:
        """Parents and components exist, kinds resolve, combinations are made of interventions."""
        problems = []
        for entry in self.entries.values():
            term = entry.term
            for parent in term.parent:
                if parent not in self:
                    problems.append(
                        Problem(
                            entry.path, entry.line, f"term `{term.id}`: unknown parent `{parent}`", self.suggest(parent)
                        )
                    )
            if all(p in self for p in term.parent) and self.kind(term.id) is None:
                problems.append(
                    Problem(
                        entry.path,
                        entry.line,
                        f"term `{term.id}`: its parents lead to different kinds of term, or round in a cycle",
                        "give it parents of one kind (all interventions, or all conditions, ...)",
                    )
                )
            for component in term.components:
                if self.kind(component) != "intervention":
                    problems.append(
                        Problem(
                            entry.path,
                            entry.line,
                            f"term `{term.id}`: component `{component}` is not a known intervention",
                            self.suggest(component),
                        )
                    )
        return problems


def _add_terms(entries: dict[str, TermEntry], lines: Located, terms: Iterable[records.Term]) -> list[Problem]:
    """Add one file's terms to `entries`; a problem for each id that is already taken."""
    problems = []
    for index, term in enumerate(terms):
        if term.id in entries or term.id in ROOTS:
            other = entries.get(term.id)
            where = f"{other.path}:{other.line}" if other else "the ontology roots"
            message = f"term `{term.id}` is already declared in {where}"
            fix = "use the existing term, or choose another id"
            problems.append(Problem(lines.path or Path("?"), lines.line(["terms", index]), message, fix))
            continue
        entries[term.id] = TermEntry(term, lines, index)
    return problems


def load_vocabulary(path: Path) -> TermIndex:
    """Load ontology/vocabulary.yaml; raise SourceError listing every problem."""
    record, lines = parse_record(path, records.VocabularyFile)
    entries: dict[str, TermEntry] = {}
    problems = []
    for index, term in enumerate(record.terms):
        if term.id in entries or term.id in ROOTS:
            problems.append(
                Problem(path, lines.line(["terms", index]), f"term `{term.id}` is declared twice", "keep one")
            )
            continue
        entries[term.id] = TermEntry(term, lines, index)
    index_ = TermIndex(entries, problems)
    if index_.problems:
        raise SourceError(index_.problems)
    return index_
