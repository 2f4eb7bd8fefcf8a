"""Settings: one declared table (the fields of `Settings`: name, type, default, help), each
overridable by an EVKG_<NAME> environment variable."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any


def setting(default: Any, help_: str, *, secret: bool = False) -> Any:
    """A field of Settings: its default and its help (the docs' settings table); a secret stays out of repr."""
    return field(default=default, metadata={"help": help_}, repr=not secret)


@dataclass(frozen=True)
class Settings:
    """Every setting, typed; the one place a setting is declared (SETTINGS is read from it)."""

    store: str = setting(
        "var/store",
        "Store location: a directory for the embedded Oxigraph store, or a remote SPARQL query endpoint URL.",
    )
    store_update: str = setting("", "Remote store: SPARQL Update endpoint URL; empty: the query endpoint.")
    store_graph_store: str = setting(
        "", "Remote store: Graph Store Protocol endpoint URL; empty: whole graphs go through query and update."
    )
    store_user: str = setting("", "Remote store: user name for the update and Graph Store endpoints (basic or digest).")
    store_password: str = setting("", "Remote store: password of `store_user`.", secret=True)
    sources: str = setting("sources", "Directory of source YAML files.")
    vocabulary: str = setting("ontology/vocabulary.yaml", "The shared vocabulary of terms.")
    ontology: str = setting("ontology/evkg.ttl", "The OWL ontology (TBox), Turtle.")
    shapes: str = setting("ontology/shapes.ttl", "SHACL shapes every built graph must conform to.")
    queries: str = setting("queries", "Directory of named SPARQL queries.")
    base: str = setting("https://w3id.org/evidencekg/", "Base IRI under which data IRIs are minted.")
    reviews: str = setting("sources/reviews/conflicts.yaml", "Review decisions on conflicts (kept in git).")
    reasoner: str = setting("hermit", "OWL reasoner for `evkg reason`: hermit or pellet.")
    writer_timeout: float = setting(
        30.0, "Seconds a writer (build, reason, load, review, /update) waits for another to release the store."
    )
    query_timeout: float = setting(
        10.0, "Seconds a SPARQL query may run in the service before its worker is killed (503)."
    )
    max_result_bytes: int = setting(
        50_000_000, "Largest query result in bytes; a larger one is refused (507), not cut."
    )
    max_request_bytes: int = setting(1_000_000, "Largest request (URL query string or body) the service accepts (413).")
    cors_origins: str = setting("*", "Origins allowed to read the service cross-site: `*` or a comma-separated list.")
    query_workers: int = setting(2, "Query worker processes per web worker; a timed-out query's worker is replaced.")
    query_workers_max: int = setting(
        6, "Most query workers per web worker: while long queries run, the pool grows to keep one idle for the next."
    )
    service_allowlist: str = setting("", "Comma-separated endpoint IRIs that SERVICE, FROM and FROM NAMED may name.")
    union_default_graph: bool = setting(
        True,
        "SPARQL's default graph is the union of all graphs; false: only the store's default graph (standard).",
    )
    sparql_lateral_optionals: bool = setting(
        True,
        "Embedded store: /sparql runs each OPTIONAL of one triple pattern or path as a lookup per row "
        "(LATERAL); same results; false: queries run exactly as sent.",
    )
    update_token: str = setting(
        "",
        "Bearer token that turns on POST /update (SPARQL Update into a new store generation); empty: no updates.",
        secret=True,
    )
    query_log: str = setting(
        "var/query-log.jsonl",
        "File the service appends a JSON line to for each /sparql query (time, client, query, status, ms); "
        "empty: no log.",
    )
    review_token: str = setting(
        "",
        "Bearer token that turns on review decisions from the browser (POST /api/conflicts/<id>/review); "
        "empty: no reviews over HTTP.",
        secret=True,
    )
    workers: int = setting(2, "Web worker processes for `evkg serve` (gunicorn, threaded).")
    threads: int = setting(16, "Threads per web worker process for `evkg serve` (a thread waits out each query).")


@dataclass(frozen=True)
class Setting:
    """One setting: its name, default and help; its type is its default's; environment variable EVKG_<NAME>."""

    name: str
    default: Any
    help: str

    @property
    def env(self) -> str:
        """The environment variable that overrides the default."""
        return "EVKG_" + self.name.upper()

    def parse(self, raw: str) -> Any:
        """Convert an environment string to this setting's type."""
        kind = type(self.default)
        if kind is bool:
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        if kind in (int, float):
            return kind(raw)
        return raw

    def coerce(self, value: Any) -> Any:
        """An explicit override in this setting's type (a path as its string; a string as from the environment)."""
        if isinstance(value, str):
            return self.parse(value)
        return type(self.default)(value)


SETTINGS: tuple[Setting, ...] = tuple(Setting(f.name, f.default, f.metadata["help"]) for f in fields(Settings))
"""The table, in declaration order (the docs' settings table lists the same rows)."""
_BY_NAME = {s.name: s for s in SETTINGS}


def load_settings(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults, then EVKG_* environment variables, then explicit overrides (None is ignored)."""
    env = os.environ if environ is None else environ
    values = {s.name: s.parse(env[s.env]) for s in SETTINGS if s.env in env}
    values.update(_checked(overrides or {}))
    return Settings(**values)


def _checked(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Overrides by name, each in its setting's type; an unknown name raises KeyError."""
    for name in overrides:
        if name not in _BY_NAME:
            raise KeyError(f"unknown setting {name!r}; known: {', '.join(_BY_NAME)}")
    return {name: _BY_NAME[name].coerce(value) for name, value in overrides.items() if value is not None}
