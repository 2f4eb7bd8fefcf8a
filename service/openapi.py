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
    claim = {"type": "object", "properties": {k: {"type": "string"} for k in ("id", "iri", "source", "quote")}}
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
        }
    )
    return {"schemas": {"Error": error, "Conflict": {"type": "object", "properties": conflict_props}}}


RDF_MEDIA = ("text/html", "text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml")
FORMAT = {
    "name": "format",
    "in": "query",
    "description": "Overrides Accept: html, turtle, jsonld, ntriples, rdfxml.",
    "schema": {"type": "string"},
}


def _rdf_get(summary: str, *params: dict[str, Any]) -> dict[str, Any]:
    """A linked-data GET: HTML or RDF by content negotiation (or `format=`); 404 and 406 in the error shape."""
    content = {media: {"schema": {"type": "string"}} for media in RDF_MEDIA}
    return {
        "get": {
            "summary": summary,
            "parameters": [*params, FORMAT],
            "responses": {"200": {"description": "OK", "content": content}, **_error_responses(400, 404, 406)},
        }
    }


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": {"type": "string"}}


def _linked_data_paths() -> dict[str, Any]:
    """The dereferenceable IRIs: resources, the root resource, named graphs, the ontology, VoID."""
    return {
        "/id/{kind}/{slug}": _rdf_get(
            "A resource minted under the base (source, claim, term, agent, text, conflict, rule, run, question)",
            _path_param("kind", "The resource kind."),
            _path_param("slug", "The resource's slug."),
        ),
        "/id/": _rdf_get("The root resource (void:rootResource): the sources"),
        "/graph/{name}": _rdf_get(
            "A named graph: its size, provenance, a query for its content and the dumps",
            _path_param("name", "The graph's name under <base>graph/, e.g. inferred or source/<id>."),
        ),
        "/ontology": _rdf_get("The ontology: documentation of every class and property, or the ontology graph"),
        "/void": _rdf_get("The VoID description of the dataset (Turtle by default, HTML for a browser)"),
    }


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
            **_linked_data_paths(),
            "/sparql": _get(
                "SPARQL 1.1 Protocol query (also POST)",
                "application/sparql-results+json",
                {"type": "object"},
                [{"name": "query", "in": "query", "schema": {"type": "string"}}],
            ),
        },
        "components": _components(),
    }
