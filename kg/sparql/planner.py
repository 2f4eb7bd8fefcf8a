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

OPTIONAL = re.compile(r"\bOPTIONAL\s*\{", re.IGNORECASE)
SPECIAL = re.compile(r"[#\"'<]")
"""Where a comment, a string or an IRI may start."""
IRI = re.compile(r"<[^<>\"{}|^`\\\s]*>")
ONE_PATTERN = re.compile(r"\s*[^\s.;,]+\s+[^\s.;,]+\s+[^\s.;,]+\s*\.?\s*")
"""Subject, predicate (an IRI, a variable or a path without spaces), object; no FILTER, no second pattern."""


def masked(text: str, fill: str = " ") -> str:
    """The text with the insides of strings, IRIs and comments replaced by `fill` (same length), so that
    keywords and braces are found only in the query's own syntax."""
    out = list(text)
    i, n = 0, len(text)
    while (special := SPECIAL.search(text, i)) is not None:
        i = special.start()
        c = text[i]
        if c == "#":
            end = text.find("\n", i)
            end = n if end < 0 else end
            out[i:end] = " " * (end - i)
            i = end
        elif c in "\"'":
            quote = c * 3 if text.startswith(c * 3, i) else c
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                j += 2 if text[j] == "\\" else 1
            end = min(j + len(quote), n)
            out[i:end] = fill * (end - i)
            i = end
        elif c == "<" and (match := IRI.match(text, i)):
            end = match.end()
            out[i + 1 : end - 1] = fill * (end - i - 2)
            i = end
        else:
            i += 1
    return "".join(out)


def lateral_optionals(text: str, *, single: bool = False) -> str:
    """Each flat `OPTIONAL { P }` (no braces inside) as `LATERAL { OPTIONAL { P } }`; all else as it was.

    `single`: only where `P` is one triple pattern or one property path, as pyoxigraph itself plans it
    while its estimates are small (what `/sparql` applies to users' queries: a group of patterns per
    row can lose to one hash join, see BENCHMARKS.md)."""
    if "optional" not in text.lower():
        return text  # most queries: nothing to scan (this runs on every /sparql query)
    syntax = masked(text)
    solid = masked(text, "x") if single else syntax  # strings and IRIs as one token each
    edits: list[tuple[int, int]] = []
    for match in OPTIONAL.finditer(syntax):
        close = syntax.find("}", match.end())
        opened = syntax.find("{", match.end())
        if close < 0 or 0 <= opened < close:
            continue  # a nested group: left as written
        if single and not ONE_PATTERN.fullmatch(solid[match.end() : close]):
            continue
        edits.append((match.start(), close + 1))
    for start, end in reversed(edits):
        text = f"{text[:start]}LATERAL {{ {text[start:end]} }}{text[end:]}"
    return text
