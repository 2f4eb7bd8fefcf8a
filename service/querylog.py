"""The query log: one JSON line per /sparql query (time, client, the query's hash and text, status,
rows when the answer says, bytes, milliseconds), so that an operator can find what timed out."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
from pathlib import Path
from typing import Any

from flask import Response, g, request

MAX_TEXT = 4000
"""Characters of the query text kept in a line (the hash identifies the whole text)."""


class QueryLog:
    """Appends a line per query to a file (nothing when the path is empty)."""

    def __init__(self, path: str) -> None:
        self.path = Path(path) if path else None
        self._lock = threading.Lock()

    def start(self, text: str) -> None:
        """Remember the query of the current request (called before it runs)."""
        g.evkg_query = (text, time.perf_counter())

    def finish(self, response: Response) -> Response:
        """After the request: write its line, if it ran a query."""
        started = g.pop("evkg_query", None)
        if self.path is not None and started is not None:
            self.write(line(started[0], started[1], response))
        return response

    def write(self, record: dict[str, Any]) -> None:
        """Append one JSON line (the folder is made on first use)."""
        text = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            assert self.path is not None
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(text)


def line(text: str, started: float, response: Response) -> dict[str, Any]:
    """The log record of one answered query."""
    body = response.get_data() if not response.is_streamed else b""
    return {
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
        "client": request.remote_addr,
        "query_sha256": hashlib.sha256(text.encode()).hexdigest()[:16],
        "query": text[:MAX_TEXT],
        "status": response.status_code,
        "rows": rows(body, response.mimetype or ""),
        "bytes": len(body),
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }


def rows(body: bytes, mimetype: str) -> int | None:
    """Solutions in an answer, where counting is exact and cheap (CSV, TSV, a boolean); else None."""
    if mimetype in ("text/csv", "text/tab-separated-values"):
        return max(body.count(b"\n") - 1, 0) if body else 0
    if mimetype == "application/sparql-results+json" and body.startswith(b'{"head":{},"boolean"'):
        return 1
    return None
