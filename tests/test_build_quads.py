"""The direct N-Triples build: the graphs equal those of the former rdflib writer, term for term.

`fixtures/build-golden/expected.nq` was exported from a store built by the rdflib-based writer
(before the build streamed N-Triples) from the sources next to it, which use every field of the
format; the new build must give isomorphic graphs (blank nodes: a combination's restriction, a
code's annotation). Then literals are checked one by one, and a 300-claim synthetic corpus is
checked for counts, IRIs and labels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import Result
from rdflib import Graph
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from kg.bench.synthetic import Corpus
from kg.build import Summary, build
from kg.project import Project
from kg.store.oxigraph import OxigraphStore

FIXTURES = Path(__file__).resolve().parent / "fixtures"
BASE = "https://w3id.org/evidencekg/"
XSD = "http://www.w3.org/2001/XMLSchema#"
EVKG = "https://w3id.org/evidencekg/ontology#"
OA = "http://www.w3.org/ns/oa#"


def claim(name: str, part: str = "") -> ox.NamedNode:
    return ox.NamedNode(f"{BASE}id/claim/golden-guideline.{name}{part}")


@pytest.fixture(scope="module")
def golden(project: Project, tmp_path_factory: pytest.TempPathFactory) -> tuple[OxigraphStore, Summary]:
    path = tmp_path_factory.mktemp("golden") / "store"
    summary = build(replace(project, sources=FIXTURES / "build-golden"), path)
    return OxigraphStore.open(path, read_only=True), summary


def expected_graphs() -> dict[str, Graph]:
    graphs: dict[str, list[str]] = {}
    for line in (FIXTURES / "build-golden" / "expected.nq").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        triple, name, _ = line.rsplit(" ", 2)
        graphs.setdefault(name.strip("<>"), []).append(f"{triple} .\n")
    return {name: Graph().parse(data="".join(lines), format="nt") for name, lines in graphs.items()}


def as_rdflib(store: OxigraphStore, graph: str) -> Graph:
    return Graph().parse(data=ox.serialize(store.triples(graph), format=ox.RdfFormat.N_TRIPLES), format="nt")


def test_golden_source_graphs_are_isomorphic_to_the_rdflib_build(golden: tuple[OxigraphStore, Summary]) -> None:
    store, summary = golden
    expected = expected_graphs()
    assert set(expected) == {f"{BASE}graph/source/golden-guideline", f"{BASE}graph/source/golden-old"}
    for name, graph in expected.items():
        built = as_rdflib(store, name)
        _, missing, extra = graph_diff(to_isomorphic(graph), to_isomorphic(built))
        assert isomorphic(graph, built), (name, sorted(missing)[:5], sorted(extra)[:5])
        assert summary.graphs[name] == len(graph) == store.count(name)


def test_the_summary_counts_what_the_store_holds(golden: tuple[OxigraphStore, Summary]) -> None:
    store, summary = golden
    assert summary.sources == ["golden-guideline", "golden-old"] and summary.claims == 9
    assert set(summary.graphs) == set(store.named_graphs())
    assert {g: store.count(g) for g in summary.graphs} == summary.graphs
    assert summary.triples == store.count() and summary.findings == []


def value(store: OxigraphStore, subject: ox.NamedNode, predicate: str) -> ox.Literal:
    [quad] = list(store.store.quads_for_pattern(subject, ox.NamedNode(predicate), None, None))
    assert isinstance(quad.object, ox.Literal)
    return quad.object


@pytest.mark.parametrize(
    ("subject", "predicate", "lexical", "datatype", "language"),
    [
        (f"{BASE}id/source/golden-guideline", "http://purl.org/dc/terms/issued", "2024-02-29", XSD + "date", None),
        (f"{BASE}id/source/golden-guideline", EVKG + "formatVersion", "1", XSD + "integer", None),
        (
            f"{BASE}id/source/golden-guideline",
            EVKG + "url",
            'https://example.org/golden?x=1&y="2"',
            XSD + "anyURI",
            None,
        ),
        (f"{BASE}id/source/golden-guideline", "http://purl.org/dc/terms/title", 'The "golden" guideline', None, None),
        (f"{BASE}id/term/golden-drug-a", "http://www.w3.org/2004/02/skos/core#prefLabel", "golden drug A", None, "en"),
        (claim("drug-a-first", "#quote").value, EVKG + "quoteVerified", "true", XSD + "boolean", None),
        (claim("drug-a-first").value, EVKG + "exclusive", "true", XSD + "boolean", None),
        (claim("adverse").value, EVKG + "serious", "false", XSD + "boolean", None),
        (claim("outcome-rr", "#estimate").value, EVKG + "ciLevel", "0.95", XSD + "decimal", None),
        (claim("outcome-rr", "#timepoint").value, EVKG + "minDays", "91.3125", XSD + "decimal", None),
        (claim("dose-hours", "#duration").value, EVKG + "maxDays", "1.5", XSD + "decimal", None),
        (claim("drug-b-weeks", "#dose").value, EVKG + "doseMax", "0.25", XSD + "decimal", None),
        (
            claim("quoted-phrase", "#text-quote").value,
            OA + "exact",
            'A backslash \\ and a "quoted phrase" sit here.',
            None,
            None,
        ),
        (f"{BASE}id/claim/golden-old.old-therapy#quote", EVKG + "quoteVerified", "false", XSD + "boolean", None),
    ],
)
def test_literals_keep_their_datatype_and_language(
    golden: tuple[OxigraphStore, Summary],
    subject: str,
    predicate: str,
    lexical: str,
    datatype: str | None,
    language: str | None,
) -> None:
    literal = value(golden[0], ox.NamedNode(subject), predicate)
    assert (literal.value, literal.language) == (lexical, language)
    if language is None:
        assert literal.datatype.value == (datatype or XSD + "string")


def test_the_full_text_round_trips_with_newlines_quotes_and_backslashes(golden: tuple[OxigraphStore, Summary]) -> None:
    text = value(golden[0], ox.NamedNode(f"{BASE}id/text/golden-guideline"), EVKG + "fullText")
    assert text.value == (FIXTURES / "build-golden" / "golden-guideline.txt").read_text(encoding="utf-8")
    start = value(golden[0], claim("quoted-phrase", "#text-position"), OA + "start")
    end = value(golden[0], claim("quoted-phrase", "#text-position"), OA + "end")
    assert text.value[int(start.value) : int(end.value)] == 'A backslash \\ and a "quoted phrase" sit here.'
    assert start.datatype.value == XSD + "integer"


@pytest.fixture(scope="module")
def synthetic(project: Project, tmp_path_factory: pytest.TempPathFactory) -> tuple[Corpus, OxigraphStore, Summary]:
    root = tmp_path_factory.mktemp("synthetic300")
    corpus = Corpus(300).generate()
    corpus.write(root / "sources")
    summary = build(replace(project, sources=root / "sources"), root / "store", shapes=False)
    return corpus, OxigraphStore.open(root / "store", read_only=True), summary


def test_a_synthetic_corpus_has_one_graph_per_source_and_exact_counts(
    synthetic: tuple[Corpus, OxigraphStore, Summary],
) -> None:
    corpus, store, summary = synthetic
    sources = [f"{BASE}graph/source/{s.id}" for s in corpus.sources] + [f"{BASE}graph/source/synthetic-terms"]
    assert set(store.named_graphs()) == {f"{BASE}graph/ontology", f"{BASE}graph/vocabulary", *sources}
    assert {g: store.count(g) for g in store.named_graphs()} == summary.graphs
    assert summary.claims == corpus.claims == 300
    claims = "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c evkg:hasQuote ?q ; evkg:source ?s }"
    assert int(next(iter(store.query(claims)))["n"].value) == 300


def test_source_graphs_of_a_synthetic_corpus_hold_no_blank_nodes(
    synthetic: tuple[Corpus, OxigraphStore, Summary],
) -> None:
    corpus, store, _ = synthetic
    for draft in corpus.sources:
        for triple in store.triples(f"{BASE}graph/source/{draft.id}"):
            assert isinstance(triple.subject, ox.NamedNode) and not isinstance(triple.object, ox.BlankNode)


def test_claim_labels_use_terms_declared_in_another_source_file(
    synthetic: tuple[Corpus, OxigraphStore, Summary],
) -> None:
    corpus, store, _ = synthetic
    first = corpus.sources[0].claims[0]
    family, member = first["intervention"].split("-")[1:]
    label = value(
        store, ox.NamedNode(f"{BASE}id/claim/{corpus.sources[0].id}.c0"), "http://www.w3.org/2000/01/rdf-schema#label"
    )
    assert f"member {member} of family {family}" in label.value  # declared in 000-terms.yaml, not "drug 5 0"


def test_a_broken_file_after_valid_ones_discards_the_new_generation(
    evkg: Callable[..., Result], writable_store: Path, tmp_path: Path
) -> None:
    before = OxigraphStore.open(writable_store, read_only=True).dump("nquads")
    sources = tmp_path / "sources"
    Corpus(120).generate().write(sources)
    last = sorted(sources.glob("synthetic-*.yaml"))[-1]
    last.write_text(last.read_text().replace("intervention: drug-", "intervention: drugg-", 1))
    result = evkg("build", "--sources", sources, "--store", writable_store, "--skip-shapes")
    assert result.exit_code == 2 and f"{last.name}:" in result.output and "unknown term" in result.output
    assert OxigraphStore.open(writable_store, read_only=True).dump("nquads") == before
    assert len(list(writable_store.glob("gen-*"))) == 1
