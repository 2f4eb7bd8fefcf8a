"""The OpenAPI 3.1 document of every route and method: the JSON API, /sparql (GET and POST), the linked
data, the descriptions and dumps, and the pages for people (a test checks it against the app's routes)."""

from __future__ import annotations

from typing import Any

from service.linked_data import KINDS
from service.negotiation import FORMATS, HTML, RDF_FORMATS, RESULTS_FORMATS, Format

FILTERS = [
    ("type", "Conflict type, e.g. first-line-conflict."),
    ("source", "Source id."),
    ("intervention", "Intervention term id; narrower terms are included."),
    ("condition", "Condition term id; narrower terms are included."),
    ("status", "Review status: candidate, confirmed, explained-by-context, dismissed."),
]
ERROR = {"$ref": "#/components/schemas/Error"}
CONFLICTS = {"type": "array", "items": {"$ref": "#/components/schemas/Conflict"}}
TEXT: dict[str, Any] = {"type": "string"}
IRIS: dict[str, Any] = {"type": "array", "items": TEXT}
NAMES = sorted({name for f in FORMATS for name in (f.name, *f.names)})
PROTOCOL: list[tuple[str, dict[str, Any], str]] = [
    ("query", TEXT, "The SPARQL query; none on GET: the service description."),
    ("default-graph-uri", IRIS, "Graphs whose merge is the default graph (replaces the query's FROM)."),
    ("named-graph-uri", IRIS, "The named graphs (replace the query's FROM NAMED)."),
    ("format", TEXT, f"A format's name or media type, over Accept; names: {', '.join(NAMES)}."),
    ("output", TEXT, "As `format` (the name Jena/Fuseki clients use)."),
]


def _protocol_url() -> list[dict[str, Any]]:
    """A direct POST's dataset and format parameters, in the URL."""
    return [_query(n, s, d) for n, s, d in PROTOCOL[1:]]


def _query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    """A query parameter; an array is repeated (`?a=1&a=2`)."""
    param = {"name": name, "in": "query", "description": description, "schema": schema}
    return param | ({"style": "form", "explode": True} if schema.get("type") == "array" else {})


def _path(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema or TEXT}


def _filters() -> list[dict[str, Any]]:
    params = [_query(name, IRIS, help_) for name, help_ in FILTERS]
    return [*params, _query("all", TEXT, "1 to include informational findings.")]


def _format() -> list[dict[str, Any]]:
    return [_query("format", TEXT, "A format's name or media type, over Accept.")]


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): {"description": "Error", "content": {"application/json": {"schema": ERROR}}} for c in codes}


def _content(formats: tuple[Format, ...] | tuple[str, ...], schema: dict[str, Any]) -> dict[str, Any]:
    media = [f if isinstance(f, str) else f.media_type for f in formats]
    return {m: {"schema": schema} for m in media}


def _get(
    summary: str,
    media: tuple[Format, ...] | tuple[str, ...],
    params: list[Any] | None = None,
    *errors: int,
    schema: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One GET operation: its parameters, its 200 in the given media types, the errors it may answer."""
    schema = schema or ({"type": "object"} if media == ("application/json",) else TEXT)
    return {
        "summary": summary,
        "parameters": params or [],
        "responses": {"200": {"description": "OK", "content": _content(media, schema)}, **_errors(*errors)},
    }


def _sparql() -> dict[str, Any]:
    """GET and POST /sparql, as the SPARQL 1.1 Protocol has them."""
    answers = (*RESULTS_FORMATS, *RDF_FORMATS)
    get = _get("SPARQL 1.1 Protocol query", answers, [_query(n, s, d) for n, s, d in PROTOCOL], 400, 403, 406, 503)
    form = {"type": "object", "properties": {n: s for n, s, _ in PROTOCOL}, "required": ["query"]}
    post = _get("SPARQL 1.1 Protocol query, form-encoded or direct", answers, _protocol_url(), 400, 403, 406, 415, 503)
    post["requestBody"] = {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {"schema": form},
            "application/sparql-query": {"schema": TEXT},
        },
    }
    return {"get": get, "post": post}


def _update() -> dict[str, Any]:
    """POST /update (only when EVKG_UPDATE_TOKEN is set)."""
    body = {"type": "object", "properties": {"update": TEXT}, "required": ["update"]}
    return {
        "post": {
            "summary": "SPARQL 1.1 Update, with Authorization: Bearer <token>",
            "requestBody": {
                "required": True,
                "content": {"application/x-www-form-urlencoded": {"schema": body}, "application/sparql-update": {}},
            },
            "responses": {"204": {"description": "Updated"}, **_errors(400, 401, 403, 415)},
        }
    }


def _paths() -> dict[str, Any]:
    """Every route but /update: what each GET answers."""
    html, rdf = ("text/html",), RDF_FORMATS
    dumps = tuple(f for f in FORMATS if f.name in ("trig", "nquads", "jsonld"))
    kind = _path("kind", "The kind of resource.", {"type": "string", "enum": list(KINDS)})
    return {
        "/": {"get": _get("The landing page", html)},
        "/sparql": _sparql(),
        "/editor": {"get": _get("The SPARQL query editor (YASGUI)", html)},
        "/assets/yasgui/{filename}": {"get": _get("YASGUI's files", ("*/*",), [_path("filename", "A file.")], 404)},
        "/static/{filename}": {"get": _get("The pages' style sheet", ("*/*",), [_path("filename", "A file.")], 404)},
        "/id/{kind}/{slug}": {
            "get": _get("A resource of the dataset", (HTML, *rdf), [kind, _path("slug", "Its name.")], 400, 404, 406)
        },
        "/conflicts": {"get": _get("The conflict audit", html, _filters(), 400)},
        "/conflicts/matrix": {"get": _get("Sources × interventions stance matrix", html)},
        "/api/conflicts": {
            "get": _get("Conflicts, filtered", ("application/json",), _filters(), 400, schema=CONFLICTS)
        },
        "/api/conflicts.csv": {"get": _get("Conflicts as CSV", ("text/csv",), _filters(), 400)},
        "/api/queries": {"get": _get("The example SPARQL queries", ("application/json",), schema={"type": "array"})},
        "/void": {"get": _get("VoID description", rdf, _format(), 400, 406)},
        "/.well-known/void": {"get": _get("VoID description", rdf, _format(), 400, 406)},
        "/.well-known/sparql-examples": {"get": _get("The example queries as SHACL", rdf, _format(), 400, 406)},
        "/dumps/{name}": {
            "get": _get("The whole dataset", dumps, [_path("name", "evidencekg.trig, .nq or .jsonld")], 404)
        },
        "/openapi.json": {"get": _get("This document", ("application/json",))},
        "/health": {"get": _get("Service health", ("application/json",), None, 503)},
    }


def _components() -> dict[str, Any]:
    error = {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["status", "title", "detail"],
                "properties": {"status": {"type": "integer"}, "title": TEXT, "detail": TEXT},
            }
        },
    }
    claim_props: dict[str, Any] = {k: TEXT for k in ("id", "iri", "source", "quote")}
    claim_props["paraphrased"] = {"type": "boolean"}
    claim = {"type": "object", "properties": claim_props}
    conflict_props: dict[str, Any] = {
        k: TEXT
        for k in ("id", "iri", "type", "category", "severity", "status", "explanation", "witness", "rule", "condition")
    }
    conflict_props.update(
        {
            "sources": IRIS,
            "interventions": IRIS,
            "conditions": IRIS,
            "claims": {"type": "array", "items": claim},
            "quotes": {"type": "object", "additionalProperties": TEXT},
            "paraphrased": {"type": "array", "items": TEXT},
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
            "responses": {"200": {"description": "OK", "content": content}, **_errors(400, 404, 406)},
        }
    }


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": {"type": "string"}}


def _linked_data_paths() -> dict[str, Any]:
    """The dereferenceable IRIs beyond /id/<kind>/<slug>: the root resource, named graphs, the ontology."""
    return {
        "/id/": _rdf_get("The root resource (void:rootResource): the sources"),
        "/graph/{name}": _rdf_get(
            "A named graph: its size, provenance, a query for its content and the dumps",
            _path_param("name", "The graph's name under <base>graph/, e.g. inferred or source/<id>."),
        ),
        "/ontology": _rdf_get("The ontology: documentation of every class and property, or the ontology graph"),
    }


def _review_paths() -> dict[str, Any]:
    """Review decisions from the browser, and their history."""
    target = _path("conflict", "A disagreement's or a pair's id.")
    decision = {
        "type": "object",
        "required": ["status", "reviewer", "rationale"],
        "properties": {
            "status": {"type": "string", "enum": ["confirmed", "dismissed", "explained-by-context", "candidate"]},
            "reviewer": {"type": "string"},
            "rationale": {"type": "string"},
        },
    }
    post = {
        "summary": "Record a review decision (Authorization: Bearer <EVKG_REVIEW_TOKEN>)",
        "parameters": [target],
        "requestBody": {"required": True, "content": {"application/json": {"schema": decision}}},
        "responses": {"200": {"description": "Recorded"}, **_errors(400, 401, 403, 404, 501, 503)},
    }
    return {
        "/api/conflicts/{conflict}/review": {"post": post},
        "/api/conflicts/{conflict}/reviews": {
            "get": _get("The decisions recorded on a disagreement or pair", ("application/json",), [target], 404)
        },
        "/conflicts/matrix.csv": {"get": _get("The stance matrix as CSV", ("text/csv",), _filters(), 400)},
    }


def openapi_document(site: str, *, update: bool = False) -> dict[str, Any]:
    """OpenAPI 3.1 for every route (with /update when the update endpoint is on)."""
    paths = _paths() | _linked_data_paths() | _review_paths() | ({"/update": _update()} if update else {})
    return {
        "openapi": "3.1.0",
        "info": {"title": "EvidenceKG API", "version": "0.1.0", "description": "Conflicts between clinical sources."},
        "servers": [{"url": site.rstrip("/")}],
        "paths": paths,
        "components": _components(),
    }
