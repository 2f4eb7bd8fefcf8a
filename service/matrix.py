"""The stance matrix: what each source recommends about each intervention, as the audit page's
filters select it, interventions under their classes, cells in a disagreement linked to it."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kg.audit import slug
from kg.wording import Names

STANCES = {"for": "for", "against": "against", "uncertain": "uncertain", "no recommendation": "uncertain"}


@dataclass
class Cell:
    """A matrix cell: the directions a source gives an intervention, its claims, its disagreement."""

    stances: set[str] = field(default_factory=set)
    claims: list[tuple[str, str]] = field(default_factory=list)
    disagreement: str = ""

    @property
    def conflicted(self) -> bool:
        return bool(self.disagreement)


@dataclass
class Matrix:
    """Sources (columns), interventions with their depth under the classes shown (rows), cells."""

    sources: list[str]
    rows: list[tuple[str, int]]
    cells: dict[tuple[str, str], Cell]
    labels: dict[str, str]


@dataclass(frozen=True)
class Selection:
    """What the page's filters keep: sources, interventions and conditions (None: all)."""

    sources: frozenset[str] | None = None
    interventions: frozenset[str] | None = None
    conditions: frozenset[str] | None = None

    def keeps(self, source: str, intervention: str, condition: str) -> bool:
        """Whether a recommendation passes every filter."""
        return all(
            allowed is None or value in allowed
            for allowed, value in (
                (self.sources, source),
                (self.interventions, intervention),
                (self.conditions, condition),
            )
        )


def build(rows: Iterable[Any], selection: Selection, disagreement_of: Mapping[str, str]) -> Matrix:
    """The matrix from the stance-matrix query's rows; a cell is flagged with the disagreement of one
    of its claims (among the selected ones)."""
    cells: dict[tuple[str, str], Cell] = defaultdict(Cell)
    labels: dict[str, str] = {}
    for row in rows:
        intervention, source = slug(row["intervention"].value), row["sourceId"].value
        condition = row["condition"].value if row["condition"] else ""
        if not selection.keeps(source, intervention, condition):
            continue
        labels[intervention] = row["interventionLabel"].value if row["interventionLabel"] else intervention
        _add(cells[(source, intervention)], row, disagreement_of)
    return Matrix(sorted({s for s, _ in cells}), [(i, 0) for i in sorted(labels)], dict(cells), labels)


def _add(cell: Cell, row: Any, disagreement_of: Mapping[str, str]) -> None:
    cell.stances.add(STANCES.get(row["direction"].value, "uncertain"))
    cell.claims.append((row["claimId"].value, row["claim"].value))
    cell.disagreement = cell.disagreement or disagreement_of.get(row["claim"].value, "")


def by_hierarchy(matrix: Matrix, ups: Mapping[str, set[str]]) -> Matrix:
    """Rows ordered so that a class comes right above its members (indented by depth), by label."""
    shown = set(matrix.labels)

    def chain(term: str) -> list[str]:
        above = [t for t in ups.get(term, {term}) if t in shown and t != term]
        return sorted(above, key=lambda t: len(ups.get(t, set()))) + [term]

    def key(term: str) -> list[str]:
        return [matrix.labels[t].lower() for t in chain(term)]

    matrix.rows = [(term, len(chain(term)) - 1) for term in sorted(shown, key=key)]
    return matrix


def to_csv(matrix: Matrix, names: Names) -> str:
    """One row per intervention, one column per source: its stances (`for / uncertain`), `!` marking
    a cell in a disagreement."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["intervention", *(names.source(s) for s in matrix.sources)])
    for term, _ in matrix.rows:
        cells = [matrix.cells.get((s, term)) for s in matrix.sources]
        writer.writerow([matrix.labels[term], *(_cell_text(c) for c in cells)])
    return out.getvalue()


def _cell_text(cell: Cell | None) -> str:
    if cell is None:
        return ""
    return " / ".join(sorted(cell.stances)) + (" !" if cell.conflicted else "")
