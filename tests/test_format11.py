"""Sources format 1.1: each addition loads, reaches the graph, and leaves version-1 behaviour alone.

Fixtures: tests/fixtures/format11-fields (every new field, with a version-1 source to pair with),
format11-paraphrase (a licensed guideline without text) and format11-relations (term relations
a source states about terms declared elsewhere)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, PROV, RDFS
from support import copy_fixtures

from kg.audit import ConflictRecord, load_conflicts, to_csv, to_table
from kg.build import Dataset, assemble, build, check
from kg.conflicts import reason
from kg.errors import SourceError
from kg.namespaces import EVKG, OA
from kg.project import Project
from kg.sparql.queries import QueryRegistry
from kg.store.oxigraph import OxigraphStore

ID = "https://w3id.org/evidencekg/id/"
TERM = ID + "term/"


def claim(source: str, name: str, part: str = "") -> URIRef:
    return URIRef(f"{ID}claim/{source}.{name}{part}")


def graph_of(dataset: Dataset, source: str) -> Graph:
    return dataset.graphs[f"https://w3id.org/evidencekg/graph/source/{source}"]


@pytest.fixture(scope="module")
def fields(project: Project) -> Dataset:
    return assemble(replace(project, sources=Path(__file__).parent / "fixtures" / "format11-fields"))


@pytest.fixture(scope="module")
def derived(project: Project, tmp_path_factory: pytest.TempPathFactory) -> list[ConflictRecord]:
    """The findings of every format-1.1 fixture built and reasoned together, once for the module."""
    folder = tmp_path_factory.mktemp("format11")
    sources = copy_fixtures(folder / "sources", "format11-fields", "format11-paraphrase", "format11-relations")
    here = replace(project, sources=sources)
    build(here, folder / "store")
    assert reason(here, folder / "store", folder / "reviews.yaml").findings == []
    return load_conflicts(OxigraphStore.open(folder / "store", read_only=True), QueryRegistry(here.queries))


def pairs(records: list[ConflictRecord], kind: str) -> set[frozenset[str]]:
    return {frozenset(f"{c.source}.{c.id}" for c in r.claims) for r in records if r.type == kind}


# ---------------------------------------------------------------- 1. paraphrases
def test_a_paraphrase_is_unverified_and_apart_from_the_exact_words(project: Project) -> None:
    dataset = assemble(replace(project, sources=Path(__file__).parent / "fixtures" / "format11-paraphrase"))
    graph = graph_of(dataset, "licensed")
    annotation = claim("licensed", "heat-not-advised", "#quote")
    assert graph.value(annotation, EVKG.quoteVerified) == Literal(False)
    assert "not advised" in str(graph.value(annotation, EVKG.paraphrase))
    assert all("not advised" not in str(exact) for exact in graph.objects(None, OA.exact))
    assert graph.value(annotation, OA.hasTarget / OA.hasSelector) is None
    assert graph.value(claim("licensed", "heat-not-advised"), EVKG.locator) == Literal("Recommendation 4.2")
    quoted = claim("licensed", "stay-active", "#text-quote")
    assert graph.value(quoted, OA.exact) == Literal("Advise people to stay active.")


def test_paraphrased_claims_are_marked_in_the_conflict_exports(derived: list[ConflictRecord]) -> None:
    (record,) = [r for r in derived if {c.id for c in r.claims} == {"heat-not-advised", "heat-acute"}]
    side = next(c for c in record.claims if c.id == "heat-not-advised")
    assert side.paraphrased and record.as_json()["paraphrased"] == ["heat-not-advised"]
    assert "(paraphrase) Heat is not advised" in to_csv([record])
    assert "(paraphrase) Heat is not advised" in to_table([record])


PARAPHRASE_MISTAKES = [
    ("paraphrase without locator", "    locator: Recommendation 4.2\n", "", "has no locator", "id: heat-not-advised"),
    (
        "quote and paraphrase",
        "    paraphrase: Heat",
        "    quote: Heat is not advised.\n    paraphrase: Heat",
        "not both",
        "id: heat-not-advised",
    ),
    ("paraphrase in version 1", 'version: "1.1"', "version: 1", 'version: "1.1"', "paraphrase: Heat"),
    ("unknown version", 'version: "1.1"', "version: 2", "version", "version: 2"),
]


@pytest.mark.parametrize(
    ("what", "old", "new", "words", "anchor"), PARAPHRASE_MISTAKES, ids=[m[0] for m in PARAPHRASE_MISTAKES]
)
def test_paraphrase_mistakes_name_file_line_and_fix(
    sources_dir: Callable[..., Path],
    project_with: Callable[[Path], Project],
    what: str,
    old: str,
    new: str,
    words: str,
    anchor: str,
) -> None:
    path = sources_dir("format11-paraphrase") / "licensed.yaml"
    broken = path.read_text().replace(old, new, 1)
    path.write_text(broken)
    with pytest.raises(SourceError) as caught:
        assemble(project_with(path.parent))
    problem = next(p for p in caught.value.problems if words in str(p))
    assert problem.path == path and problem.fix
    assert problem.line == broken[: broken.index(anchor)].count("\n") + 1, str(problem)


def test_a_source_with_text_still_needs_verified_quotes(
    sources_dir: Callable[..., Path], project_with: Callable[[Path], Project]
) -> None:
    path = sources_dir("format11-fields") / "fields.yaml"
    path.write_text(path.read_text().replace("    quote: Arrange a follow-up", "    paraphrase: Arrange a follow-up"))
    with pytest.raises(SourceError, match="paraphrases a source that has a text") as caught:
        assemble(project_with(path.parent))
    assert "quote:" in str(caught.value)


# ---------------------------------------------------------------- 2. phase lists
def test_a_phase_list_is_written_as_one_phase_each(fields: Dataset) -> None:
    graph = graph_of(fields, "fields")
    node = claim("fields", "nsaid-acute-or-subacute")
    assert set(graph.objects(node, EVKG.phase)) == {EVKG.Acute, EVKG.Subacute}
    assert str(graph.value(node, RDFS.label)).endswith("(acute or subacute)")


def test_rules_treat_a_phase_list_as_the_union(derived: list[ConflictRecord]) -> None:
    listed = "fields.nsaid-acute-or-subacute"
    assert frozenset({listed, "other.no-nsaids-acute"}) in pairs(derived, "direct-contradiction")
    assert frozenset({listed, "other.no-nsaids-chronic"}) not in pairs(derived, "direct-contradiction")
    explained = pairs(derived, "explained-by-context")
    assert frozenset({listed, "other.no-nsaids-chronic"}) in explained
    assert frozenset({listed, "other.no-nsaids-acute"}) not in explained


# ---------------------------------------------------------------- 3. timing
def test_timing_has_start_end_and_reference(fields: Dataset) -> None:
    graph = graph_of(fields, "fields")
    start = graph.value(graph.value(claim("fields", "nsaid-acute-or-subacute"), EVKG.timing), EVKG.timingStart)
    assert (float(graph.value(start, EVKG.spanMin)), graph.value(start, EVKG.spanUnit)) == (24.0, Literal("hour"))
    timing = graph.value(claim("fields", "nsaid-acute-or-subacute"), EVKG.timing)
    assert graph.value(timing, EVKG.relativeTo) == EVKG.Onset
    follow_up = graph.value(claim("fields", "follow-up"), EVKG.timing)
    end = graph.value(follow_up, EVKG.timingEnd)
    assert (float(graph.value(end, EVKG.minDays)), float(graph.value(end, EVKG.maxDays))) == (7.0, 14.0)
    assert graph.value(follow_up, EVKG.timingStart) is None
    dose_timing = graph.value(claim("fields", "ibuprofen-lowest-dose"), EVKG.timing)
    assert graph.value(dose_timing, EVKG.relativeTo) == EVKG.TreatmentStart


def test_a_timing_needs_a_bound(sources_dir: Callable[..., Path], project_with: Callable[[Path], Project]) -> None:
    path = sources_dir("format11-fields") / "fields.yaml"
    broken = path.read_text().replace("timing: {end: {min: 1, max: 2, unit: week}}", "timing: {relative_to: onset}")
    path.write_text(broken)
    with pytest.raises(SourceError, match="needs `start`, `end` or both") as caught:
        assemble(project_with(path.parent))
    assert caught.value.problems[0].line == broken[: broken.index("timing: {relative_to")].count("\n") + 1


# ---------------------------------------------------------------- 4. term relations
def test_relations_live_in_the_stating_source_graph_with_provenance(project: Project) -> None:
    dataset = assemble(replace(project, sources=Path(__file__).parent / "fixtures" / "format11-relations"))
    graph = graph_of(dataset, "spasm")
    spasm, lbp = URIRef(TERM + "back-muscle-spasm"), URIRef(TERM + "lumbar-pain")
    assert (spasm, EVKG.partlyOverlaps, lbp) in graph
    assert (URIRef(TERM + "rest"), EVKG.opposes, URIRef(TERM + "staying-active")) in graph
    assert (URIRef(TERM + "heat-therapy"), RDFS.subClassOf, URIRef(TERM + "physical-therapy")) in graph
    axiom = next(graph.subjects(OWL.annotatedTarget, lbp))
    assert graph.value(axiom, PROV.wasDerivedFrom) == URIRef(ID + "source/spasm")
    elsewhere = [g for name, g in dataset.graphs.items() if not name.endswith("/spasm")]
    assert not [t for g in elsewhere for t in g.triples((spasm, EVKG.partlyOverlaps, None))]


def test_overlapping_conditions_meet_in_a_clinical_question(derived: list[ConflictRecord]) -> None:
    assert frozenset({"lumbar.heat-for-lbp", "spasm.no-heat"}) in pairs(derived, "direct-contradiction")


def test_without_the_relation_the_conditions_do_not_meet(project: Project, tmp_path: Path) -> None:
    sources = copy_fixtures(tmp_path / "sources", "format11-relations")
    path = sources / "spasm.yaml"
    path.write_text(path.read_text().replace("  - {term: back-muscle-spasm, overlaps: [lumbar-pain]}\n", ""))
    here = replace(project, sources=sources)
    build(here, tmp_path / "store")
    report = reason(here, tmp_path / "store", tmp_path / "reviews.yaml")
    assert report.per_rule["conflicts/direct-contradiction-conflict"] == 0


def test_extra_parents_change_the_closure_and_relations_go_both_ways(project: Project, tmp_path: Path) -> None:
    here = replace(project, sources=copy_fixtures(tmp_path / "sources", "format11-relations"))
    build(here, tmp_path / "store")
    reason(here, tmp_path / "store", tmp_path / "reviews.yaml")
    store = OxigraphStore.open(tmp_path / "store", read_only=True)
    inferred = "https://w3id.org/evidencekg/graph/inferred"
    ask = "ASK { GRAPH <%s> { <%s> <%s> <%s> } }"
    heat, physio = TERM + "heat-therapy", TERM + "physical-therapy"
    assert store.query(ask % (inferred, heat, EVKG.coveredBy, physio)).__bool__()
    assert store.query(ask % (inferred, TERM + "staying-active", EVKG.opposes, TERM + "rest")).__bool__()
    assert store.query(
        ask % (inferred, TERM + "lumbar-pain", EVKG.partlyOverlaps, TERM + "back-muscle-spasm")
    ).__bool__()


RELATION_MISTAKES = [
    ("unknown term", "{term: rest,", "{term: restt,", "unknown term `restt`"),
    ("parent of another kind", "also_under: [physical-therapy]", "also_under: [back-pain]", "condition term"),
    (
        "parent below the term",
        "{term: heat-therapy, also_under: [physical-therapy]}",
        "{term: non-pharmacologic, also_under: [heat-therapy]}",
        "is `non-pharmacologic` or below it",
    ),
    (
        "overlap of interventions",
        "overlaps: [lumbar-pain]",
        "overlaps: [rest]",
        "relates condition or population-group",
    ),
    ("opposes a condition", "opposes: [staying-active]", "opposes: [back-pain]", "relates intervention terms"),
]


@pytest.mark.parametrize(("what", "old", "new", "words"), RELATION_MISTAKES, ids=[m[0] for m in RELATION_MISTAKES])
def test_relation_mistakes_name_file_and_line(
    sources_dir: Callable[..., Path], project_with: Callable[[Path], Project], what: str, old: str, new: str, words: str
) -> None:
    path = sources_dir("format11-relations") / "spasm.yaml"
    text = path.read_text()
    assert old in text
    broken = text.replace(old, new, 1)
    path.write_text(broken)
    with pytest.raises(SourceError) as caught:
        assemble(project_with(path.parent))
    problem = next(p for p in caught.value.problems if words in str(p))
    assert problem.path == path and problem.fix
    assert problem.line == broken[: broken.index(new)].count("\n") + 1


# ---------------------------------------------------------------- 5. grading, findings, qualitative amounts
def test_strength_certainty_and_finding_on_every_kind(fields: Dataset) -> None:
    graph = graph_of(fields, "fields")
    assert graph.value(claim("fields", "nsaid-obesity"), EVKG.strength) == EVKG.Strong
    assert graph.value(claim("fields", "nsaid-obesity"), EVKG.certainty) == EVKG.VeryLowCertainty
    assert graph.value(claim("fields", "exercise-vs-usual-care"), EVKG.strength) == EVKG.Strong
    assert graph.value(claim("fields", "smr-somnolence"), EVKG.finding) == EVKG.Harm
    assert graph.value(claim("fields", "smr-no-fatigue"), EVKG.finding) == EVKG.NoDifference
    assert graph.value(claim("fields", "ibuprofen-lowest-dose"), EVKG.certainty) == EVKG.LowCertainty


def test_purpose_scale_and_control(fields: Dataset) -> None:
    graph = graph_of(fields, "fields")
    assert graph.value(claim("fields", "nsaid-acute-or-subacute"), EVKG.purpose) == URIRef(TERM + "pain-relief")
    estimate = claim("fields", "exercise-vs-usual-care", "#estimate")
    assert graph.value(estimate, EVKG.scale) == Literal("0-10 pain scale")
    assert graph.value(claim("fields", "exercise-vs-usual-care"), EVKG.comparator) == URIRef(TERM + "usual-care")
    assert fields.terms.is_a("usual-care", "control") and fields.terms.is_a("placebo", "control")


def test_qualitative_dose_and_duration_are_written_and_never_compared(
    fields: Dataset, derived: list[ConflictRecord]
) -> None:
    graph = graph_of(fields, "fields")
    assert graph.value(claim("fields", "nsaid-acute-or-subacute", "#dose"), EVKG.qualifier) == EVKG.LowestEffective
    assert graph.value(claim("fields", "nsaid-acute-or-subacute", "#duration"), EVKG.qualifier) == EVKG.ShortestPossible
    assert not [r for r in derived if r.type == "dose-discordance"]


# ---------------------------------------------------------------- 6. subgroups, located findings, hints
def test_a_condition_is_accepted_as_a_subgroup(fields: Dataset, project: Project) -> None:
    summary = check(replace(project, sources=Path(__file__).parent / "fixtures" / "format11-fields"))
    assert summary.findings == []
    assert graph_of(fields, "fields").value(claim("fields", "nsaid-obesity"), EVKG.subgroup) == URIRef(TERM + "obesity")


def test_a_key_of_another_kind_names_the_kinds_that_take_it(
    sources_dir: Callable[..., Path], project_with: Callable[[Path], Project]
) -> None:
    path = sources_dir("format11-fields") / "fields.yaml"
    path.write_text(path.read_text().replace("    finding: no-difference\n", "    timepoint: {max: 2, unit: week}\n"))
    with pytest.raises(SourceError) as caught:
        assemble(project_with(path.parent))
    assert "`timepoint` is a key of evidence claims, not of adverse-effect claims" in str(caught.value)


def test_data_check_and_shape_findings_name_file_and_line(
    project: Project, sources_dir: Callable[..., Path], tmp_path: Path
) -> None:
    queries = tmp_path / "queries"
    (queries / "checks").mkdir(parents=True)
    (queries / "checks" / "noted-violation.rq").write_text(
        "# title: Claims with a purpose\n# description: A test check: every claim with a purpose is a finding.\n"
        "SELECT ?focus ?message WHERE { ?focus evkg:purpose ?p BIND ('has a purpose' AS ?message) }\n"
    )
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        Path(project.shapes).read_text() + "\nshapes:NoScale a sh:NodeShape ; sh:targetClass evkg:EffectEstimate ;\n"
        "    sh:property [ sh:path evkg:scale ; sh:maxCount 0 ] .\n"
    )
    directory = sources_dir("format11-fields")
    summary = check(replace(project, sources=directory, queries=queries, shapes=shapes))
    text = (directory / "fields.yaml").read_text()
    by_check = {f.check: f for f in summary.findings}
    assert by_check["noted-violation"].path == directory / "fields.yaml"
    assert by_check["noted-violation"].line == text[: text.index("id: nsaid-acute-or-subacute")].count("\n") + 1
    assert by_check["shacl"].line == text[: text.index("id: exercise-vs-usual-care")].count("\n") + 1
    assert str(by_check["shacl"]).startswith(f"{directory / 'fields.yaml'}:")


def test_a_declared_term_may_overlap_and_oppose(
    sources_dir: Callable[..., Path], project_with: Callable[[Path], Project]
) -> None:
    path = sources_dir("format11-relations") / "lumbar.yaml"
    text = path.read_text().replace("version: 1", 'version: "1.1"')
    path.write_text(text.replace("parent: back-pain}", "parent: back-pain, overlaps: [back-muscle-spasm]}"))
    graph = graph_of(assemble(project_with(path.parent)), "lumbar")
    assert (URIRef(TERM + "lumbar-pain"), EVKG.partlyOverlaps, URIRef(TERM + "back-muscle-spasm")) in graph
    path.write_text(text.replace("parent: back-pain}", "parent: back-pain, opposes: [rest]}"))
    with pytest.raises(SourceError, match="`opposes` relates intervention terms") as caught:
        assemble(project_with(path.parent))
    assert caught.value.problems[0].line == text[: text.index("- {id: lumbar-pain")].count("\n") + 1
