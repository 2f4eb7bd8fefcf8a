"""A request that Virtuoso rolls back as a deadlock (SQL state 40001) is sent again; other server
errors are not. Against a small HTTP server on loopback that answers as Virtuoso does."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from kg.store.http import Http, RemoteFailed

DEADLOCK = b"Virtuoso 40001 Error SR172: Transaction deadlocked"
OTHER = b"Virtuoso 42000 Error SP030: SPARQL compiler, line 1: syntax error"


class Scripted(http.server.BaseHTTPRequestHandler):
    """Answers each POST with the next (status, body) of the server's script."""

    def do_POST(self) -> None:  # noqa: N802 - the handler's protocol name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status, body = self.server.script.pop(0)  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Type", "text/plain" if status != 200 else "application/sparql-results+json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def server() -> Iterator[http.server.HTTPServer]:
    httpd = http.server.HTTPServer(("127.0.0.1", 0), Scripted)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd
    httpd.shutdown()


def url(httpd: http.server.HTTPServer) -> str:
    return f"http://127.0.0.1:{httpd.server_address[1]}/sparql"


def test_a_deadlocked_request_is_sent_again(server: http.server.HTTPServer) -> None:
    server.script = [(500, DEADLOCK), (500, DEADLOCK), (200, b'{"head":{},"boolean":true}')]  # type: ignore[attr-defined]
    media, body = Http([url(server)]).send("POST", url(server), b"query=ASK%20%7B%7D")
    assert (media, body) == ("application/sparql-results+json", b'{"head":{},"boolean":true}')
    assert server.script == []  # type: ignore[attr-defined]


def test_other_server_errors_are_not_retried(server: http.server.HTTPServer) -> None:
    server.script = [(500, OTHER), (200, b"{}")]  # type: ignore[attr-defined]
    with pytest.raises(RemoteFailed, match="SP030"):
        Http([url(server)]).send("POST", url(server), b"query=x")
    assert len(server.script) == 1  # type: ignore[attr-defined]
