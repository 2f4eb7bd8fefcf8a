"""The W3C SPARQL 1.1 Protocol tests (protocol/manifest.ttl): HTTP requests with expected answers.

Each mf:ProtocolTest is a list of ht:Requests (method, path, headers, body) with, for each, the
expected status class (2xx/3xx/4xx), result format (`boolean`, `tabular`, `RDF`) and ASK answer.
The requests are sent as written, with http.client (which adds no Content-Type of its own, as the
tests with a missing content type need). The manifest's `/sparql/` path becomes the service's
`/sparql` for queries and its token-protected `/update` for updates: a request of an update test
goes to /update (with `Authorization: Bearer`) unless it carries a query (`query=` or
application/sparql-query). ut:graphData files are loaded into named graphs called by their label.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDFS, Namespace

from .manifest import MF, SUITE, local_name, read_manifest, to_path
from .server import ConformanceServer, install

HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
FORMATS = {
    "boolean": ("application/sparql-results+json", "application/sparql-results+xml"),
    "tabular": (
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    ),
    "RDF": ("application/rdf+xml", "text/turtle", "application/n-triples"),
}
"""mf:expectedFormat -> the media types that satisfy it (the manifest's own lists)."""
SRX = "{http://www.w3.org/2005/sparql-results#}"


@dataclass(frozen=True)
class Request:
    """One ht:Request and what its response must be."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    statuses: tuple[int, ...]
    format: str | None
    boolean: bool | None

    @property
    def content_type(self) -> str:
        return next((v.split(";")[0].strip().lower() for k, v in self.headers if k.lower() == "content-type"), "")

    def is_query(self) -> bool:
        """Whether the request carries a query (else, in an update test, it is an update)."""
        params = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        form = urllib.parse.parse_qs((self.body or b"").decode("utf-8", "replace"))
        return self.content_type == "application/sparql-query" or "query" in params or "query" in form


@dataclass(frozen=True)
class ProtocolCase:
    """One mf:ProtocolTest: named graphs to load, then requests in order."""

    id: str
    name: str
    graphs: tuple[tuple[str, Path], ...]
    requests: tuple[Request, ...]

    @property
    def is_update(self) -> bool:
        return "update" in self.id


def protocol_cases(suite: Path = SUITE) -> list[ProtocolCase]:
    """Every test of protocol/manifest.ttl, in manifest order."""
    graph, entries = read_manifest("protocol", suite)
    cases = []
    for test in entries:
        data = graph.objects(test, UT.graphData)
        named = tuple(sorted((str(graph.value(g, RDFS.label)), to_path(graph.value(g, UT.graph))) for g in data))
        requests = graph.value(graph.value(test, MF.action), HT.requests)
        assert requests is not None, f"{test} has no ht:requests"
        cases.append(
            ProtocolCase(
                id=local_name(test),
                name=str(graph.value(test, MF.name)),
                graphs=named,
                requests=tuple(_request(graph, r) for r in Collection(graph, requests)),
            )
        )
    return cases


def _request(graph: rdflib.Graph, node: rdflib.term.Node) -> Request:
    headers_list = graph.value(node, HT.headers)
    headers = tuple(
        (str(graph.value(h, HT.fieldName)), str(graph.value(h, HT.fieldValue)))
        for h in (Collection(graph, headers_list) if headers_list is not None else ())
    )
    content = graph.value(node, HT.body)
    body = None
    if content is not None:
        encoding = str(graph.value(content, CNT.characterEncoding) or "UTF-8")
        body = str(graph.value(content, CNT.chars)).encode(encoding)
    response = graph.value(node, HT.resp)
    statuses = tuple(sorted(int(local_name(s)[len("StatusCode")]) for s in graph.objects(response, MF.expectedStatus)))
    boolean = graph.value(response, MF.expectedBoolean)
    expected_format = graph.value(response, MF.expectedFormat)
    return Request(
        method=str(graph.value(node, HT.methodName)),
        path=str(graph.value(node, HT.absolutePath)),
        headers=headers,
        body=body,
        statuses=statuses,
        format=str(expected_format) if expected_format is not None else None,
        boolean=None if boolean is None else str(boolean) == "true",
    )


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes


def send(base_url: str, request: Request, *, update: bool, token: str) -> Answer:
    """Send one request as written, to /sparql or (an update) /update with the bearer token."""
    target = urllib.parse.urlsplit(base_url)
    path = request.path.replace("/sparql/", "/update" if update else "/sparql", 1)
    headers = dict(request.headers)
    if update:
        headers["Authorization"] = f"Bearer {token}"
    connection = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=60)
    try:
        connection.request(request.method, path, body=request.body, headers=headers)
        response = connection.getresponse()
        content_type = (response.getheader("Content-Type") or "").split(";")[0].strip()
        return Answer(response.status, content_type, response.read())
    finally:
        connection.close()


def run_protocol_case(server: ConformanceServer, case: ProtocolCase, token: str) -> str | None:
    """Load the test's graphs into a fresh store, send its requests in order; None when all pass."""
    install(server, (), case.graphs)
    for number, request in enumerate(case.requests, 1):
        update = case.is_update and not request.is_query()
        problem = check(request, send(server.url, request, update=update, token=token))
        if problem:
            return f"request {number} ({request.method} {'/update' if update else '/sparql'}): {problem}"
    return None


def check(request: Request, answer: Answer) -> str | None:
    """None when the answer is what the test expects, else what is wrong."""
    if answer.status // 100 not in request.statuses:
        return f"status {answer.status}, expected {'/'.join(f'{s}xx' for s in request.statuses)}: {answer.body[:300]!r}"
    if request.format and answer.content_type not in FORMATS[request.format]:
        return f"content type {answer.content_type!r} is not a {request.format} format ({FORMATS[request.format]})"
    if request.boolean is not None and read_boolean(answer) is not request.boolean:
        return f"the ASK answer is not {request.boolean}: {answer.body[:300]!r}"
    return None


def read_boolean(answer: Answer) -> bool | None:
    """The boolean of a SPARQL JSON or XML ASK result."""
    if answer.content_type == "application/sparql-results+json":
        value = json.loads(answer.body).get("boolean")
        return value if isinstance(value, bool) else None
    if answer.content_type == "application/sparql-results+xml":
        node = ET.fromstring(answer.body).find(f"{SRX}boolean")
        return None if node is None else (node.text or "").strip() == "true"
    return None
