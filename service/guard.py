"""A lexical check of SPARQL text before it runs: query form, SERVICE and dataset (FROM) IRIs.

pyoxigraph exposes no query algebra, and it *does* call out over HTTP for SERVICE, so the
service refuses SERVICE, FROM and FROM NAMED clauses that name an endpoint or graph it does not
know. The check tokenizes the query with the SPARQL 1.1 terminals (IRIs, prefixed names,
variables, strings, comments), so case (`sErViCe`), comments (`SERVICE # x` on two lines),
keywords inside strings or IRIs, and prefixed names (`SERVICE ex:endpoint`, resolved through
the query's PREFIX and BASE declarations) are all handled. A SERVICE whose endpoint is a
variable, or a prefixed name that cannot be resolved, is refused.

The one place where a lexer and a parser can disagree in SPARQL is `<`: an IRI, or a less-than
in an expression (`FILTER(?a<?b)SERVICE#>` then an endpoint on the next line). An IRI token that
contains SERVICE or FROM as a word (after a character that cannot continue a name, such as `)`
or `.`) followed later by `#` is therefore treated as an attempt to hide one and refused; a
plain IRI such as `<http://example.org/service#x>` is refused by the same rule (400 with a
message), which errs on the side of safety. `<http://example.org/wasDerivedFrom#x>` or
`.../claim/quoted-from-x#quote` pass.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import urljoin

from service.errors import BadRequest, Forbidden

_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d\u2070-\u218f"
    "\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS = _PN_CHARS_BASE + "_0-9\\-\u00b7\u0300-\u036f\u203f-\u2040"
_PREFIX = f"(?:[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)?:"
_LOCAL_CHAR = f"(?:[{_PN_CHARS}:]|%[0-9A-Fa-f]{{2}}|\\\\[_~.\\-!$&'()*+,;=/?#@%])"
_LOCAL_FIRST = f"(?:[{_PN_CHARS_BASE}_:0-9]|%[0-9A-Fa-f]{{2}}|\\\\[_~.\\-!$&'()*+,;=/?#@%])"
_LOCAL = f"(?:{_LOCAL_FIRST}(?:(?:{_LOCAL_CHAR}|\\.)*{_LOCAL_CHAR})?)?"

_TOKEN = re.compile(
    # whitespace and comments are skipped in front of each token, inside the pattern (half the
    # matches), possessively (no backtracking); `end` takes trailing ones, so no start fails
    r"(?:\s|#[^\r\n]*+)*+(?:"
    + "|".join(
        [
            r"(?P<iri><[^<>\"{}|^`\\\x00-\x20]*>)",
            r"(?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^\"\\]|\\.|\"(?!\"\"))*\"\"\""
            r"|'(?:[^'\\\n\r]|\\.)*'|\"(?:[^\"\\\n\r]|\\.)*\")",
            f"(?P<var>[?$][{_PN_CHARS}]+)",
            f"(?P<bnode>_:[{_PN_CHARS}.]*)",
            # a prefixed name needs a `:` after the prefix's characters: looking for it first spares
            # every plain word the prefix pattern's backtracking
            f"(?=[{_PN_CHARS}.]*:)(?P<pname>{_PREFIX}{_LOCAL})",
            r"(?P<word>[A-Za-z][A-Za-z0-9_]*)",
            r"(?P<other>\S)",
            r"(?P<end>\Z)",
        ]
    )
    + ")",
    re.S,
)

FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
UPDATES = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")
GUARDED = ("SERVICE", "FROM")
_HIDDEN = re.compile(r"(?i)(?<![A-Za-z_\-\u00b7:%])(?:service|from)(?![A-Za-z0-9_\-:])[^#]*#")


class Token(NamedTuple):
    kind: str
    text: str
    start: int = 0


@dataclass
class QueryShape:
    """What the lexical scan learned: the form, SERVICE endpoints and FROM / FROM NAMED graphs."""

    form: str | None = None
    update: str | None = None
    services: list[str | None] = field(default_factory=list)
    datasets: list[str | None] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)


def tokenize(text: str) -> list[Token]:
    """Significant tokens of a SPARQL text (whitespace and comments dropped)."""
    tokens = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind != "end":
            tokens.append(Token(kind, match[kind], match.start(kind)))
    return tokens


def scan(text: str, prefixes: Mapping[str, str]) -> QueryShape:
    """Scan a query's tokens for its form, SERVICE endpoints and dataset IRIs (None: unresolvable)."""
    tokens = tokenize(text)
    names = dict(prefixes)
    base: str | None = None
    shape = QueryShape()
    for i, token in enumerate(tokens):
        if token.kind == "iri" and _HIDDEN.search(token.text):
            shape.hidden.append(token.text)
        if token.kind != "word":
            continue
        word = token.text.upper()
        if word == "PREFIX" and i + 2 < len(tokens) and tokens[i + 2].kind == "iri":
            names[tokens[i + 1].text.rstrip(":")] = _resolve(tokens[i + 2], names, base) or ""
        elif word == "BASE" and i + 1 < len(tokens) and tokens[i + 1].kind == "iri":
            base = _resolve(tokens[i + 1], names, base)
        elif word in FORMS or word in UPDATES:
            _set_form(shape, word)
        elif word == "SERVICE":
            shape.services.append(_operand(tokens, i + 1, "SILENT", names, base))
        elif word == "FROM":
            shape.datasets.append(_operand(tokens, i + 1, "NAMED", names, base))
    return shape


def _set_form(shape: QueryShape, word: str) -> None:
    if shape.form is None and shape.update is None:
        if word in FORMS:
            shape.form = word
        else:
            shape.update = word


def _operand(
    tokens: list[Token], at: int, optional_word: str, names: Mapping[str, str], base: str | None
) -> str | None:
    """The IRI after a keyword (skipping an optional SILENT / NAMED); None for a variable."""
    if at < len(tokens) and tokens[at].kind == "word" and tokens[at].text.upper() == optional_word:
        at += 1
    return _resolve(tokens[at], names, base) if at < len(tokens) else None


def _resolve(token: Token, names: Mapping[str, str], base: str | None) -> str | None:
    """An IRI token or prefixed name as an absolute IRI; None when it is neither or cannot resolve."""
    if token.kind == "iri":
        iri = token.text[1:-1]
        return urljoin(base, iri) if base else iri
    if token.kind == "pname":
        prefix, _, local = token.text.partition(":")
        namespace = names.get(prefix)
        return None if namespace is None else namespace + re.sub(r"\\(.)", r"\1", local)
    return None


def check_query(text: str, prefixes: Mapping[str, str], allowed: Iterable[str], graphs: Collection[str]) -> QueryShape:
    """Refuse updates (403), and SERVICE / FROM naming anything not allowed (400); return the shape.

    `graphs` is only looked into (never copied): at a million claims it names 40k graphs, and
    copying it into a set on every query would cost more than the check."""
    shape = scan(text, prefixes)
    if shape.update:
        raise Forbidden(f"this endpoint is read-only: SPARQL updates ({shape.update}) are not accepted")
    if shape.hidden:
        raise BadRequest(
            f"the IRI {shape.hidden[0]} looks like a SERVICE or FROM keyword hidden after a `<` comparison; "
            "put spaces around `<` in expressions"
        )
    endpoints = set(allowed)
    for endpoint in shape.services:
        if endpoint is None or endpoint not in endpoints:
            where = f"<{endpoint}>" if endpoint else "an endpoint that is not a fixed IRI"
            raise BadRequest(
                f"SERVICE calls to {where} are not allowed; allowed endpoints (EVKG_SERVICE_ALLOWLIST): "
                + (", ".join(sorted(endpoints)) or "none")
            )
    for graph in shape.datasets:
        if graph is None or (graph not in endpoints and graph not in graphs):
            raise BadRequest(
                f"FROM / FROM NAMED <{graph}> names no graph of this store; use one of its named graphs "
                "(see the service description at /sparql) or leave the dataset to the default"
            )
    return shape
