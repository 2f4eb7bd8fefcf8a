"""/update: the SPARQL 1.1 Protocol's update operation, only when EVKG_UPDATE_TOKEN is set.

| method | content type | update in | using-graph-uri, using-named-graph-uri in |
|---|---|---|---|
| POST | application/x-www-form-urlencoded | `update=` in the body | the body |
| POST | application/sparql-update | the body (UTF-8) | the URL |
| POST | anything else | — refused, 415 | |

Every request needs `Authorization: Bearer <EVKG_UPDATE_TOKEN>` (401 otherwise). An update runs
on a copy of the live generation (`kg.store.oxigraph.derive_generation`) that becomes live atomically
when it succeeds, so the query workers never see half an update and pick up the new generation
on their next query; updates are serialized by a lock file in the store directory. `LOAD` is
refused (it would fetch from the web), and SERVICE is held to the allowlist as for queries. The
protocol's using-graph-uri / using-named-graph-uri become USING / USING NAMED clauses of each
DELETE/INSERT ... WHERE operation; with USING or WITH in the update text as well, 400. An update
is not bounded by EVKG_QUERY_TIMEOUT: only the token's holders can send one.

On a remote store every update is refused with 501 (REMOTE_REFUSAL says why): the service would
have to send it with the store's write credentials, a SPARQL update can name any graph on the
server (`DROP ALL`, `CLEAR DEFAULT`, `WITH <...>`, the server's own graphs included), and none of
the guarantees above (a copy made live atomically, one update at a time) can be given there.
"""

from __future__ import annotations

import hmac
from pathlib import Path

from flask import Blueprint, Response, request

from kg.errors import QueryError
from kg.namespaces import PREFIXES
from kg.sparql.lexer import tokenize
from kg.store.lock import WriterBusy, writer_lock
from kg.store.oxigraph import OxigraphStore, derive_generation
from service.context import Services
from service.errors import (
    BadRequest,
    Forbidden,
    NotImplementedHere,
    StoreUnavailable,
    Unauthorized,
    UnsupportedMediaType,
)
from service.guard import check_depth, scan
from service.protocol import FORM, UPDATE, Params, _iri, decode, media_type

REMOTE_REFUSAL = (
    "this service reads a remote SPARQL store and does not forward updates to it: an update could touch "
    "any graph on that server, with the store's write credentials, and could not be made live atomically. "
    "Change the data with `evkg build`, `evkg load` or `evkg reason --store URL`, or with the server's own "
    "update endpoint and its access control"
)


def update_blueprint(services: Services) -> Blueprint:
    """POST /update over the services' store, guarded by the bearer token."""
    blueprint = Blueprint("update", __name__)
    view = UpdateView(services)
    blueprint.add_url_rule("/update", "endpoint", view.endpoint, methods=["POST"])
    return blueprint


class UpdateView:
    """Check the token, parse the protocol request, run the update into a new generation."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def endpoint(self) -> Response:
        if self.services.remote:
            raise NotImplementedHere(REMOTE_REFUSAL)
        self.authorize(request.headers.get("Authorization"))
        text, using, using_named = parse_update(
            request.content_type,
            Params(request.args.to_dict(flat=False)),
            Params(request.form.to_dict(flat=False)),
            request.get_data(cache=False),
        )
        check_update(text, self.services.allowlist)
        text = with_using(text, using, using_named)
        run_update(Path(self.services.settings.store), text, request.base_url, self.services.settings.writer_timeout)
        return Response(status=204)

    def authorize(self, header: str | None) -> None:
        token = self.services.settings.update_token
        scheme, _, given = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise Unauthorized(
                "updates need `Authorization: Bearer <token>` with the service's EVKG_UPDATE_TOKEN",
                headers={"WWW-Authenticate": 'Bearer realm="update"'},
            )


def parse_update(
    content_type: str | None, args: Params, form: Params, body: bytes
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """The update text and the protocol's USING / USING NAMED graphs; 400 / 415 for a bad request."""
    kind = media_type(content_type)
    if kind == FORM:
        text = form.one("update")
        if text is None:
            raise BadRequest("the form has no `update` field")
        return text, *_using(form)
    if kind == UPDATE:
        return decode(body), *_using(args)
    raise UnsupportedMediaType(f"cannot take an update of type {kind or '(none)'!r}; use one of: {FORM}, {UPDATE}")


def _using(params: Params) -> tuple[tuple[str, ...], tuple[str, ...]]:
    using = tuple(_iri(v, "using-graph-uri") for v in params.all("using-graph-uri"))
    named = tuple(_iri(v, "using-named-graph-uri") for v in params.all("using-named-graph-uri"))
    return using, named


def check_update(text: str, allowed: tuple[str, ...]) -> None:
    """Refuse LOAD (403) and SERVICE calls to endpoints not allowed (400)."""
    if any(t.is_word("LOAD") for t in tokenize(text)):
        raise Forbidden("LOAD is not accepted: it would fetch a document from the web; send the data with INSERT DATA")
    shape = scan(text, PREFIXES)
    check_depth(shape)
    if shape.hidden:
        raise BadRequest(f"the IRI {shape.hidden[0]} looks like a SERVICE keyword hidden after a `<` comparison")
    for endpoint in shape.services:
        if endpoint is None or endpoint not in allowed:
            raise BadRequest(f"SERVICE calls to <{endpoint}> are not allowed (EVKG_SERVICE_ALLOWLIST)")


def with_using(text: str, using: tuple[str, ...], using_named: tuple[str, ...]) -> str:
    """The update with the protocol's graphs as USING / USING NAMED before each operation's WHERE."""
    if not using and not using_named:
        return text
    clauses = " ".join([f"USING <{g}>" for g in using] + [f"USING NAMED <{g}>" for g in using_named]) + " "
    depth, previous, offsets = 0, "", []
    for token in tokenize(text):
        word = token.keyword
        depth += {"{": 1, "}": -1}.get(token.text, 0) if token.kind == "punct" else 0
        if depth == 0 and word in ("USING", "WITH"):
            raise BadRequest(
                "the update names its dataset (USING or WITH) and the request does too "
                "(using-graph-uri / using-named-graph-uri); give one of them"
            )
        if depth == 0 and word == "WHERE" and previous != "DELETE":
            offsets.append(token.start)
        previous = word
    for offset in reversed(offsets):
        text = text[:offset] + clauses + text[offset:]
    return text


def run_update(path: Path, text: str, base_iri: str, timeout: float) -> None:
    """Apply the update to a copy of the live generation and make the copy live, holding the store's
    writer lock (503 with Retry-After when another writer keeps it past `timeout`); 400 when it fails."""

    def change(store: OxigraphStore) -> None:
        store.update(text, base_iri=base_iri)

    try:
        with writer_lock(path, "POST /update", timeout):
            derive_generation(path, change)
    except WriterBusy as exc:
        raise StoreUnavailable(str(exc), headers={"Retry-After": "5"}) from exc
    except QueryError as exc:
        raise BadRequest(str(exc)) from exc
    except (RuntimeError, ValueError) as exc:
        raise BadRequest(f"the update failed and changed nothing: {exc}") from exc
