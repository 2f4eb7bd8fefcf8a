"""Machine-readable descriptions and downloads: VoID, SPARQL examples, dumps, OpenAPI, /health."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Blueprint, Response, render_template, request, stream_with_context

from kg.namespaces import PREFIXES
from kg.store.oxigraph import OxigraphStore
from service.context import Services
from service.descriptions import DUMPS, serialize, sparql_examples, void_description
from service.errors import NotFound
from service.negotiation import BY_NAME, HTML, RDF_FORMATS, negotiate
from service.openapi import openapi_document

DUMP_FILES = {filename: fmt for fmt, filename in DUMPS.items()}
VOID_OFFERED = (*RDF_FORMATS, HTML)
"""VoID: Turtle unless the client prefers HTML (a browser)."""
VOCABULARIES = sorted(set(PREFIXES.values()))


def data_blueprint(services: Services) -> Blueprint:
    """VoID, examples, dumps, OpenAPI and health, over the given services."""
    blueprint = Blueprint("data", __name__)
    view = DataView(services)
    blueprint.add_url_rule("/void", "void", view.void)
    blueprint.add_url_rule("/.well-known/void", "well_known_void", view.void)
    blueprint.add_url_rule("/.well-known/sparql-examples", "examples", view.examples)
    blueprint.add_url_rule("/api/queries", "queries", view.queries)
    blueprint.add_url_rule("/dumps/<name>", "dump", view.dump)
    blueprint.add_url_rule("/openapi.json", "openapi", view.openapi)
    blueprint.add_url_rule("/health", "health", view.health)
    return blueprint


def json_response(data: Any, status: int = 200) -> Response:
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return Response(text, status=status, content_type="application/json")


def opaque(generation: str) -> str:
    """A stable short id of a store generation that names no path or process."""
    return hashlib.sha256(generation.encode()).hexdigest()[:12]


class DataView:
    """Handlers that describe the dataset and the service."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def rdf(self, triples: list[Any]) -> Response:
        chosen = negotiate(request.headers.get("Accept"), request.args.get("format"), RDF_FORMATS)
        response = Response(serialize(triples, chosen.name), content_type=chosen.content_type)
        response.vary.add("Accept")
        return response

    def void(self) -> Response:
        """VoID in any RDF format (Turtle by default), or a page for a browser."""
        counts = self.services.graph_counts()
        chosen = negotiate(request.headers.get("Accept"), request.args.get("format"), VOID_OFFERED)
        if chosen is not HTML:
            return self.rdf(void_description(self.services.iris.base, request.host_url, counts))
        base = self.services.iris.base
        page = render_template("void.html", base=base, counts=counts, dumps=DUMPS.values(), vocabularies=VOCABULARIES)
        response = Response(page, content_type=HTML.content_type)
        response.vary.add("Accept")
        return response

    def examples(self) -> Response:
        site = request.host_url
        return self.rdf(sparql_examples(self.services.registry.examples(), site, f"{site}sparql"))

    def queries(self) -> Response:
        return json_response(
            [
                {
                    "name": q.name,
                    "title": q.title,
                    "description": q.description,
                    "parameters": [
                        {"name": p.name, "type": p.type, "optional": p.optional, "help": p.help} for p in q.parameters
                    ],
                    "query": q.text,
                }
                for q in self.services.registry.examples()
            ]
        )

    def dump(self, name: str) -> Response:
        fmt = DUMP_FILES.get(name)
        if fmt is None:
            raise NotFound(f"no dump {name!r}; dumps: {', '.join(DUMP_FILES)}")
        store = self.services.read()
        response = Response(stream_with_context(store.dump_stream(fmt)), content_type=BY_NAME[fmt].content_type)
        response.implicit_sequence_conversion = False  # else make_conditional reads it all to count its length
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        if isinstance(store, OxigraphStore):  # a generation never changes: its name validates the dump
            generation = self.services.generation().rsplit("/", 1)[-1]
            response.set_etag(f"{generation}-{name}")
            response.make_conditional(request)  # 304 without a body when the client has this one
        return response

    def openapi(self) -> Response:
        return json_response(openapi_document(request.host_url, update=bool(self.services.settings.update_token)))

    def health(self) -> Response:
        counts = self.services.graph_counts()
        return json_response(
            {
                "status": "ok",
                "generation": opaque(self.services.generation()),
                "graphs": len(counts),
                "triples": sum(counts.values()),
                "query_workers": self.services.pool.health(),
            }
        )
