"""The service's one error taxonomy: every failure is an HTTP status, a title and a detail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import HTTPException

from kg.errors import EvkgError, QueryError
from kg.store.http import RemoteFailed, RemoteTimeout, RemoteTooLarge


class ServiceError(Exception):
    """A failure the client is told about: status code, short title, a sentence of detail."""

    status = 500
    title = "Internal server error"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}


class BadRequest(ServiceError):
    """A malformed query or a bad parameter."""

    status, title = 400, "Bad request"


class Unauthorized(ServiceError):
    """A request to the update endpoint without the right bearer token."""

    status, title = 401, "Unauthorized"


class Forbidden(ServiceError):
    """An update on the read-only endpoint, or a SERVICE call to an endpoint not allowed."""

    status, title = 403, "Forbidden"


class NotFound(ServiceError):
    """No such page, or an IRI with no triples."""

    status, title = 404, "Not found"


class NotAcceptable(ServiceError):
    """No representation matches the Accept header (the detail lists the valid media types)."""

    status, title = 406, "Not acceptable"


class PayloadTooLarge(ServiceError):
    """The request (URL or body) is larger than EVKG_MAX_REQUEST_BYTES."""

    status, title = 413, "Request too large"


class UnsupportedMediaType(ServiceError):
    """A POST body in a content type the endpoint does not take."""

    status, title = 415, "Unsupported media type"


class NotImplementedHere(ServiceError):
    """A feature this service does not offer for its kind of store (updates on a remote store)."""

    status, title = 501, "Not implemented"


class BadGateway(ServiceError):
    """The remote store answered an error of its own, or an answer that cannot be used."""

    status, title = 502, "Bad gateway"


class GatewayTimeout(ServiceError):
    """The remote store (or a proxy before it) gave up on the query within its own time limit."""

    status, title = 504, "Gateway timeout"


class StoreUnavailable(ServiceError):
    """The store cannot be opened or reached."""

    status, title = 503, "Store unavailable"


class QueryTimeout(ServiceError):
    """A query ran longer than EVKG_QUERY_TIMEOUT; its worker was killed."""

    status, title = 503, "Query timed out"


class Overloaded(ServiceError):
    """Every query worker stayed busy for the whole timeout."""

    status, title = 503, "Service overloaded"


class ResultTooLarge(ServiceError):
    """The serialized result is over EVKG_MAX_RESULT_BYTES: refused rather than truncated."""

    status, title = 507, "Result too large"


@dataclass(frozen=True)
class ErrorBody:
    """The one error shape: {"error": {"status": ..., "title": ..., "detail": ...}}."""

    status: int
    title: str
    detail: str
    headers: tuple[tuple[str, str], ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"error": {"status": self.status, "title": self.title, "detail": self.detail}}


RETRY_AFTER = "5"
"""Seconds a client is asked to wait after a 503 (every 503 says so)."""


def error_body(exc: BaseException) -> ErrorBody:
    """Map any exception to the error shape; every 503 carries Retry-After."""
    body = _error_body(exc)
    if body.status == 503 and not any(k.lower() == "retry-after" for k, _ in body.headers):
        return ErrorBody(body.status, body.title, body.detail, (*body.headers, ("Retry-After", RETRY_AFTER)))
    return body


def _error_body(exc: BaseException) -> ErrorBody:
    """Map any exception to the error shape; unknown exceptions become a 500 without internals."""
    if isinstance(exc, ServiceError):
        return ErrorBody(exc.status, exc.title, exc.detail, tuple(exc.headers.items()))
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        headers = tuple((k, v) for k, v in exc.get_headers() if k.lower() == "allow")
        return ErrorBody(status, exc.name, exc.description or exc.name, headers)
    if isinstance(exc, QueryError):
        return ErrorBody(400, BadRequest.title, str(exc))
    if isinstance(exc, EvkgError):
        kind = remote_error_kind(exc)
        return ErrorBody(kind.status, kind.title, str(exc))
    return ErrorBody(500, ServiceError.title, "an unexpected error happened on the server; it has been logged")


def remote_error_kind(exc: EvkgError) -> type[ServiceError]:
    """The status of a store failure: what the remote server did, or 503 when the store is unavailable."""
    if isinstance(exc, RemoteFailed):
        return BadRequest if exc.query_fault else BadGateway
    if isinstance(exc, RemoteTimeout):
        return GatewayTimeout if exc.by_server else QueryTimeout
    if isinstance(exc, RemoteTooLarge):
        return ResultTooLarge
    return StoreUnavailable
