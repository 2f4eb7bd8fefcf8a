"""A lexical check of SPARQL text before it runs: query form, SERVICE and dataset (FROM) IRIs.

pyoxigraph exposes no query algebra, and it *does* call out over HTTP for SERVICE, so the
service refuses SERVICE, FROM and FROM NAMED clauses that name an endpoint or graph it does not
know. The check tokenizes the query with the SPARQL 1.1 terminals (IRIs, prefixed names,
variables, strings, comments), so case (`sErViCe`), comments (`SERVICE # x` on two lines),
keywords inside strings or IRIs, and prefixed names (`SERVICE ex:endpoint`, resolved through
the query's PREFIX and BASE declarations) are all handled. A SERVICE whose endpoint is a
variable, or a prefixed name that cannot be resolved, is refused.

The tokens are kg.sparql.lexer's, the ones the planner hint and the remote store read. Keywords
written together are read apart, as pyoxigraph's parser reads them (`SERVICESILENT <x>`, `trueSERVICE`),
and `SERVICE:name {`, a prefixed name to a lexer, is also taken as SERVICE `:name`, as the parser may.

The one place where a lexer and a parser can disagree in SPARQL is `<`: an IRI, or a less-than
in an expression (`FILTER(?a<?b)SERVICE#>` then an endpoint on the next line). An IRI token is
therefore treated as an attempt to hide syntax and refused when it holds an apostrophe (read as
`<`, a string starts there and may run past the `>`), when a `#` in it follows SERVICE or FROM
as a keyword, or when a long string opens after it on the line that its `#` turns into a
comment. A plain IRI such as `<http://example.org/service#x>` is refused by the same rule (400
with a message), which errs on the side of safety. `<http://example.org/wasDerivedFrom#x>` or
`.../claim/quoted-from-x#quote` pass.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from kg.sparql.lexer import Token, iri_value, prefix_keywords, resolve, split_pname, tokenize
from service.errors import BadRequest, Forbidden

MAX_DEPTH = 128
"""The deepest nesting a query may have (brackets, and a run of `!`), checked before any worker parses it.
pyoxigraph parses and evaluates recursively, and a query worker dies of a stack overflow far deeper than
this; docs/service.md has the depths measured. Real queries nest a few levels."""
MAX_TOKENS = 20_000
"""The most tokens a query may have: a long flat chain (thousands of UNIONs, `+` terms or FILTERs)
overflows a worker's parser as deep nesting does; real queries have a few hundred tokens."""
OPENERS, CLOSERS = "({[", ")}]"
FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
UPDATES = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")
GUARDED = ("SERVICE", "FROM")


@dataclass
class QueryShape:
    """What the lexical scan learned: the form, SERVICE endpoints and FROM / FROM NAMED graphs."""

    form: str | None = None
    update: str | None = None
    services: list[str | None] = field(default_factory=list)
    datasets: list[str | None] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)
    depth: int = 0
    tokens: int = 0


@dataclass
class _Scope:
    """The PREFIX and BASE declarations in force at a point of the query."""

    names: dict[str, str]
    base: str | None = None

    def iri(self, token: Token) -> str | None:
        """An IRI token or prefixed name as an absolute IRI; None when it is neither or cannot resolve."""
        if token.kind == "iri":
            return resolve(iri_value(token.text), self.base) if self.base else iri_value(token.text)
        if token.kind == "pname":
            prefix, local = split_pname(token.text)
            namespace = self.names.get(prefix)
            return None if namespace is None else namespace + local
        return None


def scan(text: str, prefixes: Mapping[str, str]) -> QueryShape:
    """Scan a query's tokens for its form, SERVICE endpoints and dataset IRIs (None: unresolvable)."""
    tokens = tokenize(text)
    scope = _Scope(dict(prefixes))
    shape = QueryShape(depth=nesting(tokens), tokens=len(tokens))
    spanning = [t.start for t in tokens if t.kind in ("string", "error") and ("\n" in t.text or "\r" in t.text)]
    for i, token in enumerate(tokens):
        if token.kind == "iri" and _hides_syntax(text, token, spanning):
            shape.hidden.append(token.text)
        elif token.kind == "pname":
            _glued_service(tokens, i, scope, shape)
        elif token.kind == "word":
            _keyword(tokens, i, scope, shape)
    return shape


def nesting(tokens: list[Token]) -> int:
    """How deep a query nests: brackets `( { [`, plus a run of `!` one level each (pyoxigraph reads `!!x`).

    Brackets inside an IRI token count too: a parser may read its `<` as a comparison and the rest as syntax."""
    depth = deepest = bangs = 0
    for token in tokens:
        for char in token.text if token.kind in ("punct", "iri") else "":
            depth += (char in OPENERS) - (char in CLOSERS and depth > 0)
            bangs = bangs + 1 if char == "!" else 0
            deepest = max(deepest, depth + bangs)
    return deepest


def _keyword(tokens: list[Token], i: int, scope: _Scope, shape: QueryShape) -> None:
    """Take in the keyword at `i`: a declaration, the query form, a SERVICE or a FROM."""
    word = tokens[i].keyword
    if word == "PREFIX" and i + 2 < len(tokens) and tokens[i + 2].kind == "iri":
        scope.names[tokens[i + 1].text.rstrip(":")] = scope.iri(tokens[i + 2]) or ""
    elif word == "BASE" and i + 1 < len(tokens) and tokens[i + 1].kind == "iri":
        scope.base = scope.iri(tokens[i + 1])
    elif word in FORMS or word in UPDATES:
        _set_form(shape, word)
    elif word == "SERVICE":
        shape.services.append(_operand(tokens, i + 1, "SILENT", scope))
    elif word == "FROM":
        shape.datasets.append(_operand(tokens, i + 1, "NAMED", scope))


def _hides_syntax(text: str, token: Token, spanning: list[int]) -> bool:
    """True when an IRI token may be a `<` comparison whose rest a parser reads as other syntax.

    Read as `<`, an apostrophe in the IRI opens a string that may run past its `>`, and a `#` opens a
    comment: what stands before it is syntax (SERVICE or FROM hidden there), and a long string that the
    lexer sees opened after the `>` on that line starts in the comment, so the lines after it differ."""
    if "'" in token.text:
        return True
    hash_at = token.text.find("#")
    if hash_at < 0:
        return False
    if any(t.is_word(*GUARDED) for t in tokenize(token.text[1:hash_at])):
        return True
    later = bisect_left(spanning, token.end)
    return later < len(spanning) and spanning[later] < _line_end(text, token.end)


def _line_end(text: str, start: int) -> int:
    """Where the line holding `start` ends (a comment ends there)."""
    ends = [at for at in (text.find("\n", start), text.find("\r", start)) if at >= 0]
    return min(ends, default=len(text))


def _glued_service(tokens: list[Token], i: int, scope: _Scope, shape: QueryShape) -> None:
    """`SERVICE:name {` is a prefixed name to the lexer and SERVICE `:name` to the parser: take both."""
    if i + 1 < len(tokens) and tokens[i + 1].text == "{" and "SERVICE" in prefix_keywords(tokens[i].text):
        shape.services.append(scope.iri(Token("pname", ":" + tokens[i].text.partition(":")[2])))


def _set_form(shape: QueryShape, word: str) -> None:
    if shape.form is None and shape.update is None:
        if word in FORMS:
            shape.form = word
        else:
            shape.update = word


def _operand(tokens: list[Token], at: int, optional_word: str, scope: _Scope) -> str | None:
    """The IRI after a keyword (skipping an optional SILENT / NAMED); None for a variable."""
    if at < len(tokens) and tokens[at].is_word(optional_word):
        at += 1
    return scope.iri(tokens[at]) if at < len(tokens) else None


def check_query(text: str, prefixes: Mapping[str, str], allowed: Iterable[str], graphs: Collection[str]) -> QueryShape:
    """Refuse updates (403), and SERVICE / FROM naming anything not allowed (400); return the shape.

    `graphs` is only looked into, never copied: a large store names many graphs."""
    shape = scan(text, prefixes)
    check_depth(shape)
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


def check_depth(shape: QueryShape) -> None:
    """Refuse (400) a query nested deeper than MAX_DEPTH or longer than MAX_TOKENS, before a worker's
    parser would overflow its stack."""
    if shape.depth > MAX_DEPTH:
        raise BadRequest(
            f"the query nests {shape.depth} levels deep (brackets and `!`); at most {MAX_DEPTH} are accepted"
        )
    if shape.tokens > MAX_TOKENS:
        raise BadRequest(f"the query has {shape.tokens} tokens; at most {MAX_TOKENS} are accepted: split it up")
