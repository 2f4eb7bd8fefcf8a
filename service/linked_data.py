"""/id/<kind>/<slug>: every IRI minted under the base dereferences, HTML for people, RDF by conneg."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request

from kg.audit import ConflictRecord
from kg.namespaces import EVKG, ONTOLOGY_IRI
from kg.sparql.queries import QueryRegistry
from kg.sparql.results import short
from kg.store.base import Store, constructed, solutions
from service.context import Services
from service.descriptions import serialize
from service.errors import NotFound
from service.highlight import anchors, segments
from service.negotiation import HTML, RDF_FORMATS, negotiate

KINDS = ("source", "claim", "term", "agent", "text", "conflict", "rule", "run", "question")
OFFERED = (HTML, *RDF_FORMATS)
LABELS = (
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://purl.org/dc/terms/title",
)
EXACT = "http://www.w3.org/ns/oa#exact"
PARAPHRASE = "https://w3id.org/evidencekg/ontology#paraphrase"
SOURCE = "https://w3id.org/evidencekg/ontology#source"
FULL_TEXT = "https://w3id.org/evidencekg/ontology#fullText"
RDF_VALUE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#value"


def linked_data_blueprint(services: Services) -> Blueprint:
    """Dereference /id/<kind>/<slug> against the store, with content negotiation."""
    blueprint = Blueprint("linked_data", __name__)
    view = ResourceView(services)
    blueprint.add_url_rule("/id/<kind>/<path:slug>", "resource", view.resource)
    return blueprint


class LocalLink:
    """Jinja filter `local`: an IRI this service dereferences (a resource or a named graph under the base,
    a term of the ontology) as a path on this service, any other IRI as is."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.prefixes = ((base + "id/", "/id/"), (base + "graph/", "/graph/"), (str(EVKG), "/ontology#"))

    def __call__(self, iri: str) -> str:
        if iri == str(ONTOLOGY_IRI):
            return "/ontology"
        for prefix, path in self.prefixes:
            if iri.startswith(prefix):
                return path + iri[len(prefix) :]
        return iri


def describe(store: Store, pages: QueryRegistry, iri: str) -> list[ox.Triple]:
    """The triples about an IRI, its hash IRIs (`#quote`, `#target`, ...) and its blank nodes."""
    query = pages.resolve("resource-triples").text
    seen: set[str] = set()
    todo = [iri]
    triples: dict[ox.Triple, None] = {}
    while todo:
        subject = todo.pop(0)
        if subject in seen:
            continue
        seen.add(subject)
        for triple in constructed(store.query(query, bindings={"resource": ox.NamedNode(subject)}, hints=True)):
            triples[triple] = None
            obj = triple.object
            if isinstance(obj, ox.NamedNode) and obj.value.startswith(iri + "#"):
                todo.append(obj.value)
    return list(triples)


@dataclass(frozen=True)
class Row:
    """One property of a resource, ready for the HTML table."""

    subject: str
    predicate: str
    predicate_href: str
    value: str
    href: str | None


class ResourceView:
    """One resource: 404 when the store has no triples about it, else HTML or RDF."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.base = services.iris.base
        self.local = LocalLink(self.base)

    def resource(self, kind: str, slug: str) -> Response:
        iri = f"{self.base}id/{kind}/{slug}"
        if kind not in KINDS:
            raise NotFound(f"no resource kind {kind!r}; kinds: {', '.join(KINDS)}")
        chosen = negotiate(request.headers.get("Accept"), request.args.get("format"), OFFERED)
        if not is_iri(iri):
            raise NotFound(f"<{iri}> is not an IRI this dataset could mint; no resource here")
        triples = describe(self.services.read(), self.services.pages, iri)
        if not triples:
            raise NotFound(f"<{iri}> has no triples in this dataset")
        body = self.page(iri, kind, triples).encode() if chosen is HTML else serialize(triples, chosen.name)
        response = Response(body, content_type=chosen.content_type)
        response.vary.add("Accept")
        response.headers["Link"] = alternates(request.path, iri)
        return response

    def page(self, iri: str, kind: str, triples: list[ox.Triple]) -> str:
        rows = [self.row(t) for t in triples]
        main = [r for r in rows if r.subject == iri]
        parts = [r for r in rows if r.subject != iri]
        return render_template(
            "resource.html",
            iri=iri,
            kind=kind,
            label=label(triples, iri),
            rows=main,
            parts=parts,
            quote=next((text(t.object) for t in triples if t.predicate.value == EXACT), None),
            paraphrase=next((text(t.object) for t in triples if t.predicate.value == PARAPHRASE), None),
            source=next((self.local(text(t.object)) for t in triples if t.predicate.value == SOURCE), None),
            conflicts=self.conflicts_of(iri) if kind == "claim" else [],
            incoming=self.incoming(iri),
            formats=RDF_FORMATS,
            sparql=next((text(t.object) for t in triples if kind == "rule" and t.predicate.value == RDF_VALUE), None),
            **self.highlighted(iri, kind, triples),
        )

    def highlighted(self, iri: str, kind: str, triples: list[ox.Triple]) -> dict[str, Any]:
        """For a source text: its pieces, each claim's quote marked, and where each quote starts."""
        full = next((text(t.object) for t in triples if t.predicate.value == FULL_TEXT), None)
        if kind != "text" or full is None:
            return {"pieces": [], "starts": {}}
        query = self.services.pages.resolve("quotes-in-text").text
        rows = solutions(self.services.read().query(query, bindings={"text": ox.NamedNode(iri)}, hints=True))
        pieces = segments(full, ((int(r["start"].value), int(r["end"].value), r["claimId"].value) for r in rows))
        return {"pieces": pieces, "starts": anchors(pieces)}

    def row(self, triple: ox.Triple) -> Row:
        obj = triple.object
        href = self.local(obj.value) if isinstance(obj, ox.NamedNode) else None
        value = short(obj) if isinstance(obj, ox.NamedNode) else text(obj)
        return Row(text(triple.subject), short(triple.predicate), self.local(triple.predicate.value), value, href)

    def conflicts_of(self, iri: str) -> list[ConflictRecord]:
        return [r for r in self.services.conflicts() if any(c.iri == iri for c in r.claims)]

    def incoming(self, iri: str) -> list[tuple[str, str, str]]:
        """Up to 200 (subject, predicate, link) that point at the IRI (service/queries/incoming-links.rq)."""
        query = self.services.pages.resolve("incoming-links").text
        rows = solutions(self.services.read().query(query, bindings={"resource": ox.NamedNode(iri)}, hints=True))
        return sorted({(short(r["subject"]), short(r["predicate"]), self.local(r["subject"].value)) for r in rows})


def is_iri(text: str) -> bool:
    """Whether the text is a valid IRI (a path may hold a space or other characters no IRI has)."""
    try:
        ox.NamedNode(text)
    except ValueError:
        return False
    return True


def text(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    """The lexical value of a term (an IRI, a literal's text, a blank node's id, a quoted triple as N-Triples)."""
    return str(term) if isinstance(term, ox.Triple) else str(term.value)


def label(triples: list[ox.Triple], iri: str) -> str:
    """The best human label of the resource: rdfs:label, skos:prefLabel, dcterms:title, else the IRI."""
    for predicate in LABELS:
        for t in triples:
            if text(t.subject) == iri and t.predicate.value == predicate:
                return text(t.object)
    return iri.rsplit("/", 1)[-1]


def alternates(path: str, iri: str) -> str:
    """The Link header: the other representations of the same resource, and its canonical IRI."""
    links = [f'<{path}?format={f.name}>; rel="alternate"; type="{f.media_type}"' for f in (HTML, *RDF_FORMATS)]
    links.append(f'<{iri}>; rel="canonical"')
    return ", ".join(links)
