"""The one SPARQL 1.1 lexer: tokens of a query's text, and IRI references resolved against a base.

Tokens follow the grammar's terminals (SPARQL 1.1 Query Language, section 19.8): IRIREF (with the
`\\u` escapes that section 19.2 allows and pyoxigraph accepts inside IRIs), PNAME_NS / PNAME_LN with
the Unicode PN_CHARS ranges, BLANK_NODE_LABEL, VAR1 / VAR2, the four string forms, numbers, LANGTAG
and punctuation; whitespace and comments are skipped. Keywords are matched without case and, as a
lexer that takes the longest match does (and as pyoxigraph's parser does), keywords written together
are separate tokens: `SERVICESILENT` is SERVICE then SILENT, `LIMIT1` is LIMIT then 1. A run of
letters that is not made of keywords stays one `word` token. An unterminated string is an `error`
token that runs to the end of its line (or of the text, for a long string), so lexing stays linear.

The lexer serves the /sparql security check (service.guard), the planner hint (kg.sparql.planner)
and the text sent to a remote store (kg.store.remote_sparql), so all three read a query alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d\u2070-\u218f"
    "\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + "0-9\\-\u00b7\u0300-\u036f\u203f-\u2040"
_VARNAME = f"[{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*+"
_DOTTED = f"[{_PN_CHARS}]*+(?:\\.++[{_PN_CHARS}]++)*+"
"""Name characters with dots inside but not at the end, matched possessively (no backtracking)."""
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_LOCAL_CHAR = f"(?:[{_PN_CHARS}:]|{_PLX})"
_LOCAL = f"(?:(?:[{_PN_CHARS_U}:0-9]|{_PLX}){_LOCAL_CHAR}*+(?:\\.++{_LOCAL_CHAR}++)*+)?"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_IRI_CHARS = r'[^<>"{}|^`\\\x00-\x20]'
_STRINGS = (
    r"'''(?:[^'\\]|\\.|'(?!''))*+'''|\"\"\"(?:[^\"\\]|\\.|\"(?!\"\"))*+\"\"\""
    r"|'(?:[^'\\\n\r]|\\.)*+'|\"(?:[^\"\\\n\r]|\\.)*+\""
)
_NUMBER = r"[0-9]+\.[0-9]*+[eE][+-]?[0-9]+|[0-9]*+\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+(?:[eE][+-]?[0-9]+)?"

_TOKEN = re.compile(
    # whitespace and comments are skipped in front of each token, inside the pattern, possessively;
    # `end` takes trailing ones, so no start position fails; every alternative that scans a run
    # either takes it whole or leaves it to one that does (a name that is no prefix is a word)
    r"(?:\s|#[^\r\n]*+)*+(?:"
    + "|".join(
        [
            f"(?P<iri><{_IRI_CHARS}*+(?:(?:{_UCHAR}){_IRI_CHARS}*+)*+>)",
            f"(?P<string>{_STRINGS})",
            r"(?P<error>(?:'''|\"\"\")[\s\S]*+|['\"][^\r\n]*+)",
            f"(?P<var>[?$]{_VARNAME})",
            f"(?P<bnode>_:[{_PN_CHARS_U}0-9]{_DOTTED})",
            f"(?P<pname>(?:[{_PN_CHARS_BASE}]{_DOTTED})?:{_LOCAL})",
            f"(?P<word>[{_PN_CHARS_BASE}]{_DOTTED})",
            f"(?P<number>{_NUMBER})",
            r"(?P<langtag>@[a-zA-Z]++(?:-[a-zA-Z0-9]++)*+)",
            r"(?P<punct>\^\^|&&|\|\||!=|<=|>=|\S)",
            r"(?P<end>\Z)",
        ]
    )
    + ")",
    re.S,
)
_PIECE = re.compile(r"[A-Za-z0-9_]+|[^\x00-\x7f]+|.", re.S)
_DIGITS = re.compile(r"[0-9]+")

_KEYWORD_LINES = (
    "BASE PREFIX SELECT CONSTRUCT DESCRIBE ASK DISTINCT REDUCED AS FROM NAMED WHERE ORDER BY ASC DESC LIMIT",
    "OFFSET VALUES UNDEF GROUP HAVING LOAD SILENT INTO CLEAR DROP CREATE ADD MOVE COPY TO INSERT DELETE DATA",
    "WITH USING DEFAULT ALL GRAPH OPTIONAL SERVICE BIND MINUS UNION FILTER A TRUE FALSE NOT IN EXISTS STR",
    "LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE RAND ABS CEIL FLOOR ROUND CONCAT STRLEN UCASE LCASE",
    "ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER YEAR MONTH DAY HOURS MINUTES SECONDS",
    "TIMEZONE TZ NOW UUID STRUUID MD5 SHA1 SHA256 SHA384 SHA512 COALESCE IF STRLANG STRDT SAMETERM ISIRI",
    "ISURI ISBLANK ISLITERAL ISNUMERIC REGEX SUBSTR REPLACE COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT",
    "SEPARATOR LATERAL ADJUST TRIPLE SUBJECT PREDICATE OBJECT ISTRIPLE LANGDIR STRLANGDIR HASLANG",
    "HASLANGDIR VERSION",
)
KEYWORDS = frozenset(word for line in _KEYWORD_LINES for word in line.split())
"""SPARQL 1.1's keywords and those pyoxigraph adds (LATERAL, SPARQL 1.2's triple terms and directions)."""
_KEYWORD = re.compile("|".join(sorted(KEYWORDS, key=len, reverse=True)), re.IGNORECASE)


class Token(NamedTuple):
    """One token: its kind (iri, pname, bnode, var, string, number, langtag, word, punct, error), text, start."""

    kind: str
    text: str
    start: int = 0

    @property
    def end(self) -> int:
        """The offset just after the token."""
        return self.start + len(self.text)

    @property
    def keyword(self) -> str:
        """A word token in upper case (keywords match without case, ASCII only); "" for other tokens."""
        return self.text.upper() if self.kind == "word" and self.text.isascii() else ""

    def is_word(self, *words: str) -> bool:
        """True for a word token that is one of `words` (upper case)."""
        return bool(self.keyword) and self.keyword in words


def tokenize(text: str) -> list[Token]:
    """Significant tokens of a SPARQL text (whitespace and comments dropped)."""
    return list(tokens(text))


def tokens(text: str) -> Iterator[Token]:
    """Significant tokens of a SPARQL text, as they come."""
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "punct"
        if kind == "word" and match[kind].upper() not in KEYWORDS:
            yield from _words(match[kind], match.start(kind))
        elif kind != "end":
            yield Token(kind, match[kind], match.start(kind))


def _words(run: str, start: int) -> Iterator[Token]:
    """A run of name characters that is no keyword: the keywords, numbers and other pieces it is made of."""
    for piece in _PIECE.finditer(run):
        text, at = piece.group(), start + piece.start()
        if text[0] in "-.":
            yield Token("punct", text, at)
        else:
            yield from (Token(kind, part, at + offset) for kind, part, offset in _keywords(text))


@lru_cache(maxsize=1024)
def _keywords(text: str) -> tuple[tuple[str, str, int], ...]:
    """A piece split into keywords and digits, longest keyword first; the whole piece if it cannot be."""
    parts, at = [], 0
    while at < len(text):
        match = _DIGITS.match(text, at) or _KEYWORD.match(text, at)
        if match is None:
            return (("number" if text[0].isdigit() else "word", text, 0),)
        parts.append(("number" if match.group()[0].isdigit() else "word", match.group(), at))
        at = match.end()
    return tuple(parts)


def names_dataset(text: str) -> bool:
    """True when a query states its own dataset (FROM or FROM NAMED), which then replaces the store's."""
    return any(token.is_word("FROM") for token in tokens(text))


# ------------------------------------------------------------------------------- token values
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_LOCAL_ESCAPE = re.compile(r"\\(.)")


def iri_value(token: str) -> str:
    """The IRI reference an IRIREF token writes, its `\\u` escapes decoded."""
    return _ESCAPE.sub(lambda m: chr(int(m[1] or m[2], 16)), token[1:-1])


def split_pname(token: str) -> tuple[str, str]:
    """A prefixed name's prefix (without the colon) and local part (its `\\` escapes removed)."""
    prefix, _, local = token.partition(":")
    return prefix, _LOCAL_ESCAPE.sub(r"\1", local)


def prefix_keywords(token: str) -> list[str]:
    """The keywords a prefixed name's prefix is made of (`SERVICE:x` reads as SERVICE `:x` too)."""
    prefix = token.partition(":")[0]
    return [t.text.upper() for t in tokens(prefix) if t.is_word(*KEYWORDS)]


# ------------------------------------------------------------------------------- IRI resolution
_REFERENCE = re.compile(r"(?:([A-Za-z][A-Za-z0-9+.\-]*):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?", re.S)
_FORBIDDEN = re.compile(r"[<>\"{}|^`\\\x00-\x20]")


class _Parts(NamedTuple):
    """The five components of an IRI reference (RFC 3986 section 3); None where one is absent."""

    scheme: str | None
    authority: str | None
    path: str
    query: str | None
    fragment: str | None

    def text(self) -> str:
        """The reference recomposed (RFC 3986 section 5.3)."""
        out = f"{self.scheme}:" if self.scheme is not None else ""
        out += f"//{self.authority}" if self.authority is not None else ""
        out += self.path + (f"?{self.query}" if self.query is not None else "")
        return out + (f"#{self.fragment}" if self.fragment is not None else "")


def _parts(reference: str) -> _Parts:
    """An IRI reference split into its components (RFC 3986 appendix B)."""
    match = _REFERENCE.fullmatch(reference)
    assert match is not None  # every group is optional
    scheme, authority, path, query, fragment = match.groups()
    return _Parts(scheme, authority, path, query, fragment)


def resolve(reference: str, base: str | None) -> str | None:
    """An IRI reference resolved against a base as pyoxigraph resolves it (RFC 3986 section 5.2);
    None when no absolute IRI comes of it or the reference has characters no IRI may hold."""
    if _FORBIDDEN.search(reference):
        return None
    ref = _parts(reference)
    if ref.scheme is not None:
        return reference
    start = _parts(base) if base is not None else None
    if start is None or start.scheme is None:
        return None
    return _target(ref, start).text()


def _target(ref: _Parts, base: _Parts) -> _Parts:
    """The target of a relative reference (section 5.2.2); like pyoxigraph, a `//` path keeps its dots."""
    if ref.authority is not None:
        return ref._replace(scheme=base.scheme)
    if ref.path == "":
        return base._replace(query=base.query if ref.query is None else ref.query, fragment=ref.fragment)
    path = ref.path if ref.path.startswith("/") else _merge(base, ref.path)
    path = remove_dot_segments(path, rooted=base.authority is not None)
    return base._replace(path=path, query=ref.query, fragment=ref.fragment)


def _merge(base: _Parts, path: str) -> str:
    """A relative path appended to the base's directory (section 5.2.3)."""
    if base.authority is not None and base.path == "":
        return "/" + path
    return base.path[: base.path.rfind("/") + 1] + path


def remove_dot_segments(path: str, *, rooted: bool = True) -> str:
    """The path without `.` and `..` segments (section 5.2.4). Under a base without an authority
    (`rooted` false) the result keeps no root that the path lacked or that a `..` climbed above."""
    out: list[str] = []
    rest, above = path, False
    while rest:
        if rest.startswith(("../", "./")):
            rest = rest[rest.index("/") + 1 :]
        elif rest.startswith("/./") or rest == "/.":
            rest = "/" + rest[3:]
        elif rest.startswith("/../") or rest == "/..":
            rest, out, above = "/" + rest[4:], out[:-1], above or not out
        elif rest in (".", ".."):
            rest = ""
        else:
            end = rest.find("/", 1)
            out.append(rest[: len(rest) if end < 0 else end])
            rest = rest[len(out[-1]) :]
    joined = "".join(out)
    strip = not rooted and (above or not path.startswith("/"))
    return joined[1:] if strip and joined.startswith("/") else joined
