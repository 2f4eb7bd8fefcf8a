"""A whole dataset serialized as a stream of chunks, so that memory holds one chunk at any size.

`evkg export` and the service's `/dumps/…` write the store graph by graph, `CHUNK` triples at a
time, each chunk serialized on its own and the pieces joined so that the whole is one valid
document: N-Quads and N-Triples lines simply follow each other; TriG and Turtle declare the
prefixes once, at the top (a later chunk's declarations are dropped: they are the same, and a
declaration holds to the end of the document), and a named graph longer than a chunk comes as
several `GRAPH { … }` blocks, which TriG merges; JSON-LD is one top-level array whose members are
each chunk's graph objects (several objects naming the same graph merge in JSON-LD as well).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator

import pyoxigraph as ox

from kg.namespaces import PREFIXES

CHUNK = 50_000
"""Triples serialized at a time (about 10 MB of N-Quads)."""
Graphs = Iterable[tuple[str | None, Iterable[ox.Triple]]]
"""(graph name, its triples) pairs; None names the default graph."""


def stream(graphs: Graphs, rdf_format: ox.RdfFormat) -> Iterator[bytes]:
    """Serialize the graphs in `rdf_format`, chunk by chunk (a format without datasets merges them)."""
    prefixed = rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG)
    jsonld = rdf_format == ox.RdfFormat.JSON_LD
    first = True
    if jsonld:
        yield b"["
    for name, triples in graphs:
        graph = ox.NamedNode(name) if name else ox.DefaultGraph()
        for batch in _batches(triples):
            statements = (
                [ox.Quad(t.subject, t.predicate, t.object, graph) for t in batch]
                if rdf_format.supports_datasets
                else batch
            )
            data = ox.serialize(statements, format=rdf_format, prefixes=PREFIXES if prefixed else None) or b""
            if prefixed and not first:
                data = _without_prefixes(data)
            elif jsonld:
                data = data.strip()[1:-1].strip()
                data = data and (b"" if first else b",") + data
            if data:
                first = False
                yield data
    if jsonld:
        yield b"]\n"


def _batches(triples: Iterable[ox.Triple]) -> Iterator[list[ox.Triple]]:
    iterator = iter(triples)
    while batch := list(itertools.islice(iterator, CHUNK)):
        yield batch


def _without_prefixes(data: bytes) -> bytes:
    """The serialization less its leading `@prefix` lines (declared once, by the first chunk)."""
    lines = data.split(b"\n")
    start = next((i for i, line in enumerate(lines) if not line.startswith(b"@prefix ")), len(lines))
    return b"\n".join(lines[start:]).lstrip(b"\n")
