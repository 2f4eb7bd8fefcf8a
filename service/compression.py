"""Compressed answers (gzip) for clients that ask for them with Accept-Encoding, through flask-compress.

flask-compress compresses whole answers (the SPARQL results, the JSON API, the pages) and streamed
ones chunk by chunk (the dumps keep their constant memory), adds `Vary: Accept-Encoding`, gives a
compressed answer its own strong ETag (`"…:gzip"`) and answers a conditional GET of the dumps with
304 for it too. Errors and answers under COMPRESS_MIN_SIZE bytes are sent as they are.
"""

from __future__ import annotations

from flask import Flask
from flask_compress import Compress

from service.negotiation import FORMATS

PAGE_TYPES = ("application/json", "text/html", "text/css", "text/javascript", "application/javascript")
SETTINGS = {
    "COMPRESS_MIMETYPES": sorted({f.media_type for f in FORMATS} | set(PAGE_TYPES)),
    "COMPRESS_ALGORITHM": ["gzip"],
    "COMPRESS_ALGORITHM_STREAMING": ["gzip"],
    "COMPRESS_STREAMING_ENDPOINT_CONDITIONAL": ["data.dump", "static"],
    "COMPRESS_MIN_SIZE": 1000,
}
"""flask-compress settings; a Flask config passed to create_app may override each."""


def compress(app: Flask) -> None:
    """Gzip the app's answers for clients that accept it."""
    for key, value in SETTINGS.items():
        app.config.setdefault(key, value)
    Compress(app)
