"""The SPARQL 1.1 Protocol's query operation, read-only: which request carries which query.

| method | content type | query in | dataset in |
|---|---|---|---|
| GET | — | `query=` in the URL | `default-graph-uri=`, `named-graph-uri=` in the URL |
| POST | application/x-www-form-urlencoded | `query=` in the body | the body |
| POST | application/sparql-query | the body | the URL |
| POST | application/sparql-update, or `update=` anywhere | — refused, 403 | |
| POST | anything else | — refused, 415 | |
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from service.errors import BadRequest, Forbidden, UnsupportedMediaType

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"
POST_TYPES = (FORM, DIRECT)
READ_ONLY = "this endpoint is read-only: SPARQL updates are not accepted"


@dataclass(frozen=True)
class QueryRequest:
    """A protocol query: the text and the dataset (None: the union of all graphs as default)."""

    query: str
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None


class Params:
    """Multi-valued request parameters (URL or form), as lists of strings."""

    def __init__(self, values: Mapping[str, Sequence[str]]) -> None:
        self.values = values

    def all(self, name: str) -> list[str]:
        return list(self.values.get(name, ()))

    def one(self, name: str) -> str | None:
        """The single value of a parameter; 400 when it is given more than once."""
        found = self.all(name)
        if len(found) > 1:
            raise BadRequest(f"the `{name}` parameter is given {len(found)} times; give it once")
        return found[0] if found else None


def media_type(content_type: str | None) -> str:
    """`application/sparql-query; charset=utf-8` -> `application/sparql-query`."""
    return (content_type or "").split(";")[0].strip().lower()


def parse_get(args: Params) -> QueryRequest | None:
    """A GET request's query, or None when it asks for no query (the service description)."""
    if args.all("update"):
        raise Forbidden(READ_ONLY)
    query = args.one("query")
    if query is None:
        return None
    return QueryRequest(query, *dataset(args))


def parse_post(content_type: str | None, args: Params, form: Params, body: bytes) -> QueryRequest:
    """A POST request's query: form-encoded or direct; updates 403, other content types 415."""
    kind = media_type(content_type)
    if kind == UPDATE or args.all("update") or (kind == FORM and form.all("update")):
        raise Forbidden(READ_ONLY)
    if kind == FORM:
        if args.all("query"):
            raise BadRequest("a form POST carries `query` in the body, not in the URL")
        query = form.one("query")
        if query is None:
            raise BadRequest("the form has no `query` field")
        return QueryRequest(query, *dataset(form))
    if kind == DIRECT:
        if args.all("query"):
            raise BadRequest("a direct POST (application/sparql-query) carries the query in the body, not in the URL")
        return QueryRequest(decode(body), *dataset(args))
    raise UnsupportedMediaType(
        f"cannot take a POST body of type {kind or '(none)'!r}; use one of: {', '.join(POST_TYPES)}"
    )


def decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the query is not valid UTF-8: {exc}") from exc


def dataset(params: Params) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """The protocol's RDF dataset: default-graph-uri and named-graph-uri, each checked to be an IRI."""
    default = tuple(_iri(v, "default-graph-uri") for v in params.all("default-graph-uri"))
    named = tuple(_iri(v, "named-graph-uri") for v in params.all("named-graph-uri"))
    if not default and not named:
        return None, None
    return default, named


def _iri(value: str, name: str) -> str:
    try:
        node = ox.NamedNode(value)
    except ValueError as exc:
        raise BadRequest(f"{name} must be an absolute IRI, got {value!r}: {exc}") from exc
    return node.value
