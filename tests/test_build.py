"""The build into the on-disk store: atomic rebuilds, loads, exports that round-trip."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from rdflib import Dataset as RdfDataset
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from support import ROOT

from kg.build import Dataset
from kg.project import Project
from kg.store import dumps
from kg.store.oxigraph import CURRENT, OxigraphStore, live_generations, write_generation


def test_build_writes_one_named_graph_per_source(seed_store: Path, seed_dataset: Dataset) -> None:
    store = OxigraphStore.open(seed_store, read_only=True)
    graphs = store.named_graphs()
    base = "https://w3id.org/evidencekg/graph/"
    assert set(graphs) == {
        base + "ontology",
        base + "vocabulary",
        base + "source/livestrong-back-spasm",
        base + "source/droracle-back-spasm",
    }
    assert store.count() == seed_dataset.triples


def test_cli_check_and_build(evkg: Callable[..., object], tmp_path: Path) -> None:
    result = evkg("check")
    assert result.exit_code == 0, result.output
    store = tmp_path / "store"
    result = evkg("build", "--store", store)
    assert result.exit_code == 0, result.output
    assert f"{len(list((ROOT / 'sources').glob('*.yaml')))} sources" in result.output
    assert len(list(live_generations(store))) == 1


def _snapshot(store: Path) -> bytes:
    return OxigraphStore.open(store, read_only=True).dump("nquads")


@pytest.mark.parametrize("mistake", ["quote", "yaml"])
def test_failed_build_leaves_the_store_unchanged(
    evkg: Callable[..., object], writable_store: Path, sources_dir: Callable[..., Path], mistake: str
) -> None:
    before = _snapshot(writable_store)
    directory = sources_dir("tiny")
    path = directory / "tiny.yaml"
    broken = {"quote": ("quote: Avoid extended bed rest.", "quote: Never rest."), "yaml": ("claims:", "claims: [")}[
        mistake
    ]
    path.write_text(path.read_text().replace(*broken))
    result = evkg("build", "--sources", directory, "--store", writable_store)
    assert result.exit_code == 2
    assert "tiny.yaml:" in result.output
    assert _snapshot(writable_store) == before
    assert len(list(live_generations(writable_store))) == 1


def test_rebuild_replaces_content(
    evkg: Callable[..., object], writable_store: Path, sources_dir: Callable[..., Path]
) -> None:
    result = evkg("build", "--sources", sources_dir("tiny"), "--store", writable_store)
    assert result.exit_code == 0, result.output
    graphs = OxigraphStore.open(writable_store, read_only=True).named_graphs()
    assert any(g.endswith("source/tiny-guideline") for g in graphs)
    assert not any(g.endswith("source/livestrong-back-spasm") for g in graphs)


def _as_rdflib(data: bytes, fmt: str) -> RdfDataset:
    dataset = RdfDataset()
    dataset.parse(data=data, format=fmt)
    return dataset


def _graphs(dataset: RdfDataset) -> dict[str, Graph]:
    return {str(g.identifier): g for g in dataset.graphs() if len(g)}


@pytest.mark.parametrize(("fmt", "parser"), [("trig", "trig"), ("nquads", "nquads"), ("jsonld", "json-ld")])
def test_export_round_trips(
    evkg: Callable[..., object],
    seed_store: Path,
    project: Project,
    seed_dataset: Dataset,
    tmp_path: Path,
    fmt: str,
    parser: str,
) -> None:
    out = tmp_path / f"dump.{fmt}"
    result = evkg("export", "--format", fmt, "--store", seed_store, "--output", out)
    assert result.exit_code == 0, result.output
    exported = _graphs(_as_rdflib(out.read_bytes(), parser))
    assert set(exported) == set(seed_dataset.graphs)
    for name, graph in seed_dataset.graphs.items():
        assert isomorphic(exported[name], graph), name


RDFLIB_PARSERS = {"trig": "trig", "nquads": "nquads", "jsonld": "json-ld", "turtle": "turtle", "ntriples": "nt"}


@pytest.mark.parametrize("fmt", list(RDFLIB_PARSERS))
def test_a_dump_streamed_in_small_chunks_is_one_valid_document_with_every_quad(
    seed_store: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    """`evkg export` and /dumps write CHUNK triples at a time; at 7 a graph spans many chunks, and the
    pieces must still make one document: prefixes declared once, every graph as the store has it."""
    store = OxigraphStore.open(seed_store, read_only=True)
    whole = store.dump(fmt)  # in one piece, as pyoxigraph writes it
    monkeypatch.setattr(dumps, "CHUNK", 7)
    chunks = list(store.dump_stream(fmt))
    assert len(chunks) > store.count() // 7
    data = b"".join(chunks)
    if fmt in ("trig", "turtle"):
        assert data.count(b"@prefix evkg:") == 1
    parser = RDFLIB_PARSERS[fmt]
    if fmt in ("turtle", "ntriples"):  # the graphs merged
        assert isomorphic(Graph().parse(data=data, format=parser), Graph().parse(data=whole, format=parser))
        return
    streamed, expected = _graphs(_as_rdflib(data, parser)), _graphs(_as_rdflib(whole, parser))
    assert set(streamed) == set(expected) == set(store.named_graphs())
    for name, graph in expected.items():
        assert isomorphic(streamed[name], graph), name


def test_load_adds_a_file_into_a_graph(evkg: Callable[..., object], writable_store: Path, tmp_path: Path) -> None:
    extra = tmp_path / "extra.ttl"
    extra.write_text("<http://example.org/a> <http://example.org/p> 'x' .\n")
    result = evkg("load", extra, "--graph", "http://example.org/g", "--store", writable_store)
    assert result.exit_code == 0, result.output
    store = OxigraphStore.open(writable_store, read_only=True)
    assert store.count("http://example.org/g") == 1


def test_load_makes_a_new_generation_live_with_all_files_or_none(
    evkg: Callable[..., object], writable_store: Path, tmp_path: Path
) -> None:
    """A reader of the live generation (the service) sees a load at once: it lands as a new generation."""
    good, broken = tmp_path / "good.ttl", tmp_path / "broken.ttl"
    good.write_text("<http://example.org/a> <http://example.org/p> 'x' .\n")
    broken.write_text("<http://example.org/b> oops .\n")
    before, live = _snapshot(writable_store), (writable_store / CURRENT).resolve()
    result = evkg("load", good, broken, "--graph", "http://example.org/g", "--store", writable_store)
    assert result.exit_code == 2 and "broken.ttl" in result.output
    assert (writable_store / CURRENT).resolve() == live and _snapshot(writable_store) == before
    result = evkg("load", good, "--graph", "http://example.org/g", "--store", writable_store)
    assert result.exit_code == 0, result.output
    assert (writable_store / CURRENT).resolve() != live
    assert OxigraphStore.open(writable_store, read_only=True).count("http://example.org/g") == 1


def test_load_of_a_broken_file_changes_nothing(
    evkg: Callable[..., object], writable_store: Path, tmp_path: Path
) -> None:
    before = _snapshot(writable_store)
    broken = tmp_path / "broken.ttl"
    broken.write_text("<http://example.org/a> <http://example.org/p> 'x' .\n<http://example.org/b> oops .\n")
    result = evkg("load", broken, "--store", writable_store)
    assert result.exit_code == 2
    assert "broken.ttl" in result.output and "line 2" in result.output.lower()
    assert _snapshot(writable_store) == before


def test_commands_on_a_missing_store_say_so(evkg: Callable[..., object], tmp_path: Path) -> None:
    result = evkg("query", "sources", "--store", tmp_path / "nowhere")
    assert result.exit_code == 2
    assert "run `evkg build` first" in result.output


def test_query_with_from_counts_that_graph_not_the_union(
    evkg: Callable[..., object], seed_store: Path, tmp_path: Path
) -> None:
    """`evkg query`: the union default graph applies only when the query names no dataset of its own."""
    graph = "https://w3id.org/evidencekg/graph/vocabulary"
    own = tmp_path / "own.rq"
    own.write_text(f"SELECT (COUNT(*) AS ?n) FROM <{graph}> WHERE {{ ?s ?p ?o }}")
    union = tmp_path / "union.rq"
    union.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    counts = {}
    for path in (own, union):
        result = evkg("query", path, "--format", "csv", "--store", seed_store)
        assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
        counts[path.stem] = int(result.output.split()[-1])  # type: ignore[attr-defined]
    with OxigraphStore.open(seed_store, read_only=True) as store:
        assert counts["own"] == store.count(graph)
    assert 0 < counts["own"] < counts["union"]


def test_graph_names_are_data_iris(seed_dataset: Dataset) -> None:
    claim = URIRef("https://w3id.org/evidencekg/id/claim/livestrong-back-spasm.nsaids-only-for-acute")
    graph = seed_dataset.graphs["https://w3id.org/evidencekg/graph/source/livestrong-back-spasm"]
    assert (claim, None, None) in graph


def test_a_failed_write_still_clears_what_a_killed_writer_left(writable_store: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    orphan = writable_store / f"gen-20260101T000000-{int(dead.stdout)}-1"
    running = writable_store / f"gen-20260101T000000-{os.getpid()}-2"
    for folder in (orphan, running):
        folder.mkdir()
    dangling = writable_store / f".current-{int(dead.stdout)}"
    dangling.symlink_to(orphan.name)
    live = (writable_store / "current").resolve()

    def fail(_: OxigraphStore) -> None:
        raise RuntimeError("midway")

    with pytest.raises(RuntimeError):
        write_generation(writable_store, fail)
    assert not orphan.exists(), "a dead writer's generation is removed before the next one starts"
    assert running.exists(), "a live writer's generation is left to that writer"
    assert not dangling.is_symlink(), "a killed writer's swap link is removed"
    assert (writable_store / "current").resolve() == live and live.exists()
