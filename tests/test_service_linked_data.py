"""Linked data against the real server: minted IRIs dereference with content negotiation (HTML for
people, RDF for machines), 404 for IRIs without triples; VoID, SPARQL examples, dumps, OpenAPI,
health; and the pages for people: landing page, conflict audit, stance matrix, JSON and CSV."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from html.parser import HTMLParser

import pyoxigraph as ox
import pytest
from support import ROOT, LiveServer, assert_error_shape

from kg.audit import Filters, apply_filters, load_conflicts
from kg.namespaces import Iris
from kg.sparql.queries import QueryRegistry
from kg.store.oxigraph import OxigraphStore
from service.descriptions import service_description

EVKG = "https://w3id.org/evidencekg/ontology#"
BASE = "https://w3id.org/evidencekg/"
CLAIM = "id/claim/livestrong-back-spasm.nsaids-only-for-acute"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
PARSERS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


@pytest.fixture(scope="module")
def server(live_server: LiveServer) -> LiveServer:
    """The session's server on the reasoned seeds (tests/conftest.py)."""
    return live_server


def triples_of(body: bytes, media: str) -> set[ox.Triple]:
    return {ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(body, format=PARSERS[media])}


def store_triples(server: LiveServer, subject: str) -> set[ox.Triple]:
    store = OxigraphStore.open(server.store, read_only=True).store
    return {
        ox.Triple(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(ox.NamedNode(subject), None, None)
    }


@pytest.mark.parametrize("media", list(PARSERS))
def test_a_claim_dereferences_to_rdf_with_its_hash_parts(server: LiveServer, media: str) -> None:
    reply = server.get("/" + CLAIM, media)
    assert reply.status == 200 and reply.content_type == media
    assert "Accept" in reply.headers["Vary"]
    got = triples_of(reply.body, media)
    assert store_triples(server, BASE + CLAIM) <= got
    assert store_triples(server, BASE + CLAIM + "#quote") <= got
    exact = [t for t in got if t.predicate.value == "http://www.w3.org/ns/oa#exact"]
    assert exact and exact[0].subject.value.startswith(BASE + CLAIM + "#")


@pytest.mark.parametrize(("fmt", "media"), [("turtle", "text/turtle"), ("jsonld", "application/ld+json")])
def test_format_parameter_overrides_the_browser_accept(server: LiveServer, fmt: str, media: str) -> None:
    reply = server.get("/" + CLAIM, BROWSER, format=fmt)
    assert reply.content_type == media
    assert triples_of(reply.body, media)


def test_link_header_lists_the_alternates(server: LiveServer) -> None:
    link = server.get("/" + CLAIM, "text/turtle").headers["Link"]
    for media in [*PARSERS, "text/html"]:
        assert f'type="{media}"' in link
    assert f'<{BASE}{CLAIM}>; rel="canonical"' in link


def test_a_browser_gets_the_claim_page_with_quote_source_and_conflicts(server: LiveServer) -> None:
    reply = server.get("/" + CLAIM, BROWSER)
    assert reply.status == 200 and reply.content_type == "text/html"
    page = reply.text
    assert "only non-steroidal anti-inflammatory medications such as ibuprofen or aspirin" in page
    assert 'href="/id/source/livestrong-back-spasm"' in page
    assert "first-line-conflict" in page and 'href="/id/conflict/' in page
    assert 'href="/id/term/nsaid"' in page


@pytest.mark.parametrize(
    "path", ["id/source/livestrong-back-spasm", "id/term/nsaid", "id/agent/niams", "id/text/livestrong-back-spasm"]
)
def test_every_kind_of_minted_iri_dereferences(server: LiveServer, path: str) -> None:
    html = server.get("/" + path, BROWSER)
    turtle = server.get("/" + path, "text/turtle")
    assert html.status == 200 and "<h1>" in html.text
    assert store_triples(server, BASE + path) <= triples_of(turtle.body, "text/turtle")


def test_conflict_rule_and_run_iris_dereference(server: LiveServer) -> None:
    conflicts = server.get("/api/conflicts", view="pairs").json()
    conflict = conflicts[0]["iri"].removeprefix(BASE)
    turtle = triples_of(server.get("/" + conflict, "text/turtle").body, "text/turtle")
    linked = {t.object.value for t in turtle if isinstance(t.object, ox.NamedNode)}
    rule = next(iri for iri in linked if "/id/rule/" in iri)
    run = next(iri for iri in linked if "/id/run/" in iri)
    for iri in (rule, run):
        assert server.get("/" + iri.removeprefix(BASE), "text/turtle").status == 200


def test_a_clinical_question_dereferences_with_its_intervention_and_condition(server: LiveServer) -> None:
    claim_triples = triples_of(server.get("/" + CLAIM, "text/turtle").body, "text/turtle")
    questions = [t.object.value for t in claim_triples if t.predicate.value == EVKG + "addresses"]
    assert questions, f"{CLAIM} addresses no clinical question"
    turtle = triples_of(server.get("/" + questions[0].removeprefix(BASE), "text/turtle").body, "text/turtle")
    predicates = {t.predicate.value for t in turtle}
    assert {EVKG + "questionIntervention", EVKG + "questionCondition"} <= predicates


@pytest.mark.parametrize("path", ["id/claim/nope", "id/term/no-such-term", "id/widget/x"])
def test_iris_without_triples_are_404_in_the_error_shape(server: LiveServer, path: str) -> None:
    assert_error_shape(server.get("/" + path, "text/turtle"), 404)


# ------------------------------------------------------------------ descriptions and downloads
VOID = "http://rdfs.org/ns/void#"


def test_void_describes_the_dataset_graphs_endpoint_and_dumps(server: LiveServer) -> None:
    for path in ("/void", "/.well-known/void"):
        triples = triples_of(server.get(path, "text/turtle").body, "text/turtle")
        by_predicate = {t.predicate.value: t.object for t in triples}
        assert by_predicate[VOID + "sparqlEndpoint"].value == server.url + "/sparql"
        subsets = [t for t in triples if t.predicate.value == VOID + "subset"]
        assert len(subsets) == 6
        dumps = {t.object.value for t in triples if t.predicate.value == VOID + "dataDump"}
        assert dumps == {f"{server.url}/dumps/evidencekg.{ext}" for ext in ("trig", "nq", "jsonld")}
        assert any(
            t.predicate.value == VOID + "vocabulary" and t.object.value == "http://www.w3.org/ns/oa#" for t in triples
        )
    counts = {t.subject: int(t.object.value) for t in triples if t.predicate.value == VOID + "triples"}
    store = OxigraphStore.open(server.store, read_only=True)
    assert sorted(counts.values())[-1] == store.count()


def test_sparql_examples_publish_every_top_level_query(server: LiveServer) -> None:
    reply = server.get("/.well-known/sparql-examples", "text/turtle")
    triples = triples_of(reply.body, "text/turtle")
    sh = "http://www.w3.org/ns/shacl#"
    executables = {t.subject for t in triples if t.object == ox.NamedNode(sh + "SPARQLExecutable")}
    selects = {t.subject for t in triples if t.predicate.value == sh + "select"}
    names = [q["name"] for q in server.get("/api/queries").json()]
    assert len(executables) == len(names) >= 10 and selects == executables
    assert all(any(t.subject == e and t.predicate.value.endswith("#comment") for t in triples) for e in executables)


def test_api_queries_lists_names_parameters_and_text(server: LiveServer) -> None:
    queries = {q["name"]: q for q in server.get("/api/queries").json()}
    across = queries["intervention-across-sources"]
    assert across["parameters"][0]["name"] == "intervention" and "SELECT" in across["query"]


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("evidencekg.trig", ox.RdfFormat.TRIG),
        ("evidencekg.nq", ox.RdfFormat.N_QUADS),
        ("evidencekg.jsonld", ox.RdfFormat.JSON_LD),
    ],
)
def test_dumps_hold_every_quad_with_its_graph(server: LiveServer, name: str, fmt: ox.RdfFormat) -> None:
    reply = server.get("/dumps/" + name)
    quads = list(ox.parse(reply.body, format=fmt))
    store = OxigraphStore.open(server.store, read_only=True)
    assert len(set(quads)) == store.count()
    assert {q.graph_name.value for q in quads} == set(store.named_graphs())


def test_a_dump_is_streamed_with_an_etag_and_a_conditional_get_answers_304(server: LiveServer) -> None:
    first = server.get("/dumps/evidencekg.nq")
    etag = first.headers.get("ETag")
    assert first.status == 200 and etag and first.headers.get("Transfer-Encoding") == "chunked"
    again = server.request("/dumps/evidencekg.nq", headers={"If-None-Match": etag})
    assert (again.status, again.body) == (304, b"")
    assert server.get("/dumps/evidencekg.trig").headers.get("ETag") not in (None, etag)


def test_openapi_and_health(server: LiveServer) -> None:
    document = server.get("/openapi.json").json()
    assert document["openapi"].startswith("3.") and "/api/conflicts" in document["paths"]
    health = server.get("/health").json()
    assert health["status"] == "ok" and health["graphs"] == 6 and health["query_workers"]["size"] == 2


def test_health_names_no_path_and_no_process(server: LiveServer) -> None:
    reply = server.get("/health")
    assert str(server.store) not in reply.text and "gen-" not in reply.text
    assert "pids" not in reply.json()["query_workers"] and "store" not in reply.json()


def test_every_answer_forbids_sniffing_and_pages_carry_a_content_policy(server: LiveServer) -> None:
    for path in ("/", "/conflicts", "/sparql", "/health", "/api/conflicts", "/no/such/page"):
        assert server.get(path, BROWSER).headers.get("X-Content-Type-Options") == "nosniff", path
    policy = server.get("/conflicts", BROWSER).headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "Content-Security-Policy" not in server.get("/api/conflicts").headers


def test_the_service_description_claims_federation_only_with_an_allowlist(server: LiveServer) -> None:
    assert server.env["EVKG_SERVICE_ALLOWLIST"], "the test server allows SERVICE to itself"
    assert "BasicFederatedQuery" in server.get("/sparql", "text/turtle").text
    feature = ox.NamedNode("http://www.w3.org/ns/sparql-service-description#BasicFederatedQuery")
    for federated in (False, True):
        triples = service_description("http://example.org/sparql", {}, federated=federated)
        assert any(t.object == feature for t in triples) is federated


# ------------------------------------------------------------------ pages for people and the JSON/CSV API
def expected_conflicts(server: LiveServer, filters: Filters) -> list[str]:
    store = OxigraphStore.open(server.store, read_only=True)
    registry = QueryRegistry(ROOT / "queries")
    records = apply_filters(load_conflicts(store, registry), filters, store, Iris(BASE))
    return [r.id for r in records]


def test_landing_page_links_everything(server: LiveServer) -> None:
    page = server.get("/", BROWSER).text
    for href in (
        "/sparql",
        "/conflicts",
        "/conflicts/matrix",
        "/api/conflicts",
        "/api/conflicts.csv",
        "/void",
        "/.well-known/sparql-examples",
        "/api/queries",
        "/dumps/evidencekg.trig",
        "/openapi.json",
        "/health",
        "/ontology",
        "/id/",
        "/graph/inferred",
    ):
        assert f'href="{href}' in page, href


@pytest.mark.parametrize(
    ("params", "filters"),
    [
        ({}, Filters()),
        ({"type": "first-line-conflict"}, Filters(types=("first-line-conflict",))),
        ({"intervention": "skeletal-muscle-relaxant"}, Filters(interventions=("skeletal-muscle-relaxant",))),
        (
            {"source": "livestrong-back-spasm", "all": "1"},
            Filters(sources=("livestrong-back-spasm",), informational=True),
        ),
        ({"condition": "back-muscle-spasm"}, Filters(conditions=("back-muscle-spasm",))),
    ],
)
def test_api_conflicts_json_and_csv_apply_the_filters(
    server: LiveServer, params: dict[str, str], filters: Filters
) -> None:
    expected = expected_conflicts(server, filters)
    assert expected
    as_json = server.get("/api/conflicts", view="pairs", **params).json()
    rows = list(csv.DictReader(io.StringIO(server.get("/api/conflicts.csv", view="pairs", **params).text)))
    page = server.get("/conflicts", BROWSER, **params).text
    assert [c["id"] for c in as_json] == expected
    assert [r["id"] for r in rows] == expected
    assert page.count('class="conflict ') == len(expected)
    grouped = server.get("/api/conflicts", **params).json()
    assert sorted(p["id"] for d in grouped for p in d["pairs"]) == sorted(expected), "each pair in one disagreement"
    assert page.count('class="disagreement ') == len(grouped)
    rows = list(csv.DictReader(io.StringIO(server.get("/api/conflicts.csv", **params).text)))
    assert [r["id"] for r in rows] == [d["id"] for d in grouped]


def test_the_seeds_report_each_real_disagreement_once(server: LiveServer) -> None:
    grouped = server.get("/api/conflicts").json()
    keys = ("id", "category", "type", "severity", "status", "explanation", "sources", "interventions", "conditions")
    assert all(set(keys) | {"claims", "pairs"} <= set(d) for d in grouped)
    found = {(d["type"], tuple(d["interventions"])) for d in grouped}
    assert found == {
        ("first-line-conflict", ("nsaid", "skeletal-muscle-relaxant")),
        ("assertion-vs-doubt", ("skeletal-muscle-relaxant",)),
        ("class-vs-member", ("rest",)),
    }
    assert all(c["quote"] and c["source"] and c["id"] for d in grouped for c in d["claims"])
    assert server.get("/api/conflicts", view="bogus").status == 400


def test_conflict_page_links_both_quotes_to_claims_and_sources(server: LiveServer) -> None:
    page = server.get("/conflicts", BROWSER, type="first-line-conflict").text
    assert 'href="/id/claim/livestrong-back-spasm.nsaids-only-for-acute"' in page
    assert 'href="/id/claim/droracle-back-spasm.cyclobenzaprine-first-line"' in page
    assert 'href="/id/source/droracle-back-spasm"' in page
    assert '<option value="first-line-conflict" selected>' in page


def test_stance_matrix_marks_stances_and_conflicted_cells(server: LiveServer) -> None:
    page = server.get("/conflicts/matrix", BROWSER).text
    assert page.count('<th><a href="/id/source/') == 2
    assert 'class="for conflicted"' in page
    assert 'class="against"' in page
    assert 'href="/id/term/cyclobenzaprine"' in page


def test_the_matrix_follows_the_filters_groups_by_class_and_exports_csv(server: LiveServer) -> None:
    page = server.get("/conflicts/matrix", BROWSER, source="livestrong-back-spasm").text
    assert page.count('<th><a href="/id/source/') == 1, "one column: the filtered source"
    rows = list(csv.reader(io.StringIO(server.get("/conflicts/matrix.csv").text)))
    assert rows[0] == ["intervention", "Dr.Oracle (2025)", "LIVESTRONG.COM"]
    order = [row[0] for row in rows[1:]]
    assert order.index("skeletal muscle relaxant") < order.index("cyclobenzaprine"), "a class above its members"
    flagged = {row[0] for row in rows[1:] if any(cell.endswith("!") for cell in row[1:])}
    assert {"non-steroidal anti-inflammatory drug", "skeletal muscle relaxant"} <= flagged
    narrowed = list(csv.reader(io.StringIO(server.get("/conflicts/matrix.csv", intervention="nsaid").text)))
    assert {row[0] for row in narrowed[1:]} <= {
        "non-steroidal anti-inflammatory drug",
        "ibuprofen",
        "aspirin",
        "naproxen",
    }
    disagreements = {d["id"] for d in server.get("/api/conflicts").json()}
    flags = re.findall(
        r'class="flag" href="/conflicts\?[^#"]*#([0-9a-f]{16})"', server.get("/conflicts/matrix", BROWSER).text
    )
    assert flags and set(flags) <= disagreements, "each ⚠ links to its disagreement"


class _Text(HTMLParser):
    """The text a person reads on a page (no tags, attributes or scripts)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.skip += tag in ("script", "style", "code")

    def handle_endtag(self, tag: str) -> None:
        self.skip -= tag in ("script", "style", "code")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


@pytest.mark.parametrize("path", ["/conflicts?all=1", "/conflicts/matrix"])
def test_pages_name_sources_and_terms_not_their_ids(server: LiveServer, path: str) -> None:
    text = visible_text(server.get(path, BROWSER).text)
    ids = ["livestrong-back-spasm", "droracle-back-spasm", "skeletal-muscle-relaxant", "back-muscle-spasm", "FirstLine"]
    assert [i for i in ids if i in text] == []
    assert "Dr.Oracle (2025)" in text and "LIVESTRONG.COM" in text


# ------------------------------------------------------------------ the ontology, named graphs, the root resource
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
PROV = "http://www.w3.org/ns/prov#"
DCT = "http://purl.org/dc/terms/"


def ground(triples: Iterable[ox.Triple]) -> set[ox.Triple]:
    """The triples without blank nodes (their labels differ between serializations)."""
    return {t for t in triples if not isinstance(t.subject, ox.BlankNode) and not isinstance(t.object, ox.BlankNode)}


def local(iri: str) -> str:
    """The path this service serves an IRI at (the base's, or the ontology's namespace)."""
    return "/" + iri.removeprefix(BASE) if not iri.startswith(EVKG) else "/ontology#" + iri.removeprefix(EVKG)


def test_an_ontology_iri_dereferences_to_its_documented_term(server: LiveServer) -> None:
    reply = server.get(local(EVKG + "Recommendation").split("#")[0], BROWSER)
    assert reply.status == 200 and reply.content_type == "text/html"
    section = reply.text[reply.text.index('id="Recommendation"') :].split("</section>")[0]
    assert "recommendation" in section and "A statement for, against, or uncertain" in section
    assert 'href="/ontology#Claim"' in section
    assert 'href="http://purl.obolibrary.org/obo/SEPIO_0000431"' in section
    for term in ("Claim", "source", "attributedTo", "FirstLine"):  # classes, properties, individuals
        assert f'id="{term}"' in reply.text, term


@pytest.mark.parametrize("media", list(PARSERS))
def test_the_ontology_is_served_in_every_rdf_format(server: LiveServer, media: str) -> None:
    reply = server.get("/ontology", media)
    assert reply.status == 200 and reply.content_type == media and "Accept" in reply.headers["Vary"]
    store = OxigraphStore.open(server.store, read_only=True)
    assert ground(triples_of(reply.body, media)) == ground(store.triples(BASE + "graph/ontology"))
    subclass = ox.Triple(
        ox.NamedNode(EVKG + "Recommendation"), ox.NamedNode(RDFS + "subClassOf"), ox.NamedNode(EVKG + "Claim")
    )
    assert subclass in triples_of(reply.body, media)


def test_resource_pages_link_ontology_terms_to_their_documentation(server: LiveServer) -> None:
    page = server.get("/" + CLAIM, BROWSER).text
    assert 'href="/ontology#Recommendation"' in page and 'href="/ontology#intervention"' in page


@pytest.mark.parametrize(
    "name",
    ["ontology", "vocabulary", "inferred", "conflicts", "source/livestrong-back-spasm", "source/droracle-back-spasm"],
)
def test_every_named_graph_iri_dereferences_to_its_description(server: LiveServer, name: str) -> None:
    graph = ox.NamedNode(f"{BASE}graph/{name}")
    store = OxigraphStore.open(server.store, read_only=True)
    turtle = triples_of(server.get(f"/graph/{name}", "text/turtle").body, "text/turtle")
    size = next(t.object.value for t in turtle if t.subject == graph and t.predicate.value == VOID + "triples")
    assert int(size) == store.count(graph.value)
    content = next(t.object.value for t in turtle if t.subject == graph and t.predicate.value == RDFS + "seeAlso")
    answer = server.get(content.removeprefix(server.url), "application/n-triples")
    if answer.status == 507:  # over the test server's result limit (tests/support.py): refused whole
        assert_error_shape(answer, 507)
    else:
        assert triples_of(answer.body, "application/n-triples") == set(store.triples(graph.value))
    page = server.get(f"/graph/{name}", BROWSER)
    assert page.status == 200 and f"{size} triples" in page.text and 'href="/sparql?query=' in page.text


@pytest.mark.parametrize(
    ("name", "predicate", "target"),
    [
        ("inferred", PROV + "wasGeneratedBy", "id/run/"),
        ("conflicts", PROV + "wasGeneratedBy", "id/run/"),
        ("source/livestrong-back-spasm", PROV + "wasDerivedFrom", "id/source/livestrong-back-spasm"),
    ],
)
def test_a_graph_description_gives_its_provenance(server: LiveServer, name: str, predicate: str, target: str) -> None:
    turtle = triples_of(server.get(f"/graph/{name}", "text/turtle").body, "text/turtle")
    found = [
        t.object.value for t in turtle if t.subject.value == f"{BASE}graph/{name}" and t.predicate.value == predicate
    ]
    assert found and found[0].startswith(BASE + target)
    assert server.get(local(found[0]), "text/turtle").status == 200


def test_an_unknown_graph_is_404_in_the_error_shape(server: LiveServer) -> None:
    assert_error_shape(server.get("/graph/no-such-graph", "text/turtle"), 404)


def test_void_root_resource_resolves_to_the_sources(server: LiveServer) -> None:
    void = triples_of(server.get("/void", "text/turtle").body, "text/turtle")
    root = next(t.object.value for t in void if t.predicate.value == VOID + "rootResource")
    turtle = triples_of(server.get(local(root), "text/turtle").body, "text/turtle")
    parts = {t.object.value for t in turtle if t.subject.value == root and t.predicate.value == DCT + "hasPart"}
    assert parts == {f"{BASE}id/source/livestrong-back-spasm", f"{BASE}id/source/droracle-back-spasm"}
    page = server.get(local(root), BROWSER)
    assert page.status == 200 and 'href="/id/source/droracle-back-spasm"' in page.text


def test_a_browser_gets_void_as_a_page_and_a_client_still_gets_turtle(server: LiveServer) -> None:
    page = server.get("/void", BROWSER)
    assert page.status == 200 and page.content_type == "text/html"
    assert 'href="/graph/inferred"' in page.text and 'href="/id/"' in page.text and 'href="/ontology"' in page.text
    assert server.get("/void").content_type == "text/turtle"


def test_openapi_documents_the_linked_data_routes(server: LiveServer) -> None:
    paths = server.get("/openapi.json").json()["paths"]
    for path in ("/ontology", "/graph/{name}", "/id/", "/id/{kind}/{slug}", "/void"):
        assert "text/turtle" in paths[path]["get"]["responses"]["200"]["content"], path


def test_a_claims_quote_is_marked_in_its_source_text(server: LiveServer) -> None:
    claim = server.get("/id/claim/livestrong-back-spasm.nsaids-only-for-acute", BROWSER).text
    assert 'href="/id/text/livestrong-back-spasm#nsaids-only-for-acute"' in claim
    page = server.get("/id/text/livestrong-back-spasm", BROWSER).text
    assert '<a id="nsaids-only-for-acute" class="anchor"></a><mark' in page
    marked = re.findall(r'<mark [^>]*data-claims="([^"]*)">([^<]*)</mark>', page)
    quoted = " ".join(text for claims, text in marked if "nsaids-only-for-acute" in claims.split())
    assert "only non-steroidal anti-inflammatory medications such as ibuprofen or aspirin" in quoted


def test_a_rules_page_shows_its_sparql(server: LiveServer) -> None:
    page = server.get("/id/rule/first-line-conflict", BROWSER).text
    sparql = re.search(r'<pre class="sparql">(.*?)</pre>', page, re.S)
    assert sparql and "CONSTRUCT" in sparql.group(1) and "# title: First-line conflict" in sparql.group(1)
