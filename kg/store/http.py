"""HTTP to a remote store: one request answered within a time and a size limit, failures sorted by kind,
and SPARQL JSON results repaired where Virtuoso deviates from the standard (standard library only)."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from typing import Any

from kg.errors import QueryError, StoreError
from kg.sparql.lexer import resolve

TIMEOUT = 600.0
"""Seconds to wait for the remote server's whole answer to one request (unless told otherwise)."""
CHUNK = 1 << 16
FORM = "application/x-www-form-urlencoded"


# ---------------------------------------------------------------- errors
class StoreRefused(QueryError):
    """The server refused the query as malformed (400); `detail` is its message."""

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class RemoteError(StoreError):
    """The remote server gave no usable answer."""


class RemoteUnavailable(RemoteError):
    """The server cannot be reached, or says it is unavailable (503)."""


class RemoteTimeout(RemoteError):
    """No whole answer in time: ours (the request's time limit) or the server's own (504, a cut result)."""

    def __init__(self, message: str, *, by_server: bool = False) -> None:
        super().__init__(message)
        self.by_server = by_server


class RemoteTooLarge(RemoteError):
    """The answer is larger than the request allowed."""


DEADLOCK_PAUSES = (0.2, 0.5, 1.0)
"""Pauses before sending a request again that the server rolled back as a deadlock."""


class RemoteFailed(RemoteError):
    """The server answered an error status (other than 400) or a body that cannot be used."""

    def __init__(self, message: str, *, status: int = 0, detail: str = "") -> None:
        super().__init__(message)
        self.status, self.detail = status, detail

    @property
    def transient(self) -> bool:
        """Virtuoso rolled the transaction back (SQL state 40001, a deadlock): the same request may succeed."""
        return "Virtuoso 40001 Error" in self.detail

    @property
    def query_fault(self) -> bool:
        """Virtuoso answers 500 for errors the query causes while it runs (SQL states 22xxx, 37xxx, 42xxx)."""
        return bool(re.match(r"Virtuoso (22|37|42)\w{3} Error", self.detail))


# ---------------------------------------------------------------- HTTP
class Http:
    """Requests to the remote endpoints, with basic or digest authentication when credentials are set."""

    def __init__(self, urls: Iterable[str], user: str = "", password: str = "") -> None:
        manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        if user:
            for url in set(urls) - {""}:
                manager.add_password(None, url, user, password)  # type: ignore[arg-type]
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPDigestAuthHandler(manager), urllib.request.HTTPBasicAuthHandler(manager)
        )

    def send(self, method: str, url: str, body: bytes | None = None, **options: Any) -> tuple[str, bytes]:
        """`attempt` (same arguments), sent again after a short pause when the server rolled it back as a
        deadlock."""
        for pause in DEADLOCK_PAUSES:
            try:
                return self.attempt(method, url, body, **options)
            except RemoteFailed as exc:
                if not exc.transient:
                    raise
                time.sleep(pause)
        return self.attempt(method, url, body, **options)

    def attempt(
        self,
        method: str,
        url: str,
        body: bytes | None = None,
        *,
        timeout: float = TIMEOUT,
        limit: int | None = None,
        **headers: str,
    ) -> tuple[str, bytes]:
        """One request, answered within `timeout` seconds and `limit` bytes: the media type and body.

        A 400 becomes QueryError, every other failure a RemoteError; so does a 200 that Virtuoso
        flags as cut short (`X-SQL-State`, its "anytime" results), which is never taken as an answer.
        """
        request = urllib.request.Request(url, data=body, method=method)
        for name, value in headers.items():
            request.add_header(name.replace("_", "-"), value)
        deadline = time.monotonic() + timeout
        try:
            with self.opener.open(request, timeout=timeout) as response:
                incomplete(response.headers, url)
                return response.headers.get_content_type(), read_within(response, deadline, limit, url)
        except urllib.error.HTTPError as exc:
            raise http_error(exc, method, url) from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                raise RemoteTimeout(f"the store at {url} did not answer within {timeout:g} s") from exc
            raise RemoteUnavailable(f"cannot reach the store at {url}: {reason}") from exc


def read_within(response: Any, deadline: float, limit: int | None, url: str) -> bytes:
    """The body, read in chunks until the deadline and up to `limit` bytes (RemoteTimeout, RemoteTooLarge)."""
    data = bytearray()
    while chunk := response.read(CHUNK):
        data += chunk
        if limit is not None and len(data) > limit:
            raise RemoteTooLarge(f"the store at {url} answered more than {limit} bytes")
        if time.monotonic() > deadline:
            raise RemoteTimeout(f"the store at {url} did not finish its answer in time")
    return bytes(data)


def incomplete(headers: Any, url: str) -> None:
    """Refuse a 200 that Virtuoso marks as cut short (`X-SQL-State: S1TAT`, "anytime" results)."""
    state = headers.get("X-SQL-State")
    if state:
        message = f"the store at {url} cut its answer short ({state}: {headers.get('X-SQL-Message', '')[:300]})"
        raise RemoteTimeout(message, by_server=True) if state.startswith("S1T") else RemoteFailed(message)


def server_message(body: bytes) -> str:
    """A server's error text on one line, without the copy of the query Virtuoso appends to it."""
    text = re.split(r"\s*SPARQL query:", body.decode("utf-8", "replace"), maxsplit=1)[0]
    return " ".join(text.split())


def http_error(exc: urllib.error.HTTPError, method: str, url: str) -> QueryError | RemoteError:
    """The error for a server's HTTP error status: 400 QueryError, 503 unavailable, 504 timeout, else failed."""
    detail = server_message(exc.read()[:4000])
    if exc.code == 400:
        return StoreRefused(f"the store at {url} refused the request (400): {detail}", detail=detail)
    message = f"{method} {url}: HTTP {exc.code} {exc.reason}: {detail}"
    if exc.code == 503:
        return RemoteUnavailable(message)
    if exc.code == 504:
        return RemoteTimeout(message, by_server=True)
    return RemoteFailed(message, status=exc.code, detail=detail)


def form(**fields: str | list[str]) -> bytes:
    """A urlencoded body; a list value repeats its field (`default-graph-uri`, `named-graph-uri`)."""
    pairs = [(k.replace("_", "-"), v) for k, vs in fields.items() for v in ([vs] if isinstance(vs, str) else vs)]
    return urllib.parse.urlencode(pairs).encode()


BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
STAR_FAKE = "_star_fake"
"""The variable Virtuoso answers `SELECT *` with when the pattern binds none (bound to 1 in every row)."""


def portable_results(body: bytes, base_iri: str | None = None) -> bytes:
    """SPARQL JSON results repaired where Virtuoso deviates, so that they parse as the standard says.

    Blank node labels (`nodeID://b1`) become valid labels; relative IRIs (Virtuoso's `IRI("x")`
    ignores BASE) are resolved against the query's base; booleans written `1` and `0` get their
    canonical form (`true`, `false`, as the store holds them and as Virtuoso writes them in RDF);
    the placeholder variable `_star_fake` of a `SELECT *` without variables is removed.
    """
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise RemoteFailed(f"the store answered SPARQL JSON that does not parse: {exc}") from exc
    rows = data.get("results", {}).get("bindings", [])
    for row in rows:
        for value in row.values():
            if value.get("type") == "bnode":
                value["value"] = re.sub(r"[^A-Za-z0-9]", "_", value["value"])
            elif value.get("type") == "uri" and ":" not in value["value"] and base_iri:
                value["value"] = resolve(value["value"], base_iri) or value["value"]
            elif value.get("datatype") == BOOLEAN and value["value"] in ("0", "1"):
                value["value"] = "true" if value["value"] == "1" else "false"
    if data.get("head", {}).get("vars") == [STAR_FAKE]:
        data["head"]["vars"] = []
        for row in rows:
            row.pop(STAR_FAKE, None)
    return json.dumps(data).encode()
