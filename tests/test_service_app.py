"""The app factory and `evkg serve` without a server: settings from the table and EVKG_* variables,
gunicorn options, a missing store, the negotiation table's pure functions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from support import ROOT

from kg.settings import SETTINGS, load_settings
from service.app import create_app
from service.errors import BadRequest, NotAcceptable
from service.negotiation import RDF_FORMATS, RESULTS_FORMATS, by_accept, negotiate, prefers_html
from service.server import gunicorn_options

SERVICE_SETTINGS = (
    "query_timeout",
    "max_result_bytes",
    "max_request_bytes",
    "cors_origins",
    "query_workers",
    "service_allowlist",
    "workers",
    "threads",
)


def test_the_service_settings_are_declared_with_environment_variables() -> None:
    declared = {s.name: s for s in SETTINGS}
    assert set(SERVICE_SETTINGS) <= set(declared)
    environ = {"EVKG_QUERY_TIMEOUT": "2.5", "EVKG_QUERY_WORKERS": "3", "EVKG_CORS_ORIGINS": "https://a.example"}
    settings = load_settings(environ=environ)
    assert settings.query_timeout == 2.5 and settings.query_workers == 3
    assert settings.cors_origins == "https://a.example"


def test_create_app_takes_settings_and_flask_config() -> None:
    app = create_app({"max_request_bytes": 1234, "queries": str(ROOT / "queries"), "TESTING": True})
    assert app.config["MAX_CONTENT_LENGTH"] == 1234 and app.testing
    assert {"sparql", "linked_data", "data", "pages"} <= set(app.blueprints)


def test_create_app_refuses_a_queries_directory_without_the_report(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="reports/conflicts"):
        create_app({"queries": str(tmp_path)})


def test_gunicorn_runs_threaded_workers_with_a_timeout_above_the_query_timeout() -> None:
    options = gunicorn_options(load_settings({"query_timeout": 10.0, "workers": 3}, environ={}), "127.0.0.1", 9)
    assert options["worker_class"] == "gthread" and options["workers"] == 3 and options["threads"] >= 2
    assert options["timeout"] > 10 and options["bind"] == "127.0.0.1:9"


def test_serve_without_a_store_exits_2(evkg: Callable[..., Result], tmp_path: Path) -> None:
    result = evkg("serve", "--store", tmp_path / "missing")
    assert result.exit_code == 2
    assert "no store at" in result.output


@pytest.mark.parametrize(
    ("accept", "offered", "expected"),
    [
        ("text/turtle;q=0.2, application/ld+json;q=0.9", RDF_FORMATS, "jsonld"),
        ("text/*", RESULTS_FORMATS, "csv"),
        ("text/*;q=0.3, */*;q=0.8", RESULTS_FORMATS, "json"),
        ("application/sparql-results+json;q=0, */*", RESULTS_FORMATS, "xml"),
        ("", RDF_FORMATS, "turtle"),
    ],
)
def test_negotiation_honours_q_values_and_specificity(accept: str, offered: tuple, expected: str) -> None:
    assert by_accept(accept, offered).name == expected


def test_negotiation_errors_and_override() -> None:
    with pytest.raises(NotAcceptable, match="application/n-triples"):
        by_accept("image/png", RDF_FORMATS)
    with pytest.raises(BadRequest, match="format="):
        negotiate(None, "yaml", RESULTS_FORMATS)
    assert negotiate("text/csv", "application/sparql-results+xml", RESULTS_FORMATS).name == "xml"
    assert prefers_html("text/html,*/*;q=0.8") and not prefers_html("application/json, text/html;q=0.5")
