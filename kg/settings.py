"""Settings: one declared table (name, default, help), each overridable by an EVKG_ variable."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    """One setting: its name, type, default and help; environment variable EVKG_<NAME>."""

    name: str
    default: Any
    help: str

    @property
    def env(self) -> str:
        return "EVKG_" + self.name.upper()

    def parse(self, raw: str) -> Any:
        """Convert an environment string to this setting's type."""
        kind = type(self.default)
        if kind is bool:
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        if kind in (int, float):
            return kind(raw)
        if kind is tuple:
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        return raw


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "store",
        "var/store",
        "Store location: a directory for the embedded Oxigraph store, or a remote SPARQL query endpoint URL.",
    ),
    Setting("store_update", "", "Remote store: SPARQL Update endpoint URL; empty: the query endpoint."),
    Setting(
        "store_graph_store",
        "",
        "Remote store: Graph Store Protocol endpoint URL; empty: whole graphs go through query and update.",
    ),
    Setting("store_user", "", "Remote store: user name for the update and Graph Store endpoints (basic or digest)."),
    Setting("store_password", "", "Remote store: password of `store_user`."),
    Setting("sources", "sources", "Directory of source YAML files."),
    Setting("vocabulary", "ontology/vocabulary.yaml", "The shared vocabulary of terms."),
    Setting("ontology", "ontology/evkg.ttl", "The OWL ontology (TBox), Turtle."),
    Setting("shapes", "ontology/shapes.ttl", "SHACL shapes every built graph must conform to."),
    Setting("queries", "queries", "Directory of named SPARQL queries."),
    Setting("base", "https://w3id.org/evidencekg/", "Base IRI under which data IRIs are minted."),
    Setting("reviews", "sources/reviews/conflicts.yaml", "Review decisions on conflicts (kept in git)."),
    Setting("reasoner", "hermit", "OWL reasoner for `evkg reason`: hermit or pellet."),
    Setting(
        "writer_timeout",
        30.0,
        "Seconds a writer (build, reason, load, review, /update) waits for another to release the store.",
    ),
    Setting("query_timeout", 10.0, "Seconds a SPARQL query may run in the service before its worker is killed (503)."),
    Setting("max_result_bytes", 50_000_000, "Largest query result in bytes; a larger one is refused (507), not cut."),
    Setting("max_request_bytes", 1_000_000, "Largest request (URL query string or body) the service accepts (413)."),
    Setting("cors_origins", "*", "Origins allowed to read the service cross-site: `*` or a comma-separated list."),
    Setting("query_workers", 2, "Query worker processes per web worker; a timed-out query's worker is replaced."),
    Setting("service_allowlist", "", "Comma-separated endpoint IRIs that SERVICE, FROM and FROM NAMED may name."),
    Setting(
        "union_default_graph",
        True,
        "SPARQL's default graph is the union of all graphs; false: only the store's default graph (standard).",
    ),
    Setting(
        "sparql_lateral_optionals",
        True,
        "Embedded store: /sparql runs each OPTIONAL of one triple pattern or path as a lookup per row "
        "(LATERAL); same results; false: queries run exactly as sent.",
    ),
    Setting(
        "update_token",
        "",
        "Bearer token that turns on POST /update (SPARQL Update into a new store generation); empty: no updates.",
    ),
    Setting("workers", 2, "Web worker processes for `evkg serve` (gunicorn, threaded)."),
    Setting("threads", 4, "Threads per web worker process for `evkg serve`."),
)
_BY_NAME = {s.name: s for s in SETTINGS}


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Defaults, then EVKG_* environment variables, then explicit overrides (None is ignored)."""
    env = os.environ if environ is None else environ
    values = {s.name: s.default for s in SETTINGS}
    for setting in SETTINGS:
        if setting.env in env:
            values[setting.name] = setting.parse(env[setting.env])
    for name, value in (overrides or {}).items():
        if name not in _BY_NAME:
            raise KeyError(f"unknown setting {name!r}; known: {', '.join(_BY_NAME)}")
        if value is not None:
            values[name] = value
    return values
