"""Linked data beyond /id/<kind>/<slug>: each named graph's IRI (`…/graph/inferred`) dereferences to a
description (size, provenance, a query for its content, the dumps), the root resource (`…/id/`,
VoID's void:rootResource) lists the sources, and /ontology documents the ontology's terms."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request

from kg.store.base import constructed, solutions
from service.context import Services
from service.descriptions import content_query, graph_description, root_description, serialize
from service.errors import NotFound
from service.linked_data import LocalLink, Row, alternates, text
from service.negotiation import HTML, RDF_FORMATS, negotiate
from service.ontology import OntologyView

OFFERED = (HTML, *RDF_FORMATS)


def graphs_blueprint(services: Services) -> Blueprint:
    """/graph/<name>, /id/ and /ontology over the given services."""
    blueprint = Blueprint("graphs", __name__)
    view = GraphView(services)
    blueprint.add_url_rule("/graph/<path:name>", "graph", view.graph)
    blueprint.add_url_rule("/id/", "root", view.root)
    blueprint.add_url_rule("/ontology", "ontology", OntologyView(services).ontology)
    return blueprint


def negotiated(iri: str, triples: list[ox.Triple], page: Any) -> Response:
    """HTML from `page()` or the triples in the negotiated RDF format, with Vary and Link headers."""
    chosen = negotiate(request.headers.get("Accept"), request.args.get("format"), OFFERED)
    body = page().encode() if chosen is HTML else serialize(triples, chosen.name)
    response = Response(body, content_type=chosen.content_type)
    response.vary.add("Accept")
    response.headers["Link"] = alternates(request.path, iri)
    return response


class GraphView:
    """A named graph's description, and the root resource."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.base = services.iris.base
        self.local = LocalLink(self.base)

    def graph(self, name: str) -> Response:
        iri = f"{self.base}graph/{name}"
        counts = self.services.graph_counts()
        if iri not in counts:
            raise NotFound(f"no named graph <{iri}>; graphs: {', '.join(sorted(counts))}")
        triples = graph_description(self.base, request.host_url, iri, counts[iri]) + self.provenance(iri)
        return negotiated(iri, triples, lambda: self.graph_page(iri, counts[iri], triples))

    def provenance(self, iri: str) -> list[ox.Triple]:
        """What the store says about where the graph came from (service/queries/graph-provenance.rq)."""
        query = self.services.pages.resolve("graph-provenance").text
        bindings = {"graph": ox.NamedNode(iri)}
        return list(constructed(self.services.read().query(query, bindings=bindings, hints=True)))

    def graph_page(self, iri: str, count: int, triples: list[ox.Triple]) -> str:
        rows = [self.row(t) for t in triples if text(t.subject) == iri]
        query = content_query(iri)
        return render_template("graph.html", iri=iri, count=count, rows=rows, query=query, formats=RDF_FORMATS)

    def row(self, triple: ox.Triple) -> Row:
        obj = triple.object
        href = self.local(obj.value) if isinstance(obj, ox.NamedNode) else None
        shown = obj.value if isinstance(obj, ox.NamedNode) else text(obj)
        return Row(text(triple.subject), triple.predicate.value, self.local(triple.predicate.value), shown, href)

    def root(self) -> Response:
        query = self.services.pages.resolve("root-sources").text
        rows = solutions(self.services.read().query(query, hints=True))
        sources = [(row["source"].value, row["title"].value) for row in rows]
        triples = root_description(self.base, request.host_url, sources)
        return negotiated(f"{self.base}id/", triples, lambda: self.root_page(sources))

    def root_page(self, sources: list[tuple[str, str]]) -> str:
        graphs = self.services.graph_counts()
        return render_template("root.html", iri=f"{self.base}id/", sources=sources, graphs=graphs, formats=RDF_FORMATS)
