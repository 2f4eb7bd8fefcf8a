"""Compare query results the way the W3C suite defines it.

Both sides become the same plain model: a result set is its variables and its rows (each a tuple
of terms, None for unbound), an ASK answer a boolean, a graph a set of triples. Two result sets
are equal when they are *isomorphic*: the same rows as multisets under one consistent one-to-one
renaming of blank nodes; in order when the query has a top-level ORDER BY. Graphs are compared
the same way (RDF graph isomorphism).

Literals are compared by their lexical form, datatype and language tag (case-insensitive), with
one documented leniency: a numeric literal (xsd:integer and its derived types, xsd:decimal,
xsd:float, xsd:double) or a duration (xsd:duration, xsd:dayTimeDuration, xsd:yearMonthDuration) is
compared by its value within its datatype, so `"1.0"^^xsd:decimal` equals `"1"^^xsd:decimal`,
`"1.0E0"^^xsd:double` equals `"1"^^xsd:double` and `"P0D"^^xsd:dayTimeDuration` equals
`"PT0S"^^xsd:dayTimeDuration`. Oxigraph writes these values in canonical form while the expected
files often do not; `"1"^^xsd:integer` still differs from `"1.0"^^xsd:decimal` (another datatype).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import rdflib
from rdflib.namespace import RDF, XSD, Namespace
from rdflib.query import Result

RS = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/result-set#")
XSD_NS = str(XSD)
INTEGER_TYPES = (
    "integer nonPositiveInteger negativeInteger long int short byte nonNegativeInteger "
    "unsignedLong unsignedInt unsignedShort unsignedByte positiveInteger"
)
INTEGERS = {XSD_NS + name for name in INTEGER_TYPES.split(" ")}
DECIMAL, FLOATS = XSD_NS + "decimal", {XSD_NS + "float", XSD_NS + "double"}
DURATIONS = {XSD_NS + "duration", XSD_NS + "dayTimeDuration", XSD_NS + "yearMonthDuration"}
DURATION = re.compile(
    r"(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d*)?|\.\d+)S)?)?"
)
STRING, LANG_STRING = XSD_NS + "string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

Term = tuple[Any, ...]
"""("iri", value) | ("bnode", label) | ("literal", value key, datatype, language)."""
Row = tuple[Term | None, ...]


@dataclass(frozen=True)
class Solutions:
    """A SELECT result (variables and rows), an ASK answer (`boolean`), or a graph (`triples`)."""

    variables: tuple[str, ...] = ()
    rows: tuple[Row, ...] = ()
    boolean: bool | None = None
    triples: tuple[Row, ...] | None = None

    def describe(self) -> str:
        if self.boolean is not None:
            return f"ASK {self.boolean}"
        if self.triples is not None:
            return "\n".join(" ".join(map(show, t)) for t in self.triples) or "(empty graph)"
        lines = [" | ".join(self.variables)] + [" | ".join(map(show, row)) for row in self.rows]
        return "\n".join(lines)


def show(term: Term | None) -> str:
    if term is None:
        return "UNDEF"
    if term[0] == "iri":
        return f"<{term[1]}>"
    if term[0] == "bnode":
        return f"_:{term[1]}"
    suffix = f"@{term[3]}" if term[3] else ("" if term[2] == STRING else f"^^<{term[2]}>")
    return f'"{term[1]}"{suffix}'


# ------------------------------------------------------------------------------------------ terms
def value_key(lexical: str, datatype: str) -> Any:
    """The value a numeric literal stands for (its lexical form when it is not a valid number)."""
    try:
        if datatype in INTEGERS:
            return int(lexical.strip())
        if datatype == DECIMAL:
            return Decimal(lexical.strip())
        if datatype in FLOATS:
            number = float(lexical.strip())
            return "NaN" if math.isnan(number) else number
    except (ValueError, InvalidOperation):
        pass
    if datatype in DURATIONS:
        return duration_key(lexical)
    return lexical


def duration_key(lexical: str) -> Any:
    """An xsd duration as (months, seconds), or its lexical form when it is not one."""
    match = DURATION.fullmatch(lexical.strip())
    if match is None or lexical.strip() in ("P", "-P"):
        return lexical
    sign, years, months, days, hours, minutes, seconds = match.groups()
    total_months = int(years or 0) * 12 + int(months or 0)
    total_seconds = ((int(days or 0) * 24 + int(hours or 0)) * 60 + int(minutes or 0)) * 60 + Decimal(seconds or 0)
    factor = -1 if sign else 1
    return ("duration", factor * total_months, factor * total_seconds)


def literal(lexical: str, datatype: str | None, language: str | None) -> Term:
    if language:
        return ("literal", lexical, LANG_STRING, language.lower())
    kind = datatype or STRING
    return ("literal", value_key(lexical, kind), kind, "")


def from_rdflib(node: rdflib.term.Node | None) -> Term | None:
    """An rdflib term in the plain model."""
    if node is None:
        return None
    if isinstance(node, rdflib.BNode):
        return ("bnode", str(node))
    if isinstance(node, rdflib.Literal):
        datatype = str(node.datatype) if node.datatype else None
        return literal(str(node), datatype, node.language)
    return ("iri", str(node))


def from_json_term(term: dict[str, str] | None) -> Term | None:
    """A SPARQL JSON results term in the plain model."""
    if term is None:
        return None
    kind = term["type"]
    if kind == "uri":
        return ("iri", term["value"])
    if kind == "bnode":
        return ("bnode", term["value"])
    return literal(term["value"], term.get("datatype"), term.get("xml:lang"))


# ------------------------------------------------------------------------------------ parsing
def from_json(document: dict[str, Any]) -> Solutions:
    """SPARQL 1.1 Query Results JSON (what the service answers, and the .srj files)."""
    if "boolean" in document:
        return Solutions(boolean=bool(document["boolean"]))
    variables = tuple(document["head"].get("vars", ()))
    rows = tuple(
        tuple(from_json_term(binding.get(v)) for v in variables) for binding in document["results"]["bindings"]
    )
    return Solutions(variables, rows)


def from_graph(graph: rdflib.Graph) -> Solutions:
    """A graph's triples; or, when it holds an rs:ResultSet, the result set it encodes."""
    result_set = next(graph.subjects(RDF.type, RS.ResultSet), None)
    if result_set is None:
        return Solutions(triples=tuple(tuple(map(from_rdflib, t)) for t in graph))
    answer = graph.value(result_set, RS.boolean)
    if answer is not None:
        return Solutions(boolean=str(answer) == "true")
    variables = tuple(sorted(str(v) for v in graph.objects(result_set, RS.resultVariable)))
    solutions = sorted(graph.objects(result_set, RS.solution), key=lambda s: int(str(graph.value(s, RS["index"]) or 0)))
    rows = []
    for solution in solutions:
        values = {
            str(graph.value(b, RS.variable)): graph.value(b, RS.value) for b in graph.objects(solution, RS.binding)
        }
        rows.append(tuple(from_rdflib(values.get(v)) for v in variables))
    return Solutions(variables, tuple(rows))


RESULT_FORMATS = {".srx": "xml", ".srj": "json", ".tsv": "tsv"}
GRAPH_FORMATS = {".ttl": "turtle", ".nt": "nt", ".rdf": "xml"}


def read_expected(path: Path) -> Solutions:
    """The expected result of a test: .srx, .srj, .tsv result sets; .ttl, .nt, .rdf graphs or rs:ResultSets."""
    suffix = path.suffix
    if suffix == ".srj":
        return from_json(json.loads(path.read_text(encoding="utf-8")))
    if suffix in RESULT_FORMATS:
        with path.open("rb") as stream:
            result = Result.parse(stream, format=RESULT_FORMATS[suffix])
        if result.type == "ASK":
            return Solutions(boolean=bool(result.askAnswer))
        variables = tuple(str(v) for v in result.vars or ())
        rows = tuple(tuple(from_rdflib(row.get(rdflib.Variable(v))) for v in variables) for row in result.bindings)
        return Solutions(variables, rows)
    if suffix in GRAPH_FORMATS:
        graph = rdflib.Graph().parse(path, format=GRAPH_FORMATS[suffix], publicID=path.as_uri())
        return from_graph(graph)
    raise ValueError(f"{path}: no reader for {suffix} results (CSV results are not compared by this runner)")


# ----------------------------------------------------------------------------------- comparing
def same_results(expected: Solutions, actual: Solutions, *, ordered: bool) -> str | None:
    """None when the results are equal as the suite defines it, else what differs."""
    if expected.boolean is not None or actual.boolean is not None:
        return None if expected.boolean == actual.boolean else "the ASK answers differ"
    if expected.triples is not None or actual.triples is not None:
        if expected.triples is None or actual.triples is None:
            return "a graph was expected and a result set came back, or the other way round"
        return None if isomorphic(expected.triples, actual.triples, ordered=False) else "the graphs are not isomorphic"
    if set(expected.variables) != set(actual.variables):
        return f"variables differ: expected {sorted(expected.variables)}, got {sorted(actual.variables)}"
    order = [actual.variables.index(v) for v in expected.variables]
    rows = tuple(tuple(row[i] for i in order) for row in actual.rows)
    if isomorphic(expected.rows, rows, ordered=ordered):
        return None
    return "the solutions differ" + (" (compared in order: the query has ORDER BY)" if ordered else "")


def isomorphic(expected: Sequence[Row], actual: Sequence[Row], *, ordered: bool) -> bool:
    """Equal multisets (or sequences) of rows under one bijective renaming of blank nodes."""
    if len(expected) != len(actual):
        return False
    if not ordered and not any(_has_bnode(r) for r in expected) and not any(_has_bnode(r) for r in actual):
        return Counter(expected) == Counter(actual)
    return _match(list(expected), list(actual), 0, [False] * len(actual), {}, {}, ordered)


def _has_bnode(row: Row) -> bool:
    return any(term is not None and term[0] == "bnode" for term in row)


def _match(
    expected: list[Row],
    actual: list[Row],
    at: int,
    used: list[bool],
    forward: dict[str, str],
    backward: dict[str, str],
    ordered: bool,
) -> bool:
    """Backtracking search for a row matching and a blank node bijection (the tests are small)."""
    if at == len(expected):
        return True
    candidates = [at] if ordered else [i for i, taken in enumerate(used) if not taken]
    for index in candidates:
        extension = _unify(expected[at], actual[index], forward, backward)
        if extension is None:
            continue
        used[index] = True
        forward.update(extension)
        backward.update({v: k for k, v in extension.items()})
        if _match(expected, actual, at + 1, used, forward, backward, ordered):
            return True
        used[index] = False
        for key, value in extension.items():
            del forward[key], backward[value]
    return False


def _unify(left: Row, right: Row, forward: dict[str, str], backward: dict[str, str]) -> dict[str, str] | None:
    """The new blank node pairs that make two rows equal, or None when they cannot be."""
    new: dict[str, str] = {}
    for a, b in zip(left, right, strict=True):
        if a is None or b is None or a[0] != "bnode" or b[0] != "bnode":
            if a != b:
                return None
            continue
        mapped = forward.get(a[1], new.get(a[1]))
        if mapped is not None:
            if mapped != b[1]:
                return None
        elif b[1] in backward or b[1] in new.values():
            return None
        else:
            new[a[1]] = b[1]
    return new
