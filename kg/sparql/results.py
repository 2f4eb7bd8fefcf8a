"""Serialize query results: SPARQL JSON/XML/CSV/TSV, RDF for graphs, or a plain-text table."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from kg.errors import QueryError
from kg.formats import RDF_FORMATS, RESULT_FORMATS
from kg.namespaces import PREFIXES

TABLE_WIDTH = 60


def render(result: Any, fmt: str) -> bytes:
    """Serialize a pyoxigraph query result in `fmt` (table, json, xml, csv, tsv, or an RDF format)."""
    if isinstance(result, ox.QueryTriples):
        rdf = "turtle" if fmt == "table" else fmt
        if rdf not in RDF_FORMATS:
            raise QueryError(f"a graph result cannot be written as {fmt}; use one of: {', '.join(RDF_FORMATS)}")
        return ox.serialize(result, format=RDF_FORMATS[rdf], prefixes=PREFIXES) or b""
    if fmt == "table":
        return table(result).encode()
    if fmt not in RESULT_FORMATS:
        raise QueryError(f"unknown results format {fmt!r}; use one of: table, {', '.join(RESULT_FORMATS)}")
    return result.serialize(format=RESULT_FORMATS[fmt]) or b""


def short(term: Any) -> str:
    """A term as text, with known namespaces shortened to prefixes."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        for prefix, namespace in PREFIXES.items():
            if term.value.startswith(namespace):
                return f"{prefix}:{term.value[len(namespace) :]}"
        return term.value
    return term.value if hasattr(term, "value") else str(term)


def table(result: Any) -> str:
    """A fixed-width text table of SELECT solutions (or the boolean of an ASK)."""
    if isinstance(result, ox.QueryBoolean):
        return f"{bool(result)}\n"
    names = [v.value for v in result.variables]
    rows = [[_clip(short(solution[name])) for name in names] for solution in result]
    widths = [max([len(n), *(len(r[i]) for r in rows)]) for i, n in enumerate(names)]
    line = "  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True))
    body = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join([line, "  ".join("-" * w for w in widths), *body, f"({len(rows)} rows)"]) + "\n"


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TABLE_WIDTH else text[: TABLE_WIDTH - 1] + "…"
