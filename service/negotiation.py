"""Content negotiation: one table of formats, and pure functions that pick one for a request."""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from kg.formats import RDF_FORMATS as STORE_RDF_FORMATS
from kg.formats import RESULT_FORMATS
from service.errors import BadRequest, NotAcceptable


@dataclass(frozen=True)
class Format:
    """A representation: short name (`format=`), media type, family, other media types, other short names."""

    name: str
    media_type: str
    family: str
    aliases: tuple[str, ...] = ()
    extension: str = ""
    names: tuple[str, ...] = ()
    """Other names a `format=` / `output=` parameter may give it: those SPARQLWrapper, Jena/Fuseki and
    rdflib clients send (see docs/service.md)."""

    @property
    def content_type(self) -> str:
        textual = self.media_type.startswith("text/") or self.media_type.endswith(("json", "xml", "triples"))
        return f"{self.media_type}; charset=utf-8" if textual else self.media_type


RESULTS, RDF, DATASET, PAGE = "results", "rdf", "dataset", "page"

FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", RESULTS, ("application/json",), "srj", ("srj",)),
    Format("xml", "application/sparql-results+xml", RESULTS, ("application/xml",), "srx", ("srx",)),
    Format("csv", "text/csv", RESULTS, (), "csv"),
    Format("tsv", "text/tab-separated-values", RESULTS, (), "tsv"),
    Format(
        "turtle",
        "text/turtle",
        RDF,
        ("application/x-turtle", "application/turtle", "text/n3", "text/rdf+n3", "application/n3"),
        "ttl",
        ("ttl", "n3", "text"),
    ),
    Format("ntriples", "application/n-triples", RDF, ("text/plain",), "nt", ("nt", "n-triples")),
    Format("rdfxml", "application/rdf+xml", RDF, (), "rdf", ("xml", "rdf", "rdf+xml", "rdf/xml")),
    Format(
        "jsonld",
        "application/ld+json",
        RDF,
        ("application/json", "application/x-json+ld"),
        "jsonld",
        ("json-ld", "json"),
    ),
    Format("trig", "application/trig", DATASET, (), "trig"),
    Format("nquads", "application/n-quads", DATASET, (), "nq", ("nq", "n-quads")),
    Format("html", "text/html", PAGE, ("application/xhtml+xml",), "html"),
)
BY_NAME = {f.name: f for f in FORMATS}

RESULTS_FORMATS = tuple(f for f in FORMATS if f.family == RESULTS)
RDF_FORMATS = tuple(f for f in FORMATS if f.family == RDF)
HTML = BY_NAME["html"]

OX_RESULTS = RESULT_FORMATS
"""Short name -> pyoxigraph results format (the table `evkg query` uses)."""
OX_RDF = STORE_RDF_FORMATS
"""Short name -> pyoxigraph RDF format (the table `evkg export` and `evkg load` use)."""
W3C_FORMAT_IRIS = {
    "json": "http://www.w3.org/ns/formats/SPARQL_Results_JSON",
    "xml": "http://www.w3.org/ns/formats/SPARQL_Results_XML",
    "csv": "http://www.w3.org/ns/formats/SPARQL_Results_CSV",
    "tsv": "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
    "turtle": "http://www.w3.org/ns/formats/Turtle",
    "ntriples": "http://www.w3.org/ns/formats/N-Triples",
    "rdfxml": "http://www.w3.org/ns/formats/RDF_XML",
    "jsonld": "http://www.w3.org/ns/formats/JSON-LD",
}


def valid_choices(offered: tuple[Format, ...]) -> str:
    """The sentence listing what a client may ask for instead."""
    media = ", ".join(f.media_type for f in offered)
    names = ", ".join(f.name for f in offered)
    return f"valid media types: {media} (or format={names})"


def by_override(override: str, offered: tuple[Format, ...]) -> Format:
    """The format named by a `format=` parameter: a short name or a media type; 400 if neither."""
    wanted = override.strip().lower()
    for fmt in offered:
        if wanted in (fmt.name, fmt.media_type, *fmt.aliases, *fmt.names):
            return fmt
    raise BadRequest(f"unknown format {override!r} for this resource; {valid_choices(offered)}")


def by_accept(accept: str | None, offered: tuple[Format, ...]) -> Format:
    """The best format for an Accept header (q-values honoured); the first offered for none or */*."""
    if not accept or not accept.strip():
        return offered[0]
    parsed = parse_accept_header(accept, MIMEAccept)
    best: tuple[float, int, Format] | None = None
    for rank, fmt in enumerate(offered):
        quality = _quality(parsed, fmt.media_type, *fmt.aliases)
        if quality > 0 and (best is None or (quality, -rank) > (best[0], best[1])):
            best = (quality, -rank, fmt)
    if best is None:
        raise NotAcceptable(f"no representation matches Accept: {accept}; {valid_choices(offered)}")
    return best[2]


def _quality(accept: MIMEAccept, *media_types: str) -> float:
    """The q-value of the most specific Accept entry matching any of the media types.

    Exact beats type/* beats */*, so `text/csv;q=0, */*` refuses CSV and
    `application/sparql-results+json;q=0, */*` refuses SPARQL JSON even under its alias.
    """
    best_specificity, best_quality = -1, 0.0
    for value, quality in accept:
        entry = value.split(";")[0].strip().lower()
        for media in media_types:
            specificity = {media: 2, media.split("/")[0] + "/*": 1, "*/*": 0}.get(entry, -1)
            if specificity >= 0 and (specificity, quality) > (best_specificity, best_quality):
                best_specificity, best_quality = specificity, float(quality)
    return best_quality


def negotiate(accept: str | None, override: str | None, offered: tuple[Format, ...]) -> Format:
    """`format=` wins over Accept; otherwise the best Accept match."""
    if override:
        return by_override(override, offered)
    return by_accept(accept, offered)


def negotiate_repeated(
    accept: str | None, overrides: list[str], offered: tuple[Format, ...], *, passed_over: tuple[Format, ...] = ()
) -> Format:
    """As `negotiate`, for `format` / `output` values that may be repeated or list media types: every value
    must name the same format (SPARQLWrapper asks for TSV as `format=tsv&format=text/tab-separated-values`).
    A value naming one of `passed_over` is left out: SPARQLWrapper sends its return format with every
    query, whatever its form (Turtle for an ASK), and then negotiates by Accept alone."""
    named = {by_override(value, offered + passed_over) for value in split_overrides(overrides)}
    chosen = [fmt for fmt in offered if fmt in named]
    if len(chosen) > 1:
        raise BadRequest(f"the `format` parameter names {len(chosen)} different formats; name one")
    return chosen[0] if chosen else by_accept(accept, offered)


def split_overrides(overrides: list[str]) -> list[str]:
    """Each value of a `format` parameter, a value listing media types (`application/ld+json,application/x-json+ld`
    from SPARQLWrapper) split, empty ones dropped."""
    return [part.strip() for value in overrides for part in value.split(",") if part.strip()]


def prefers_html(accept: str | None) -> bool:
    """True when a client (a browser) prefers HTML over JSON."""
    if not accept:
        return False
    parsed = parse_accept_header(accept, MIMEAccept)
    return _quality(parsed, "text/html") > _quality(parsed, "application/json")
