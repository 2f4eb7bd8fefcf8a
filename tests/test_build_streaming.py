"""The streaming build: two passes over the sources, validation in batches, the bulk loader's thread.

Batching must not change what validation finds: the data checks and the SHACL shapes, run batch by
batch with the context (ontology, vocabulary, declared terms), find exactly what they find on the
whole dataset at once, each finding once.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml
from rdflib import Graph as RdfGraph

from kg.build import Compilation, check
from kg.checks import DataChecks, ShapeChecks, check_rows, shacl_violations
from kg.errors import SourceError, StoreError
from kg.project import Project
from kg.rdf.ntriples import Graph
from kg.sources.loader import may_declare_terms
from kg.sources.quotes import CONTEXT, NormalizedText, normalize
from kg.sources.yamlio import FastLoader
from kg.sparql.queries import QueryRegistry
from kg.store.oxigraph import OxigraphStore

BASE = "https://w3id.org/evidencekg/"
ORPHAN = f"<{BASE}id/term/orphan>"


def seed_graphs(project: Project) -> tuple[Compilation, list[Graph]]:
    compilation = Compilation(project, lambda _: None)
    return compilation, [graph for _, graph, _ in compilation.sources()]


def test_terms_declared_in_a_later_file_are_known_to_an_earlier_one(
    sources_dir: Callable[..., Path], project_with: Callable[[Path], Project]
) -> None:
    directory = sources_dir("tiny")
    tiny = directory / "tiny.yaml"
    tiny.write_text(tiny.read_text().replace("intervention: extended-bed-rest", "intervention: zz-late-term"))
    (directory / "zz.yaml").write_text(
        "source: {id: zz, title: Late terms, kind: guideline}\n"
        "terms: [{id: zz-late-term, label: a late term, parent: non-pharmacologic}]\n"
    )
    summary = check(project_with(directory), shapes=False)
    assert summary.sources == ["tiny-guideline", "zz"] and summary.findings == []


@pytest.mark.parametrize(
    ("data", "declares"),
    [
        (b"source: {id: a}\nclaims: []\n", False),
        (b"source: {id: a}\nterms: []\n", True),
        (b'source: {id: a}\n"te\\x72ms": []\n', True),  # an escape could spell the key
        ("source: {id: a, title: “curly”}\n".encode(), False),
        ("source: {id: a}\n".encode("utf-16"), True),
    ],
)
def test_the_first_pass_parses_only_files_that_can_declare_terms(data: bytes, declares: bool) -> None:
    assert may_declare_terms(data) is declares


def whole_store_findings(queries: QueryRegistry, context: bytes, graphs: list[Graph]) -> set[tuple[str, str, str]]:
    """What the checks find with everything in one store (the unbatched reference)."""
    store = ox.Store()
    store.load(context + b"".join(g.nquads() for g in graphs), format=ox.RdfFormat.N_QUADS)
    wrapped = OxigraphStore(store)
    return {(f.check, f.focus, f.message) for q in queries.checks() for f in check_rows(q, wrapped.query(q.text))}


def test_data_checks_in_batches_find_what_the_whole_store_finds_once_each(project: Project) -> None:
    compilation, graphs = seed_graphs(project)
    orphan = Graph(f"{BASE}graph/source/livestrong-back-spasm")
    orphan.add(ORPHAN, "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>", "<http://www.w3.org/2002/07/owl#Class>")
    orphan.add(ORPHAN, "<http://purl.org/dc/terms/identifier>", '"orphan"')
    context = compilation.context() + orphan.nquads()
    broken = graphs[0]
    position = next(t for t in broken.triples if "#text-position> <http://www.w3.org/ns/oa#end>" in t)
    del broken.triples[position]
    broken.add(
        position.split(" ")[0], "<http://www.w3.org/ns/oa#end>", '"99999"^^<http://www.w3.org/2001/XMLSchema#integer>'
    )
    queries = QueryRegistry(project.queries)
    checks = DataChecks(queries.checks(), context, batch_triples=1)
    for graph in graphs:
        checks.add(graph.nquads(), len(graph))
    findings = checks.close()
    found = [(f.check, f.focus, f.message) for f in findings]
    assert len(found) == len(set(found)) == 2
    assert set(found) == whole_store_findings(queries, context, graphs)
    assert {f.check for f in findings} == {"term-root-violation", "quote-offset-violation"}


def test_shapes_in_batches_find_what_the_whole_dataset_gives(project: Project) -> None:
    compilation, graphs = seed_graphs(project)
    claim = f"<{BASE}id/claim/livestrong-back-spasm.nsaids-only-for-acute>"
    broken = next(g for g in graphs if g.name.endswith("livestrong-back-spasm"))
    direction = next(
        t for t in broken.triples if t.startswith(f"{claim} <https://w3id.org/evidencekg/ontology#direction>")
    )
    del broken.triples[direction]
    shapes = RdfGraph().parse(project.shapes, format="turtle")
    ontology = RdfGraph().parse(data=compilation.ontology.ntriples(), format="nt")
    batched = ShapeChecks(shapes, ontology, batch_triples=1)
    union = RdfGraph()
    for graph in [compilation.terms, *graphs]:
        batched.add(graph.ntriples(), len(graph))
        union.parse(data=graph.ntriples(), format="nt")
    findings = batched.close()
    assert findings == shacl_violations(union, shapes, ontology)
    assert [f.focus for f in findings] == [claim.strip("<>")] and "direction" in findings[0].message


def test_a_failing_bulk_load_is_reported_and_does_not_hang(tmp_path: Path) -> None:
    store = OxigraphStore(ox.Store(str(tmp_path / "store")))
    with pytest.raises(StoreError, match="bulk load"), store.bulk_writer() as bulk:
        bulk.write(b"<http://example.org/s> <http://example.org/p> <http://example.org/o> <http://example.org/g> .\n")
        bulk.write(b"<http://example.org/s> oops .\n" * 200_000)  # past one chunk: the loader fails while we write
        bulk.write(b"<http://example.org/s> <http://example.org/p> <http://example.org/o2> <http://example.org/g> .\n")


def test_a_failing_producer_ends_the_load(tmp_path: Path) -> None:
    store = OxigraphStore(ox.Store(str(tmp_path / "store")))
    with pytest.raises(RuntimeError, match="producer"), store.bulk_writer() as bulk:
        bulk.write(b"<http://example.org/s> <http://example.org/p> <http://example.org/o> <http://example.org/g> .\n")
        raise RuntimeError("producer failed")
    assert not any(t.name == "evkg-bulk-load" for t in threading.enumerate())


def reference_find(text: str, quote: str) -> tuple[int, int, str, str, str] | None:
    """The offsets one character at a time (the previous implementation), as an oracle."""
    chars, offsets = [], []
    for match in re.finditer(r"\s+|\S", text.translate(str.maketrans("\u2019\u201c\u00a0", "'\" "))):
        chars.append(" " if match.group().isspace() else match.group())
        offsets.append(match.start())
    needle = normalize(quote)
    at = "".join(chars).find(needle)
    if not needle or at < 0:
        return None
    start, end = offsets[at], offsets[at + len(needle) - 1] + 1
    return start, end, text[start:end], text[max(0, start - CONTEXT) : start], text[end : end + CONTEXT]


def test_quote_offsets_match_a_character_by_character_oracle() -> None:
    rnd = random.Random(7)
    alphabet = "ab c\n\t  \u2019\u201c\u00a0'\"x."
    for _ in range(2000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randrange(60)))
        start = rnd.randrange(len(text) + 1)
        quote = text[start : rnd.randrange(start, len(text) + 1)]
        match = NormalizedText(text).find(quote)
        found = None if match is None else (match.start, match.end, match.exact, match.prefix, match.suffix)
        assert found == reference_find(text, quote), (text, quote)


YAML_CASES = [
    "a: &x {b: [1, 2.5, null, true, 2024-01-02, 's', ~, 0x1f, 1_000, .inf]}\nc: *x\nd:\n  <<: *x\n  e: 3\n",
    "- yes\n- no\n- on\n- 'yes'\n- !!str 12\n- !!set {a, b}\n- 010\n- 1:20\n",
    "? [1]\n: 2\n",  # an unhashable key: the same error
    "",
]


@pytest.mark.parametrize("text", YAML_CASES)
def test_the_fast_yaml_loader_loads_what_libyaml_safe_loader_loads(text: str) -> None:
    def load(loader: type) -> object:
        try:
            return yaml.load(text, Loader=loader)
        except yaml.YAMLError as exc:
            return type(exc)

    assert load(FastLoader) == load(yaml.CSafeLoader)


def test_the_fast_yaml_loader_agrees_on_every_yaml_file_of_the_repository() -> None:
    root = Path(__file__).resolve().parents[1]
    files = [*root.glob("sources/*.yaml"), *root.glob("ontology/*.yaml"), *root.glob("tests/fixtures/*/*.yaml")]
    assert len(files) > 10
    for path in files:
        data = path.read_bytes()
        assert yaml.load(data, Loader=FastLoader) == yaml.load(data, Loader=yaml.CSafeLoader), path


def test_segmented_bulk_loads_keep_each_graph_whole(tmp_path: Path) -> None:
    """Every write is its own chunk and segment here: a blank node is still one node within its graph."""
    store = OxigraphStore(ox.Store(str(tmp_path / "store")))
    with store.bulk_writer(chunk_bytes=1, segment_bytes=1) as bulk:
        for n in range(50):
            graph = Graph(f"http://example.org/g{n}")
            graph.add("_:shared", "<http://example.org/p>", f'"{n}"')
            graph.add("<http://example.org/s>", "<http://example.org/q>", "_:shared")
            bulk.write(graph.nquads())
    assert store.count() == 100
    rows = store.query("SELECT ?g WHERE { GRAPH ?g { <http://example.org/s> ?q ?b . ?b ?p ?v } }")
    assert len(list(rows)) == 50


def test_a_broken_ontology_names_its_file_and_line(project: Project, tmp_path: Path) -> None:
    ontology = tmp_path / "evkg.ttl"
    ontology.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b .\n")
    with pytest.raises(SourceError) as caught:
        check(replace(project, ontology=ontology), shapes=False)
    [problem] = caught.value.problems
    assert (problem.path, problem.line) == (ontology, 3) and "not valid Turtle" in problem.message
