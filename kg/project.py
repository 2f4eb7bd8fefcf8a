"""The Project (where a build's inputs live) and the Finding (something wrong with well-formed input)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kg.namespaces import Iris
from kg.settings import Settings


@dataclass(frozen=True)
class Project:
    """Where the inputs of a build live, and the base IRI to mint under."""

    ontology: Path
    shapes: Path
    vocabulary: Path
    sources: Path
    queries: Path
    iris: Iris

    @classmethod
    def from_settings(cls, settings: Settings) -> Project:
        """Where the settings say the inputs are."""
        return cls(
            ontology=Path(settings.ontology),
            shapes=Path(settings.shapes),
            vocabulary=Path(settings.vocabulary),
            sources=Path(settings.sources),
            queries=Path(settings.queries),
            iris=Iris(settings.base),
        )


@dataclass(frozen=True)
class Finding:
    """Something wrong with well-formed input: a SHACL violation or a data check's row."""

    check: str
    focus: str
    message: str
    path: Path | None = None
    """The file the focus node was written from, when a file names it (a claim, a term, a source)."""
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: " if self.path else ""
        return f"{where}[{self.check}] {self.focus}: {self.message}"
