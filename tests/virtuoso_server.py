"""A private Virtuoso for the remote-store tests: re-exported from `kg.bench.virtuoso`, where the launcher
lives so that the benchmark (`evkg bench --peers`) can start one too."""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import Graph

from kg.bench.virtuoso import (
    PASSWORD,
    START_SECONDS,
    SYSTEM_INI,
    VirtuosoServer,
    bulk_load,
    ensure_installed,
    isql,
    start,
    version,
    wait_ready,
    write_ini,
)

__all__ = [
    "PASSWORD",
    "as_rdflib",
    "START_SECONDS",
    "SYSTEM_INI",
    "VirtuosoServer",
    "bulk_load",
    "ensure_installed",
    "isql",
    "start",
    "version",
    "wait_ready",
    "write_ini",
]

XSD = "http://www.w3.org/2001/XMLSchema#"


def as_rdflib(triples: Iterable[ox.Triple]) -> Graph:
    """An rdflib graph for isomorphism, whole-number decimals as integers (Virtuoso's deviation, pinned
    in tests/test_remote.py)."""
    lines = []
    for t in triples:
        obj = t.object
        if isinstance(obj, ox.Literal) and obj.datatype.value == XSD + "decimal" and float(obj.value).is_integer():
            obj = ox.Literal(str(int(float(obj.value))), datatype=ox.NamedNode(XSD + "integer"))
        lines.append(f"{ox.Triple(t.subject, t.predicate, obj)} .\n")
    return Graph().parse(data="".join(lines), format="nt")
