"""SPARQL text for a remote store: the query form, the prologue, parameters bound as a VALUES block,
and a protocol request's dataset made exact on servers that do not apply it as the standard says.

The SPARQL lexer (kg.sparql.lexer) finds the places to edit, so keywords inside strings, IRIs or
comments are never mistaken for syntax; bound values are written from pyoxigraph's serialization
of RDF terms (validated IRIs, escaped literals), never from raw text.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from kg.errors import QueryError
from kg.namespaces import PREFIXES
from kg.sparql.lexer import Token, iri_value, resolve, split_pname, tokenize

_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
NO_GRAPH = "urn:x-evidencekg:no-graph"
"""A graph name that is never written: the protocol's stand-in for an empty list of graphs."""


def query_form(text: str) -> str:
    """SELECT, CONSTRUCT, DESCRIBE or ASK: the first query-form keyword of the text."""
    for token in tokenize(text):
        if token.is_word(*_FORMS):
            return token.keyword
    raise QueryError("malformed SPARQL query: no SELECT, CONSTRUCT, DESCRIBE or ASK")


def term_text(term: Any) -> str:
    """An RDF term in SPARQL syntax, from pyoxigraph's validated and escaped serialization."""
    if isinstance(term, ox.NamedNode | ox.Literal):
        return str(term)
    raise QueryError(f"cannot bind {term!r}: only IRIs and literals can be sent to a remote store")


def values_clause(bindings: Mapping[str, Any]) -> str:
    """`VALUES (?a ?b) { (<x> "y") }` from serialized terms; variable names are checked, never trusted."""
    for name in bindings:
        if not _VARIABLE.match(name):
            raise QueryError(f"bad variable name {name!r} in bindings")
    names = " ".join(f"?{name}" for name in bindings)
    row = " ".join(term_text(term) for term in bindings.values())
    return f"VALUES ({names}) {{ ({row}) }}"


def bind_values(text: str, bindings: Mapping[str, Any]) -> str:
    """Put a VALUES block at the start of the query's WHERE group, where it binds the whole pattern."""
    seen_where = False
    for token in tokenize(text):
        if token.is_word("WHERE"):
            seen_where = True
        elif token.text == "{" and (seen_where or query_form(text) in ("SELECT", "ASK")):
            return f"{text[: token.end]} {values_clause(bindings)} {text[token.end :]}"
    raise QueryError("cannot bind parameters: the query has no WHERE clause")


@dataclass(frozen=True)
class Prologue:
    """A query's BASE and PREFIX declarations (IRIs resolved) and the text after them."""

    base: str | None
    prefixes: tuple[tuple[str, str], ...]
    body: str
    lines: int = 0
    """Line breaks before the body: kept, so a server's error message names the line of the query as written."""

    def expand(self, token: str) -> str | None:
        """An IRI token or prefixed name of the body as an absolute IRI (None: neither, or unknown prefix)."""
        if token.startswith("<"):
            return resolve(iri_value(token), self.base)
        if ":" not in token:
            return None
        prefix, local = split_pname(token)
        namespace = dict(self.prefixes).get(prefix) or (PREFIXES.get(prefix) if prefix not in self.declared else None)
        return namespace + local if namespace else None

    @property
    def declared(self) -> set[str]:
        return {name for name, _ in self.prefixes}

    def render(self, body: str) -> str:
        """BASE first (Virtuoso refuses it after a PREFIX), then the declared and the usual prefixes, on
        one line, and the body on the line where it stood."""
        parts = [f"BASE <{self.base}>"] if self.base else []
        parts.extend(f"PREFIX {name}: <{iri}>" for name, iri in self.prefixes)
        parts.extend(f"PREFIX {name}: <{iri}>" for name, iri in PREFIXES.items() if name not in self.declared)
        return " ".join(parts) + ("\n" * self.lines or " ") + body


def read_prologue(text: str, base_iri: str | None) -> Prologue:
    """Split off the prologue, resolving each declaration against the base in force where it stands."""
    base, prefixes, found = base_iri, [], tokenize(text)
    at = 0
    while at < len(found):
        token = found[at]
        if token.is_word("BASE") and at + 1 < len(found) and found[at + 1].kind == "iri":
            base = resolve(iri_value(found[at + 1].text), base) or base
            at += 2
        elif token.is_word("PREFIX") and at + 2 < len(found) and found[at + 2].kind == "iri":
            iri = iri_value(found[at + 2].text)
            prefixes.append((found[at + 1].text.rstrip(":"), resolve(iri, base) or iri))
            at += 3
        else:
            break
    start = found[at].start if at < len(found) else len(text)
    return Prologue(base, tuple(prefixes), text[start:], text[:start].count("\n"))


def prepare(text: str, bindings: Mapping[str, Any] | None, base_iri: str | None) -> str:
    """The text sent to the server: BASE first, the declared and the usual prefixes, bound VALUES."""
    prologue = read_prologue(text, base_iri)
    body = bind_values(prologue.body, bindings) if bindings else prologue.body
    return prologue.render(body)


def dataset_clauses(prologue: Prologue) -> tuple[str, list[str], list[str]]:
    """The body without its FROM / FROM NAMED clauses, and the graphs they name (default, named)."""
    found = tokenize(prologue.body)
    cuts: list[tuple[int, int]] = []
    default: list[str] = []
    named: list[str] = []
    for at, token in enumerate(found):
        if not token.is_word("FROM"):
            continue
        is_named = at + 1 < len(found) and found[at + 1].is_word("NAMED")
        operand = found[at + 1 + is_named] if at + 1 + is_named < len(found) else None
        iri = prologue.expand(operand.text) if operand else None
        if operand is None or iri is None:
            raise QueryError("malformed SPARQL query: FROM and FROM NAMED need an IRI")
        (named if is_named else default).append(iri)
        cuts.append((token.start, operand.end))
    body = prologue.body
    for start, end in reversed(cuts):
        body = body[:start] + body[end:]
    return body, default, named


def exclude_graphs(prologue: Prologue, body: str, named: Collection[str]) -> str:
    """Each `GRAPH <iri> { P }` whose IRI is not among the named graphs as `{ P FILTER(false) }`.

    Both match nothing, as the standard says of a graph outside the dataset; Virtuoso 7.2.5 instead
    answers such a pattern as one solution with nothing bound (ASK true, COUNT(*) 1).
    """
    found = tokenize(body)
    edits: list[tuple[int, int, str]] = []
    for at, token in enumerate(found):
        if not token.is_word("GRAPH") or at + 2 >= len(found) or found[at + 2].text != "{":
            continue
        iri = prologue.expand(found[at + 1].text) if found[at + 1].kind in ("iri", "pname") else None
        end = _closing_brace(found, at + 2)
        if iri is None or iri in named or end is None:
            continue
        edits += [(found[end].start, found[end].start, " FILTER(false) "), (token.start, found[at + 1].end, "")]
    for start, end, text in sorted(edits, reverse=True):
        body = body[:start] + text + body[end:]
    return body


def _closing_brace(found: Sequence[Token], opening: int) -> int | None:
    depth = 0
    for at in range(opening, len(found)):
        if found[at].kind == "punct":
            depth += {"{": 1, "}": -1}.get(found[at].text, 0)
            if depth == 0:
                return at
    return None


@dataclass(frozen=True)
class ProtocolQuery:
    """A query as sent to a remote server: its text and the dataset, both lists never empty."""

    text: str
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]


def protocol_query(
    text: str,
    base_iri: str | None,
    requested: tuple[tuple[str, ...] | None, tuple[str, ...] | None],
    graphs: Sequence[str],
    *,
    union_default_graph: bool = True,
    bindings: Mapping[str, Any] | None = None,
) -> ProtocolQuery:
    """A protocol query for the remote server with its dataset stated exactly, as the standard defines it.

    The dataset is the request's (`default-graph-uri`, `named-graph-uri`), else the query's FROM /
    FROM NAMED, else the store's: the union of its `graphs` as the default graph (or none) and its
    `graphs` as the named graphs. It is always sent in the protocol, never in the text (a server may
    merge the two), graphs that are not the store's are dropped (they hold nothing here), an empty list
    is sent as NO_GRAPH, and a GRAPH pattern naming a graph outside the named graphs is made empty.
    `bindings` are bound as in `prepare`.
    """
    prologue = read_prologue(text, base_iri)
    body, from_default, from_named = dataset_clauses(prologue)
    body = bind_values(body, bindings) if bindings else body
    known = set(graphs)
    if requested != (None, None):
        default, named = list(requested[0] or ()), list(requested[1] or ())
    elif from_default or from_named:
        default, named = from_default, from_named
    else:
        default, named = (list(graphs) if union_default_graph else []), list(graphs)
    default = [g for g in default if g in known]
    named = [g for g in named if g in known]
    body = exclude_graphs(prologue, body, set(named))
    return ProtocolQuery(prologue.render(body), tuple(default or [NO_GRAPH]), tuple(named or [NO_GRAPH]))
