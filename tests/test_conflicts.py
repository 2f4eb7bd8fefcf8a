"""Conflict rules on purpose-built sources: each rule fires where it should, each trap stays quiet.

Building and reasoning (HermiT) takes seconds, so each fixture folder is built once for the module
and the seeds once for the session (tests/conftest.py); the tests only read the findings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from support import copy_fixtures

from kg.audit import ConflictRecord, Filters, apply_filters, load_conflicts
from kg.build import build
from kg.conflicts import reason
from kg.project import Project
from kg.sparql.queries import QueryRegistry
from kg.store.oxigraph import OxigraphStore

Derive = Callable[..., list[ConflictRecord]]


@pytest.fixture(scope="module")
def derive(project: Project, tmp_path_factory: pytest.TempPathFactory) -> Derive:
    """Build fixture folders into a fresh store (at `store`, or in a new folder), reason, and return
    every finding."""

    def run(*folders: str, reviews: Path | None = None, store: Path | None = None) -> list[ConflictRecord]:
        folder = tmp_path_factory.mktemp("derive")
        project_here = replace(project, sources=copy_fixtures(folder / "sources", *folders))
        store = store or folder / "store"
        build(project_here, store)
        report = reason(project_here, store, reviews or folder / "reviews.yaml")
        assert report.findings == []
        return load_conflicts(OxigraphStore.open(store, read_only=True), QueryRegistry(project_here.queries))

    return run


def pairs(records: list[ConflictRecord], kind: str) -> set[frozenset[str]]:
    """The claim pairs (source.claim) of one type of finding."""
    return {frozenset(f"{c.source}.{c.id}" for c in r.claims) for r in records if r.type == kind}


def pair(a: str, b: str) -> frozenset[str]:
    return frozenset({a, b})


@pytest.fixture(scope="module")
def rules_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where `rules_found` builds the rules fixture (read-only use)."""
    return tmp_path_factory.mktemp("rules") / "store"


@pytest.fixture(scope="module")
def rules_found(derive: Derive, rules_store: Path) -> list[ConflictRecord]:
    """The findings on the rules fixture, built and reasoned once for the module."""
    return derive("rules", store=rules_store)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (
            "direct-contradiction",
            {
                pair("alpha.ibuprofen-acute", "beta.avoid-nsaids-acute"),
                pair("alpha.only-nsaids", "beta.avoid-nsaids-acute"),
            },
        ),
        ("first-line-conflict", {pair("alpha.only-nsaids", "beta.cyclobenzaprine-first")}),
        ("assertion-vs-doubt", {pair("alpha.antidepressants-for", "beta.antidepressants-uncertain")}),
        ("evidence-contradiction", {pair("alpha.trial-one", "alpha.trial-two")}),
        ("strength-discordance", {pair("alpha.heat-strong", "beta.heat-conditional")}),
        ("recommendation-vs-safety", {pair("alpha.cyclobenzaprine-for", "beta.cyclobenzaprine-hepatic")}),
        # a source's own contraindication about its own recommendation qualifies it: not a conflict
        ("qualification", {pair("beta.cyclobenzaprine-first", "beta.cyclobenzaprine-hepatic")}),
        ("dose-discordance", {pair("alpha.ibuprofen-dose", "beta.ibuprofen-dose-high")}),
        (
            "class-vs-member",
            {pair("alpha.rest-first", "beta.avoid-bed-rest"), pair("alpha.only-nsaids", "beta.avoid-naproxen-acute")},
        ),
    ],
)
def test_each_rule_fires_exactly_where_planted(
    rules_found: list[ConflictRecord], kind: str, expected: set[frozenset[str]]
) -> None:
    assert pairs(rules_found, kind) == expected


def test_traps_are_explained_by_context_not_conflicts(rules_found: list[ConflictRecord]) -> None:
    conflicts = {p for r in rules_found if r.category == "conflict" for p in pairs([r], r.type)}
    traps = {
        pair("alpha.naproxen-chronic", "beta.avoid-naproxen-acute"),  # different phase
        pair("alpha.oxycodone-later", "beta.no-opioids-first"),  # different line of therapy
        pair("alpha.ibuprofen-dose", "beta.ibuprofen-dose-elderly"),  # subgroup-specific dose
    }
    assert not traps & conflicts
    explained = pairs(rules_found, "explained-by-context")
    assert traps <= explained


def test_silence_and_other_kinds_do_not_conflict(rules_found: list[ConflictRecord]) -> None:
    involved = {f"{c.source}.{c.id}" for r in rules_found if r.category == "conflict" for c in r.claims}
    assert "alpha.ice" not in involved  # beta says nothing about ice
    # "only NSAIDs" is about drugs: heat first-line is not in its scope
    assert pair("alpha.only-nsaids", "beta.heat-first") not in pairs(rules_found, "first-line-conflict")


def test_every_conflict_is_explained_and_linked_to_quotes(rules_found: list[ConflictRecord]) -> None:
    for record in rules_found:
        assert record.explanation.endswith(".") and len(record.explanation) > 30
        assert record.rule and record.severity in {"high", "moderate", "low", "info"}
        assert record.status in {"candidate", "explained-by-context"}
        assert all(c.quote for c in record.claims)
        assert len(record.id) == 16


def test_symmetric_duplicates_are_merged(rules_found: list[ConflictRecord]) -> None:
    ids = [r.id for r in rules_found]
    assert len(ids) == len(set(ids))
    keys = [(r.type, frozenset(c.iri for c in r.claims)) for r in rules_found]
    assert len(keys) == len(set(keys))


def test_superseded_source_is_reported_not_conflicting(derive: Derive) -> None:
    found = derive("supersession")
    assert pairs(found, "supersession") == {pair("guide-2019.naproxen-for", "guide-2024.naproxen-against")}
    assert [r for r in found if r.category == "conflict"] == []


def test_another_condition_works_without_code_changes(derive: Derive) -> None:
    found = derive("migraine")
    assert pairs(found, "direct-contradiction") == {
        pair("migraine-review.sumatriptan-first", "headache-society.avoid-triptans")
    }
    (record,) = [r for r in found if r.type == "direct-contradiction"]
    assert record.conditions == ["migraine"]


def test_reviews_survive_rebuilds(derive: Derive, rules_found: list[ConflictRecord], tmp_path: Path) -> None:
    first = rules_found
    target = next(r for r in first if r.type == "class-vs-member")
    reviews = tmp_path / "reviewed.yaml"
    reviews.write_text(
        "version: 1\nreviews:\n"
        f"  - {{conflict: {target.id}, status: dismissed, reviewer: Dr Test, "
        "at: 2026-11-01T10:00:00Z, rationale: bed rest is not what the class recommendation means}\n"
    )
    again = derive("rules", reviews=reviews)
    reviewed = next(r for r in again if r.id == target.id)
    assert reviewed.status == "dismissed"
    assert reviewed.review is not None and reviewed.review["reviewer"] == "Dr Test"


def test_filters(rules_found: list[ConflictRecord], rules_store: Path, project: Project) -> None:
    store = OxigraphStore.open(rules_store, read_only=True)
    by_nsaid = apply_filters(rules_found, Filters(interventions=("nsaid",)), store, project.iris)
    assert {r.type for r in by_nsaid} == {
        "direct-contradiction",
        "first-line-conflict",
        "dose-discordance",
        "class-vs-member",
    }
    only_first = apply_filters(rules_found, Filters(types=("first-line-conflict",)), store, project.iris)
    assert [r.type for r in only_first] == ["first-line-conflict"]
    everything = apply_filters(rules_found, Filters(informational=True), store, project.iris)
    assert len(everything) == len(rules_found)


@pytest.fixture(scope="module")
def seed_findings(project: Project, reasoned_seeds: OxigraphStore) -> list[ConflictRecord]:
    """The findings on the seeds, reasoned once per session (tests/conftest.py)."""
    return load_conflicts(reasoned_seeds, QueryRegistry(project.queries))


LS, DR = "livestrong-back-spasm", "droracle-back-spasm"


def test_seed_disagreements_are_found_with_their_types(seed_findings: list[ConflictRecord]) -> None:
    assert pair(f"{LS}.nsaids-only-for-acute", f"{DR}.muscle-relaxants-first-line") in pairs(
        seed_findings, "first-line-conflict"
    )
    assert pair(f"{LS}.muscle-relaxants-questioned-chronic", f"{DR}.muscle-relaxants-first-line") in pairs(
        seed_findings, "assertion-vs-doubt"
    )
    assert pairs(seed_findings, "class-vs-member") == {pair(f"{LS}.rest-first-line", f"{DR}.avoid-extended-bed-rest")}
    assert pair(f"{DR}.muscle-relaxants-first-line", f"{DR}.hepatic-impairment-contraindication") in pairs(
        seed_findings, "qualification"
    ), "a source's own contraindication qualifies its own recommendation"
    assert not pairs(seed_findings, "recommendation-vs-safety"), "no other source cautions against the seeds' advice"
    assert pair(f"{DR}.muscle-relaxants-first-line", f"{DR}.nsaids-first-line-acute") in pairs(
        seed_findings, "first-line-inconsistency"
    ), "Dr.Oracle names muscle relaxants and NSAIDs each the first-line treatment"


def test_seeds_raise_nothing_a_clinician_would_not_call_a_disagreement(seed_findings: list[ConflictRecord]) -> None:
    kinds = {r.type for r in seed_findings if r.category == "conflict"}
    assert kinds == {"first-line-conflict", "assertion-vs-doubt", "class-vs-member"}
    explained = pairs(seed_findings, "explained-by-context")
    # opioids: "not as first-line therapy" vs "if the pain continues" (later line, chronic)
    assert pair(f"{DR}.avoid-opioids-first-line", f"{LS}.opioids-if-pain-continues") in explained
    # combination therapy: better than NSAIDs alone, no better than cyclobenzaprine alone
    assert (
        pair(f"{DR}.combination-better-than-nsaid-spasm", f"{DR}.combination-not-better-than-cyclobenzaprine")
        in explained
    )
    # agreement: NSAIDs first line in both
    assert pair(f"{LS}.nsaids-only-for-acute", f"{DR}.nsaids-first-line-acute") in pairs(seed_findings, "agreement")


def test_cli_reason_conflicts_and_review(
    evkg: Callable[..., object], writable_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    reviews = tmp_path / "reviews.yaml"
    monkeypatch.setenv("EVKG_REVIEWS", str(reviews))
    result = evkg("reason", "--store", writable_store)
    assert result.exit_code == 0, result.output
    result = evkg("conflicts", "--store", writable_store, "--format", "json", "--type", "class-vs-member")
    (record,) = json.loads(result.output)
    keys = ("id", "category", "type", "severity", "status", "explanation", "sources", "interventions", "conditions")
    for key in (*keys, "claims", "pairs"):
        assert key in record
    assert all(c["quote"] for c in record["claims"])
    result = evkg(
        "review",
        record["id"],
        "--status",
        "confirmed",
        "--reviewer",
        "A. Author",
        "--rationale",
        "bed rest is a kind of rest",
        "--store",
        writable_store,
    )
    assert result.exit_code == 0, result.output
    assert all(p["id"] in reviews.read_text() for p in record["pairs"]), "a decision on a disagreement covers its pairs"
    result = evkg("conflicts", "--store", writable_store, "--format", "csv", "--status", "confirmed")
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("id,type,") and len(lines) == 2 and record["id"] in lines[1]
