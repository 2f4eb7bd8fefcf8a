"""Planner hints for the embedded store: the project's own queries, rewritten for pyoxigraph's planner.

pyoxigraph 0.5's planner evaluates `OPTIONAL { P }` as a per-row lookup (a lateral join) only while
its size estimate of the left-hand side is small. Its estimates multiply with every pattern, so after a
dozen (a conflict rule's pairing) they saturate, and it builds a hash table of `P` over the whole store
instead: the memory of a conflict rule then grows with the store even when the rule finds nothing
(gigabytes for one rule at a million claims). pyoxigraph also implements LATERAL (SPARQL-dev SEP-0006),
which forces the per-row lookup, so the embedded store runs each flat `OPTIONAL { P }` of the project's
own queries as `LATERAL { OPTIONAL { P } }`.

The two are equivalent when `P` is flat (triple patterns, paths, FILTER and BIND of its own variables;
no nested group): for each row `μ` of the left side, `OPTIONAL { P }` keeps `μ` joined with the
solutions of `P` compatible with `μ`, or `μ` alone if there are none, and that is what LATERAL
evaluates, `P` with `μ`'s values substituted. Queries that users send to `/sparql` get the narrower
form (`single`: one triple pattern or path), unless the `sparql_lateral_optionals` setting is off;
queries for a remote store always get the standard text. Tests run every project query both ways on
the seed graph and compare the results.
"""

from __future__ import annotations

import re
from itertools import islice

from kg.sparql.lexer import Token, tokenize

ONE_PATTERN = re.compile(r"\s*[^\s.;,]+\s+[^\s.;,]+\s+[^\s.;,]+\s*\.?\s*")
"""Subject, predicate (an IRI, a variable or a path without spaces), object; no FILTER, no second pattern."""
_VISIBLE = re.compile(r"\S")


def masked(text: str, fill: str = " ", tokens: list[Token] | None = None) -> str:
    """The text with the insides of strings, IRIs and comments replaced by `fill` (same length), so that
    keywords and braces are found only in the query's own syntax."""
    parts, at = [], 0
    for token in tokenize(text) if tokens is None else tokens:
        parts += [_VISIBLE.sub(" ", text[at : token.start]), _masked_token(token, fill)]
        at = token.end
    parts.append(_VISIBLE.sub(" ", text[at:]))  # between tokens: whitespace and comments
    return "".join(parts)


def _masked_token(token: Token, fill: str) -> str:
    """A string (or an unterminated one) filled in whole, an IRI inside its brackets, others as written."""
    if token.kind in ("string", "error"):
        return fill * len(token.text)
    if token.kind == "iri":
        return "<" + fill * (len(token.text) - 2) + ">"
    return token.text


def _flat_optional(tokens: list[Token], at: int) -> tuple[int, int, int, int] | None:
    """For `OPTIONAL {` at `at` with no brace before its `}`: where it starts, its group's inside, its end."""
    if not tokens[at].is_word("OPTIONAL") or at + 1 >= len(tokens) or tokens[at + 1].text != "{":
        return None
    close = next((t for t in islice(tokens, at + 2, None) if t.kind == "punct" and t.text in ("{", "}")), None)
    if close is None or close.text == "{":
        return None  # a nested group: left as written
    return tokens[at].start, tokens[at + 1].end, close.start, close.end


def lateral_optionals(text: str, *, single: bool = False) -> str:
    """Each flat `OPTIONAL { P }` (no braces inside) as `LATERAL { OPTIONAL { P } }`; all else as it was.

    `single`: only where `P` is one triple pattern or one property path, as pyoxigraph itself plans it
    while its estimates are small (what `/sparql` applies to users' queries: a group of patterns per
    row can lose to one hash join, see BENCHMARKS.md)."""
    if "optional" not in text.lower():
        return text  # most queries: nothing to scan (this runs on every /sparql query)
    tokens = tokenize(text)
    solid = masked(text, "x", tokens) if single else text  # strings and IRIs as one token each
    edits: list[tuple[int, int]] = []
    for at in range(len(tokens)):
        found = _flat_optional(tokens, at)
        if found and (not single or ONE_PATTERN.fullmatch(solid[found[1] : found[2]])):
            edits.append((found[0], found[3]))
    for start, end in reversed(edits):
        text = f"{text[:start]}LATERAL {{ {text[start:end]} }}{text[end:]}"
    return text
