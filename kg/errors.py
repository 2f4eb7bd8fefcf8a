"""One error taxonomy for EvidenceKG: every failure names what and where, and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class EvkgError(Exception):
    """Base of every error EvidenceKG raises on bad input or a broken environment."""


@dataclass(frozen=True)
class Problem:
    """One mistake in an input file: where it is, what is wrong, how to fix it."""

    path: Path
    line: int | None
    message: str
    fix: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        hint = f" Fix: {self.fix}" if self.fix else ""
        return f"{where}: {self.message}.{hint}"


class SourceError(EvkgError):
    """A sources file (or the vocabulary) is malformed; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class StoreError(EvkgError):
    """The store cannot be opened, read or written."""


class QueryError(EvkgError):
    """A SPARQL query is malformed, unknown, or given bad parameters."""


class RdfInputError(EvkgError):
    """An RDF file given to `evkg load` cannot be parsed."""


class ReasonerError(EvkgError):
    """The OWL reasoner answered with something that is not a conclusion about the given terms."""
