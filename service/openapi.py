"""The OpenAPI 3 document of the JSON API (and the SPARQL endpoint, for discovery)."""

from __future__ import annotations

from typing import Any

FILTERS = [
    ("type", "Conflict type, e.g. first-line-conflict."),
    ("source", "Source id."),
    ("intervention", "Intervention term id; narrower terms are included."),
    ("condition", "Condition term id; narrower terms are included."),
    ("status", "Review status: candidate, confirmed, explained-by-context, dismissed."),
]
ERROR = {"$ref": "#/components/schemas/Error"}


def _parameters() -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "query",
            "description": help_,
            "schema": {"type": "array", "items": {"type": "string"}},
            "style": "form",
            "explode": True,
        }
        for name, help_ in FILTERS
    ]
    params.append(
        {
            "name": "all",
            "in": "query",
            "description": "1 to include informational findings.",
            "schema": {"type": "string"},
        }
    )
    return params


def _error_responses(*codes: int) -> dict[str, Any]:
    return {str(c): {"description": "Error", "content": {"application/json": {"schema": ERROR}}} for c in codes}


def _get(summary: str, media: str, schema: dict[str, Any], params: list[Any] | None = None) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "parameters": params or [],
            "responses": {
                "200": {"description": "OK", "content": {media: {"schema": schema}}},
                **_error_responses(400, 406, 503),
            },
        }
    }


def _components() -> dict[str, Any]:
    error = {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["status", "title", "detail"],
                "properties": {
                    "status": {"type": "integer"},
                    "title": {"type": "string"},
                    "detail": {"type": "string"},
                },
            }
        },
    }
    claim_props: dict[str, Any] = {k: {"type": "string"} for k in ("id", "iri", "source", "quote")}
    claim_props["paraphrased"] = {"type": "boolean"}
    claim = {"type": "object", "properties": claim_props}
    conflict_props: dict[str, Any] = {
        k: {"type": "string"}
        for k in ("id", "iri", "type", "category", "severity", "status", "explanation", "witness", "rule", "condition")
    }
    conflict_props.update(
        {
            "sources": {"type": "array", "items": {"type": "string"}},
            "interventions": {"type": "array", "items": {"type": "string"}},
            "conditions": {"type": "array", "items": {"type": "string"}},
            "claims": {"type": "array", "items": claim},
            "quotes": {"type": "object", "additionalProperties": {"type": "string"}},
            "paraphrased": {"type": "array", "items": {"type": "string"}},
        }
    )
    return {"schemas": {"Error": error, "Conflict": {"type": "object", "properties": conflict_props}}}


def openapi_document(site: str) -> dict[str, Any]:
    """OpenAPI 3.1 for /api/conflicts, /api/conflicts.csv, /api/queries, /health and /sparql."""
    conflicts = {"type": "array", "items": {"$ref": "#/components/schemas/Conflict"}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "EvidenceKG API", "version": "0.1.0", "description": "Conflicts between clinical sources."},
        "servers": [{"url": site.rstrip("/")}],
        "paths": {
            "/api/conflicts": _get("Conflicts, filtered", "application/json", conflicts, _parameters()),
            "/api/conflicts.csv": _get("Conflicts as CSV", "text/csv", {"type": "string"}, _parameters()),
            "/api/queries": _get("The example SPARQL queries", "application/json", {"type": "array"}),
            "/health": _get("Service health", "application/json", {"type": "object"}),
            "/sparql": _get(
                "SPARQL 1.1 Protocol query (also POST)",
                "application/sparql-results+json",
                {"type": "object"},
                [{"name": "query", "in": "query", "schema": {"type": "string"}}],
            ),
        },
        "components": _components(),
    }
