"""The benchmark's synthetic corpus: every planted conflict is found and nothing else is raised."""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

import pytest

from kg.audit import load_conflicts
from kg.bench.harness import score
from kg.bench.synthetic import CONFLICT_TYPES, TRAPS, Corpus
from kg.build import build
from kg.conflicts import reason
from kg.project import Project
from kg.sparql.queries import QueryRegistry
from kg.store.oxigraph import OxigraphStore


def test_the_corpus_is_deterministic() -> None:
    first, second = Corpus(400).generate(), Corpus(400).generate()
    assert [asdict(p) for p in first.plants] == [asdict(p) for p in second.plants]
    assert first.claims == 400


@pytest.mark.parametrize("size", [400])
def test_planted_conflicts_are_found_without_false_positives(project: Project, tmp_path: Path, size: int) -> None:
    corpus = Corpus(size).generate()
    corpus.write(tmp_path / "sources")
    synthetic = replace(project, sources=tmp_path / "sources")
    build(synthetic, tmp_path / "store", shapes=False)
    reason(synthetic, tmp_path / "store", tmp_path / "reviews.yaml")
    records = load_conflicts(OxigraphStore.open(tmp_path / "store", read_only=True), QueryRegistry(project.queries))
    findings = [
        {"type": r.type, "category": r.category, "claims": [{"source": c.source, "id": c.id} for c in r.claims]}
        for r in records
    ]
    result = score(corpus, findings)  # type: ignore[arg-type]
    assert {p.kind for p in corpus.plants} == {*CONFLICT_TYPES, *(f"trap-{t}" for t in TRAPS)}
    assert result.planted == len(CONFLICT_TYPES)
    assert (result.found, result.false_positives) == (result.planted, 0)
