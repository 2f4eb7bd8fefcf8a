"""RDF terms and graphs as N-Triples text: what the build streams into the store's bulk loader.

Terms are formatted as rdflib would type the same Python values (str -> xsd:string, bool ->
xsd:boolean, int -> xsd:integer, date -> xsd:date), so the graphs equal the rdflib-built ones.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field

import pyoxigraph as ox

XSD = "http://www.w3.org/2001/XMLSchema#"
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_NEEDS_ESCAPE = re.compile(r'[\\"\n\r]')
_BOOLEAN = {True: f'"true"^^<{XSD}boolean>', False: f'"false"^^<{XSD}boolean>'}


class Namespace:
    """The N-Triples terms of one namespace by attribute: `Namespace(EVKG).Claim` -> `<...#Claim>`."""

    def __init__(self, base: str) -> None:
        self._base = base

    def __getattr__(self, name: str) -> str:
        if name.startswith("__"):
            raise AttributeError(name)
        term = f"<{self._base}{name}>"
        setattr(self, name, term)  # cached: the next lookup is a plain attribute
        return term

    def __getitem__(self, name: str) -> str:
        return getattr(self, name)


def iri(value: str) -> str:
    """An IRI the caller knows to be valid (minted from slugs) as an N-Triples term."""
    return f"<{value}>"


def checked_iri(value: str) -> str:
    """An IRI from curated text (a code), validated; raises ValueError when it is not an IRI."""
    return f"<{ox.NamedNode(value).value}>"


def plain(text: str) -> str:
    """A plain (xsd:string) literal."""
    if _NEEDS_ESCAPE.search(text):
        text = text.translate(_ESCAPES)
    return f'"{text}"'


def tagged(text: str, language: str) -> str:
    """A language-tagged literal."""
    return f"{plain(text)}@{language}"


def typed(lexical: str, datatype: str) -> str:
    """A literal with a datatype given as an N-Triples IRI term."""
    return f"{plain(lexical)}^^{datatype}"


def literal(value: str | bool | int | dt.date) -> str:
    """A plain Python value as the literal rdflib makes of it."""
    if isinstance(value, str):
        return plain(value)
    if isinstance(value, bool):
        return _BOOLEAN[value]
    if isinstance(value, int):
        return f'"{value}"^^<{XSD}integer>'
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return f'"{value.isoformat()}"^^<{XSD}date>'
    raise TypeError(f"no literal mapping for {type(value).__name__}")


class BlankNodes:
    """Blank node labels unique to one build (the bulk loader keeps labels apart only within a load)."""

    def __init__(self) -> None:
        self._prefix = f"_:b{uuid.uuid4().hex}x"
        self._next = 0

    def new(self) -> str:
        self._next += 1
        return f"{self._prefix}{self._next}"


@dataclass
class Graph:
    """One named graph: its IRI and its distinct triples, each `subject predicate object` in N-Triples."""

    name: str
    triples: dict[str, None] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.triples)

    def add(self, subject: str, predicate: str, obj: str) -> None:
        self.triples[f"{subject} {predicate} {obj}"] = None

    def ntriples(self) -> bytes:
        """The graph as N-Triples (UTF-8)."""
        return "".join(f"{t} .\n" for t in self.triples).encode()

    def nquads(self) -> bytes:
        """The graph as N-Quads in its named graph (UTF-8)."""
        tail = f" <{self.name}> .\n"
        return "".join(t + tail for t in self.triples).encode()
