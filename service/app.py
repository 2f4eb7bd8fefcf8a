"""The Flask application factory: settings -> services -> blueprints, one error handler, limits, CORS."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, render_template, request

from kg.settings import load_settings
from service.compression import compress
from service.context import Services, build_services
from service.data import data_blueprint
from service.editor import editor_blueprint
from service.errors import PayloadTooLarge, error_body
from service.graphs import graphs_blueprint
from service.linked_data import LocalLink, linked_data_blueprint
from service.negotiation import prefers_html
from service.pages import pages_blueprint
from service.reviews import reviews_blueprint
from service.sparql import sparql_blueprint
from service.update import update_blueprint

log = logging.getLogger(__name__)


def create_app(config: Mapping[str, Any] | None = None, *, store: Any = None, **given: Any) -> Flask:
    """Build the app: `config` overrides settings (store, base, query_timeout, ...); see kg.settings."""
    settings = load_settings({k: v for k, v in (config or {}).items() if not k.isupper()})
    services = build_services(settings, store=store, **given)
    app = Flask(__name__)
    app.config.update({k: v for k, v in (config or {}).items() if k.isupper()})
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["evkg"] = services
    register_blueprints(app, services)
    limits = Limits(services)
    app.before_request(limits.check_request)
    app.after_request(limits.add_headers)
    app.after_request(security_headers)
    app.register_error_handler(Exception, handle_error)
    compress(app)
    app.jinja_env.filters["local"] = LocalLink(services.iris.base)
    return app


def register_blueprints(app: Flask, services: Services) -> None:
    """Every blueprint, each built over the same services."""
    app.register_blueprint(sparql_blueprint(services))
    app.register_blueprint(linked_data_blueprint(services))
    app.register_blueprint(graphs_blueprint(services))
    app.register_blueprint(data_blueprint(services))
    app.register_blueprint(pages_blueprint(services))
    if services.settings.update_token:
        app.register_blueprint(update_blueprint(services))
    app.register_blueprint(reviews_blueprint(services))
    app.register_blueprint(editor_blueprint(services, app.config.get("YASGUI_BUILD")))


PAGE_POLICY = "; ".join(
    (
        "default-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    )
)
"""The pages' content security policy: everything from this service, inline styles allowed (the
pages' stylesheet and the query editor's), no inline or foreign script."""


def security_headers(response: Response) -> Response:
    """No content sniffing on any answer; the content security policy on every HTML page."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
    return response


class Limits:
    """Request size (413 before any work) and CORS headers, from the settings."""

    def __init__(self, services: Services) -> None:
        self.max_bytes = services.settings.max_request_bytes
        self.origins = services.cors_origins

    def check_request(self) -> None:
        if len(request.query_string) > self.max_bytes:
            raise PayloadTooLarge(f"the URL's query string is over {self.max_bytes} bytes (EVKG_MAX_REQUEST_BYTES)")
        if (request.content_length or 0) > self.max_bytes:
            raise PayloadTooLarge(f"the request body is over {self.max_bytes} bytes (EVKG_MAX_REQUEST_BYTES)")

    def add_headers(self, response: Response) -> Response:
        origin = request.headers.get("Origin")
        if "*" in self.origins:
            response.headers["Access-Control-Allow-Origin"] = "*"
        elif origin and origin in self.origins:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.vary.add("Origin")
        if request.method == "OPTIONS" and "Access-Control-Allow-Origin" in response.headers:
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type"
            response.headers["Access-Control-Max-Age"] = "86400"
        return response


def handle_error(exc: Exception) -> Response:
    """The one error handler: the JSON error shape, or an HTML page for a browser."""
    body = error_body(exc)
    if body.status in (500, 502):  # our fault, or a remote store's: worth a traceback
        log.exception("error answering %s %s", request.method, request.path, exc_info=exc)
    if prefers_html(request.headers.get("Accept")):
        html = render_template("error.html", error=body)
        response = Response(html, status=body.status, content_type="text/html; charset=utf-8")
    else:
        text = json.dumps(body.as_json(), ensure_ascii=False)
        response = Response(text + "\n", status=body.status, content_type="application/json")
    response.headers.extend(body.headers)
    response.vary.add("Accept")
    return response
