"""RDF about the service itself: SPARQL Service Description, VoID, and the SPARQL examples."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlencode

import pyoxigraph as ox

from kg.namespaces import PREFIXES, SD, VOID
from kg.sparql.queries import NamedQuery
from service.guard import scan
from service.negotiation import OX_RDF, W3C_FORMAT_IRIS

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
RDFS_SEE_ALSO = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#seeAlso")
DCT = "http://purl.org/dc/terms/"
SH = "http://www.w3.org/ns/shacl#"
SCHEMA = "https://schema.org/"
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
DESCRIPTION_PREFIXES = {**PREFIXES, "sd": str(SD), "sh": SH, "schema_org": SCHEMA}
DUMPS = {"trig": "evidencekg.trig", "nquads": "evidencekg.nq", "jsonld": "evidencekg.jsonld"}


def n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def integer(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=XSD_INTEGER)


def serialize(triples: Iterable[ox.Triple], fmt: str) -> bytes:
    """Triples in an RDF format from the negotiation table (prefixes for Turtle)."""
    rdf_format = OX_RDF[fmt]
    prefixes = DESCRIPTION_PREFIXES if rdf_format == ox.RdfFormat.TURTLE else None
    return ox.serialize(list(triples), format=rdf_format, prefixes=prefixes) or b""


def service_description(
    endpoint: str, counts: Mapping[str, int], *, union_default_graph: bool = True, federated: bool = False
) -> list[ox.Triple]:
    """sd:Service for the endpoint: language, result formats, default graph, named graphs; federated
    query only when SERVICE may name some endpoint (the allowlist is not empty)."""
    service, dataset, default = n(endpoint), ox.BlankNode(), ox.BlankNode()
    comment = "the default graph is the union of the named graphs" if union_default_graph else "standard default graph"
    triples = [
        ox.Triple(service, RDF_TYPE, n(f"{SD}Service")),
        ox.Triple(service, n(f"{SD}endpoint"), service),
        ox.Triple(service, n(f"{SD}supportedLanguage"), n(f"{SD}SPARQL11Query")),
        *([ox.Triple(service, n(f"{SD}feature"), n(f"{SD}BasicFederatedQuery"))] if federated else []),
        ox.Triple(service, n(f"{SD}defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, n(f"{SD}Dataset")),
        ox.Triple(dataset, n(f"{SD}defaultGraph"), default),
        ox.Triple(default, RDF_TYPE, n(f"{SD}Graph")),
        ox.Triple(default, n(f"{VOID}triples"), integer(sum(counts.values()))),
        ox.Triple(service, RDFS_COMMENT, ox.Literal(f"Read-only; {comment}.")),
    ]
    if union_default_graph:
        triples.append(ox.Triple(service, n(f"{SD}feature"), n(f"{SD}UnionDefaultGraph")))
    triples += [ox.Triple(service, n(f"{SD}resultFormat"), n(iri)) for iri in W3C_FORMAT_IRIS.values()]
    for graph, count in counts.items():
        named, description = ox.BlankNode(), ox.BlankNode()
        triples += [
            ox.Triple(dataset, n(f"{SD}namedGraph"), named),
            ox.Triple(named, n(f"{SD}name"), n(graph)),
            ox.Triple(named, n(f"{SD}graph"), description),
            ox.Triple(description, RDF_TYPE, n(f"{SD}Graph")),
            ox.Triple(description, n(f"{VOID}triples"), integer(count)),
        ]
    return triples


def void_description(base: str, site: str, counts: Mapping[str, int]) -> list[ox.Triple]:
    """A void:Dataset: triples, named graphs as subsets, vocabularies, endpoint, dumps, URI space."""
    dataset = n(f"{base}void#EvidenceKG")
    triples = [
        ox.Triple(dataset, RDF_TYPE, n(f"{VOID}Dataset")),
        ox.Triple(dataset, n(f"{DCT}title"), ox.Literal("EvidenceKG", language="en")),
        ox.Triple(dataset, n(f"{DCT}description"), ox.Literal(ABOUT, language="en")),
        ox.Triple(dataset, n(f"{VOID}triples"), integer(sum(counts.values()))),
        ox.Triple(dataset, n(f"{VOID}sparqlEndpoint"), n(f"{site}sparql")),
        ox.Triple(dataset, n(f"{VOID}uriSpace"), ox.Literal(f"{base}id/")),
        ox.Triple(dataset, n(f"{VOID}rootResource"), n(f"{base}id/")),
    ]
    triples += [ox.Triple(dataset, n(f"{VOID}dataDump"), n(f"{site}dumps/{name}")) for name in DUMPS.values()]
    triples += [ox.Triple(dataset, n(f"{VOID}vocabulary"), n(ns)) for ns in sorted(set(PREFIXES.values()))]
    for graph, count in counts.items():
        subset = n(f"{base}void#{graph.removeprefix(base).replace('/', '-')}")
        triples += [
            ox.Triple(dataset, n(f"{VOID}subset"), subset),
            ox.Triple(subset, RDF_TYPE, n(f"{VOID}Dataset")),
            ox.Triple(subset, n(f"{SD}name"), n(graph)),
            ox.Triple(subset, n(f"{VOID}triples"), integer(count)),
        ]
    return triples


def content_query(graph: str) -> str:
    """The CONSTRUCT that reads one named graph's triples (linked from the graph's description)."""
    return f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"


def graph_description(base: str, site: str, graph: str, count: int) -> list[ox.Triple]:
    """A named graph as a void:Dataset of the dataset: its size, endpoint, dumps and a query for its content."""
    node, query = n(graph), urlencode({"query": content_query(graph)})
    triples = [
        ox.Triple(node, RDF_TYPE, n(f"{VOID}Dataset")),
        ox.Triple(node, RDF_TYPE, n(f"{SD}Graph")),
        ox.Triple(node, n(f"{DCT}title"), ox.Literal(graph.removeprefix(base), language="en")),
        ox.Triple(node, n(f"{VOID}triples"), integer(count)),
        ox.Triple(node, n(f"{DCT}isPartOf"), n(f"{base}void#EvidenceKG")),
        ox.Triple(node, n(f"{VOID}sparqlEndpoint"), n(f"{site}sparql")),
        ox.Triple(node, RDFS_SEE_ALSO, n(f"{site}sparql?{query}")),
    ]
    return triples + [ox.Triple(node, n(f"{VOID}dataDump"), n(f"{site}dumps/{name}")) for name in DUMPS.values()]


def root_description(base: str, site: str, sources: Iterable[tuple[str, str]]) -> list[ox.Triple]:
    """The dataset's root resource (`void:rootResource`, `<base>id/`): the sources, its entry points."""
    root = n(f"{base}id/")
    triples = [
        ox.Triple(root, RDFS_LABEL, ox.Literal("EvidenceKG: the sources and what they claim", language="en")),
        ox.Triple(root, n(f"{DCT}isPartOf"), n(f"{base}void#EvidenceKG")),
        ox.Triple(root, RDFS_SEE_ALSO, n(f"{site}void")),
    ]
    for source, title in sources:
        triples += [
            ox.Triple(root, n(f"{DCT}hasPart"), n(source)),
            ox.Triple(n(source), n(f"{DCT}title"), ox.Literal(title)),
        ]
    return triples


ABOUT = (
    "What clinical sources (guidelines, reviews, trials, drug labels, consumer articles) say about "
    "treatments, as claims anchored to the exact quotes of their sources, and the conflicts between them."
)


def sparql_examples(queries: Iterable[NamedQuery], site: str, endpoint: str) -> list[ox.Triple]:
    """Each example query as sh:SPARQLExecutable (+ Select/Construct/Ask), as SIB and UniProt publish them."""
    triples: list[ox.Triple] = []
    kinds = {"SELECT": "select", "CONSTRUCT": "construct", "ASK": "ask", "DESCRIBE": "describe"}
    for query in queries:
        node = n(f"{site}.well-known/sparql-examples/{query.name}")
        form = scan(query.text, PREFIXES).form or "SELECT"
        kind = kinds[form]
        triples += [
            ox.Triple(node, RDF_TYPE, n(f"{SH}SPARQLExecutable")),
            ox.Triple(node, RDF_TYPE, n(f"{SH}SPARQL{kind.capitalize()}Executable")),
            ox.Triple(node, RDFS_LABEL, ox.Literal(query.title, language="en")),
            ox.Triple(node, RDFS_COMMENT, ox.Literal(query.description or query.title, language="en")),
            ox.Triple(node, n(f"{SH}{kind}"), ox.Literal(query.text)),
            ox.Triple(node, n(f"{SCHEMA}target"), n(endpoint)),
        ]
    return triples
