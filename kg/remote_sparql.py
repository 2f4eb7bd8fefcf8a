"""SPARQL text for a remote store: the query form, the prologue, parameters bound as a VALUES block.

A small lexer (IRIs, strings, comments, variables, names) finds the places to edit, so keywords
inside strings, IRIs or comments are never mistaken for syntax; bound values are written from
pyoxigraph's serialization of RDF terms (validated IRIs, escaped literals), never from raw text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import pyoxigraph as ox

from kg.errors import QueryError
from kg.namespaces import PREFIXES

_TOKEN = re.compile(
    r"(?P<ws>\s+)|(?P<comment>#[^\r\n]*)|(?P<iri><[^<>\"{}|^`\\\x00-\x20]*>)"
    r"|(?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^\"\\]|\\.|\"(?!\"\"))*\"\"\""
    r"|'(?:[^'\\\n\r]|\\.)*'|\"(?:[^\"\\\n\r]|\\.)*\")"
    r"|(?P<var>[?$]\w+)|(?P<word>(?:[A-Za-z_][\w\-.]*)?:[\w\-.:%\\]*|[A-Za-z_]\w*)|(?P<other>.)",
    re.S,
)
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")


def tokens(text: str) -> Iterator[re.Match[str]]:
    """Significant lexical tokens of a SPARQL text (whitespace and comments skipped)."""
    return (m for m in _TOKEN.finditer(text) if m.lastgroup not in ("ws", "comment"))


def query_form(text: str) -> str:
    """SELECT, CONSTRUCT, DESCRIBE or ASK: the first query-form keyword of the text."""
    for match in tokens(text):
        if match.lastgroup == "word" and match.group().upper() in _FORMS:
            return match.group().upper()
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
    for match in tokens(text):
        if match.lastgroup == "word" and match.group().upper() == "WHERE":
            seen_where = True
        elif match.group() == "{" and (seen_where or query_form(text) in ("SELECT", "ASK")):
            return f"{text[: match.end()]} {values_clause(bindings)} {text[match.end() :]}"
    raise QueryError("cannot bind parameters: the query has no WHERE clause")


def prepare(text: str, bindings: Mapping[str, Any] | None, base_iri: str | None) -> str:
    """The text sent to the server: the usual prefixes (unless declared), a BASE, bound VALUES."""
    declared = {m.group().rstrip(":") for m in _declared_prefixes(text)}
    lines = [f"BASE {term_text(ox.NamedNode(base_iri))}"] if base_iri else []  # first: Virtuoso needs it so
    lines.extend(f"PREFIX {p}: <{ns}>" for p, ns in PREFIXES.items() if p not in declared)
    body = bind_values(text, bindings) if bindings else text
    return "\n".join([*lines, body])


def _declared_prefixes(text: str) -> Iterator[re.Match[str]]:
    previous = ""
    for match in tokens(text):
        if previous == "PREFIX":
            yield match
        previous = match.group().upper() if match.lastgroup == "word" else ""
