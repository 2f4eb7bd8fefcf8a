"""Run the conflict rules inside the store and write the conflicts graph with its provenance."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import StoreError
from kg.namespaces import EVKG, Iris
from kg.owl.inference import Inference, explain_unsatisfiable, infer, tbox_from_store
from kg.owl.reasoner import Reasoner
from kg.project import Finding, Project
from kg.sources.reviews import Review, load_reviews
from kg.sparql.queries import NamedQuery, QueryRegistry
from kg.store.base import Store, constructed, solutions
from kg.store.remote import Location, RemoteStore, derive, open_location, writing

RULE_PREFIX = "conflicts/"
STATUS_NODES = {
    "candidate": EVKG.Candidate,
    "confirmed": EVKG.Confirmed,
    "explained-by-context": EVKG.ExplainedByContextStatus,
    "dismissed": EVKG.Dismissed,
}
Progress = Callable[[str], None]
RULE_WORKERS = max(2, os.cpu_count() or 2)
"""Rules evaluated at once: the store evaluates each query outside Python's lock, so they use every core."""


def n(iri: Any) -> ox.NamedNode:
    return ox.NamedNode(str(iri))


def lit(value: Any, datatype: str | None = None) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode(datatype)) if datatype else ox.Literal(str(value))


XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"
RDF_TYPE = n("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = n("http://www.w3.org/2000/01/rdf-schema#label")
DCT = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"


@dataclass
class ReasonReport:
    """What `evkg reason` did: the reasoner's verdict, counts per rule, timings, findings."""

    reasoner: str = ""
    inferred_triples: int = 0
    per_rule: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    stale_reviews: list[str] = field(default_factory=list)
    failed_rules: dict[str, str] = field(default_factory=dict)
    """Rules a remote server could not evaluate (its error), e.g. Virtuoso 7.2's compiler errors."""

    @property
    def conflicts(self) -> int:
        return sum(self.per_rule.values())


def rules(registry: QueryRegistry) -> list[NamedQuery]:
    """The conflict rules: every query file under queries/conflicts/."""
    return [q for q in registry if q.name.startswith(RULE_PREFIX)]


class RuleRunner:
    """Evaluates the rules in a store and stamps each finding with its rule, run and review."""

    def __init__(self, iris: Iris, reviews: dict[str, Review], run: ox.NamedNode) -> None:
        self.iris, self.reviews, self.run = iris, reviews, run
        self.seen_ids: set[str] = set()

    def timed(self, store: Store, rule: NamedQuery) -> tuple[list[ox.Triple], float]:
        """`evaluate` and the seconds it took."""
        clock = time.perf_counter()
        found = self.evaluate(store, rule)
        return found, time.perf_counter() - clock

    def evaluate(self, store: Store, rule: NamedQuery) -> list[ox.Triple]:
        """The rule's CONSTRUCT result plus identifier, rule, run and status of each finding."""
        triples = list(constructed(store.query(rule.text, base_iri=self.iris.base, hints=True)))
        kinds = (n(EVKG.Conflict), n(EVKG.InformationalFinding))
        findings = {t.subject for t in triples if t.predicate == RDF_TYPE and t.object in kinds}
        explained = {t.subject for t in triples if t.predicate == RDF_TYPE and t.object == n(EVKG.ExplainedByContext)}
        rule_node = n(self.iris.resource("rule", rule.name.removeprefix(RULE_PREFIX)))
        for finding in sorted(findings, key=lambda f: f.value):
            triples.extend(self.stamp(finding, rule_node, finding in explained))
        return triples

    def stamp(self, finding: Any, rule_node: ox.NamedNode, explained: bool) -> Iterable[ox.Triple]:
        ident = finding.value.rsplit("/", 1)[-1]
        self.seen_ids.add(ident)
        yield ox.Triple(finding, n(DCT + "identifier"), lit(ident))
        yield ox.Triple(finding, n(EVKG.rule), rule_node)
        yield ox.Triple(finding, n(PROV + "wasGeneratedBy"), self.run)
        review = self.reviews.get(ident)
        if review:
            yield from review_triples(finding, review)
        else:
            yield ox.Triple(
                finding, n(EVKG.status), n(STATUS_NODES["explained-by-context" if explained else "candidate"])
            )

    def describe_rule(self, rule: NamedQuery) -> Iterable[ox.Triple]:
        node = n(self.iris.resource("rule", rule.name.removeprefix(RULE_PREFIX)))
        yield ox.Triple(node, RDF_TYPE, n(EVKG.Rule))
        yield ox.Triple(node, RDFS_LABEL, lit(rule.title))
        yield ox.Triple(node, n(DCT + "description"), lit(rule.description))
        yield ox.Triple(node, n("http://www.w3.org/1999/02/22-rdf-syntax-ns#value"), lit(rule.text))
        yield ox.Triple(node, n(DCT + "source"), lit(f"queries/{rule.name}.rq"))
        yield ox.Triple(self.run, n(PROV + "used"), node)


REVIEW_PREDICATES = frozenset(n(p) for p in (EVKG.status, EVKG.reviewer, EVKG.reviewedAt, EVKG.rationale))


def review_triples(finding: ox.NamedNode, review: Review) -> Iterable[ox.Triple]:
    """A finding's status as a review decided it: the status, who, when and why."""
    yield ox.Triple(finding, n(EVKG.status), n(STATUS_NODES[review.status]))
    yield ox.Triple(finding, n(EVKG.reviewer), lit(review.reviewer))
    yield ox.Triple(finding, n(EVKG.reviewedAt), lit(review.at.isoformat(), XSD_DATETIME))
    yield ox.Triple(finding, n(EVKG.rationale), lit(review.rationale))


def apply_reviews(where: Location, iris: Iris, reviews: Sequence[Review]) -> None:
    """Write review decisions into the live conflicts graph at once (a new generation; no re-reasoning)."""
    graph = str(iris.graph("conflicts"))
    decided = {n(iris.resource("conflict", review.conflict)): review for review in reviews}

    def change(store: Store) -> None:
        kept = [t for t in store.triples(graph) if t.subject not in decided or t.predicate not in REVIEW_PREDICATES]
        store.replace_graph(graph, kept + [t for f, r in decided.items() for t in review_triples(f, r)])

    derive(where, change)


def ntriples(triples: Iterable[ox.Triple]) -> bytes:
    """Triples as N-Triples bytes (pyoxigraph returns None for an empty list)."""
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""


def run_triples(run: ox.NamedNode, iris: Iris, reasoner: str, started: dt.datetime) -> list[ox.Triple]:
    """PROV-O description of one reasoning run and the software that did it."""
    agent = n(iris.resource("agent", f"{reasoner}-owlready2"))
    ended = dt.datetime.now(dt.UTC)
    return [
        ox.Triple(run, RDF_TYPE, n(EVKG.ReasoningRun)),
        ox.Triple(run, RDFS_LABEL, lit(f"evkg reason at {started.isoformat(timespec='seconds')}")),
        ox.Triple(run, n(PROV + "startedAtTime"), lit(started.isoformat(), XSD_DATETIME)),
        ox.Triple(run, n(PROV + "endedAtTime"), lit(ended.isoformat(), XSD_DATETIME)),
        ox.Triple(run, n(PROV + "wasAssociatedWith"), agent),
        ox.Triple(agent, RDF_TYPE, n(PROV + "SoftwareAgent")),
        ox.Triple(
            agent,
            RDFS_LABEL,
            lit(
                f"{'HermiT' if reasoner == 'hermit' else 'Pellet'} through owlready2 "
                f"{version('owlready2')}, EvidenceKG {version('evidencekg')}"
            ),
        ),
    ]


def declared_in(store: Store, iris: Iris) -> dict[str, str]:
    """Term IRI -> the file that declares it (vocabulary or a source file)."""
    query = (
        "SELECT ?t ?g ?file WHERE { GRAPH ?g { ?t a owl:Class } OPTIONAL { GRAPH ?g { ?s evkg:curationFile ?file } } }"
    )
    found = {}
    for row in solutions(store.query(query, union_default_graph=False)):
        graph = row["g"].value
        name = "ontology/vocabulary.yaml" if graph == str(iris.vocabulary_graph) else graph
        found[row["t"].value] = f"sources/{row['file'].value}" if row["file"] is not None else name
    return found


def classified(
    live: Store, iris: Iris, registry: QueryRegistry, reasoner: Reasoner, report: ReasonReport, progress: Progress
) -> Inference | None:
    """The reasoner's closure of the store's ontology and terms; None when they are inconsistent or a
    class is unsatisfiable (the report then holds the findings, each naming the file to fix)."""
    tbox = tbox_from_store(live, iris, registry.resolve("reasoning/tbox").text)
    progress(f"classifying {len(tbox)} ontology and term triples with {reasoner}")
    clock = time.perf_counter()
    inference = infer(tbox, reasoner)
    report.seconds["reasoner"] = time.perf_counter() - clock
    if not inference.report.consistent or inference.report.unsatisfiable:
        report.findings = explain_unsatisfiable(tbox, inference.report, declared_in(live, iris))
        return None
    return inference


def reason(
    project: Project,
    store_path: Location,
    reviews_path: Path,
    reasoner: Reasoner = "hermit",
    progress: Progress = lambda _: None,
) -> ReasonReport:
    """Reasoner + conflict rules -> new generation with the inferred and conflicts graphs."""
    with writing(store_path, "evkg reason"):  # from reading the terms to the swap: one writer
        return _reason(project, store_path, reviews_path, reasoner, progress)


def _reason(
    project: Project, store_path: Location, reviews_path: Path, reasoner: Reasoner, progress: Progress
) -> ReasonReport:
    report = ReasonReport(reasoner=reasoner)
    started = dt.datetime.now(dt.UTC)
    registry = QueryRegistry(project.queries)
    with open_location(store_path, read_only=True) as live:
        inference = classified(live, project.iris, registry, reasoner, report, progress)
    if inference is None:
        return report
    reviews = load_reviews(reviews_path)
    run = n(project.iris.resource("run", started.strftime("%Y%m%dT%H%M%S%fZ")))

    def change(store: Store) -> None:
        store.replace_graph(str(project.iris.graph("conflicts")), [])  # findings are never input to a run
        questions = registry.resolve("reasoning/questions")
        inferred = write_inferred(store, project.iris, inference, questions, report, run)
        progress(
            f"clinical questions: {report.inferred_triples} inferred triples in {report.seconds['questions']:.2f} s"
        )
        progress(f"compaction: storage reorganized for the rules in {report.seconds['compaction']:.2f} s")
        runner = RuleRunner(project.iris, reviews, run)
        # Each rule's findings are kept serialized, not as Python objects (millions at a million claims).
        written = [ntriples(run_triples(run, project.iris, reasoner, started))]
        # The store evaluates a query without holding Python's lock, so rules run side by side.
        with ThreadPoolExecutor(max_workers=RULE_WORKERS) as pool:
            pending = [(rule, pool.submit(runner.timed, store, rule)) for rule in rules(registry)]
            while pending:
                rule, future = pending.pop(0)
                try:
                    found, seconds = future.result()
                except StoreError as exc:
                    if not isinstance(store_path, RemoteStore):
                        raise
                    report.failed_rules[rule.name] = str(exc)
                    continue
                report.seconds[rule.name] = seconds
                report.per_rule[rule.name] = sum(1 for t in found if t.predicate == n(EVKG.rule))
                progress(f"{rule.name}: {report.per_rule[rule.name]} in {seconds:.2f} s")
                found.extend(runner.describe_rule(rule))
                written.append(ntriples(found))
                del found, future
        graph = str(project.iris.graph("conflicts"))
        store.replace_graph(graph, [])
        store.load_bytes(b"".join(written), graph=graph)
        report.stale_reviews = sorted(set(reviews) - runner.seen_ids)
        write_types(store, project.iris, registry.resolve("reasoning/types"), inferred, report)
        progress(f"instance types: {report.inferred_triples} inferred triples in {report.seconds['types']:.2f} s")

    derive(store_path, change)
    return report


def write_inferred(
    store: Store, iris: Iris, inference: Inference, questions: NamedQuery, report: ReasonReport, run: ox.NamedNode
) -> bytes:
    """Replace the inferred graph with the closure, coveredBy, the run's provenance, then the
    clinical questions each claim addresses (derived in the store from that closure); return what
    it wrote, as N-Triples."""
    graph = str(iris.graph("inferred"))
    closure = [ox.Triple(n(s), n(p), n(o)) for s, p, o in inference.triples]
    closure.append(ox.Triple(n(graph), n(PROV + "wasGeneratedBy"), run))
    store.replace_graph(graph, closure)
    clock = time.perf_counter()
    # Serialized by the store, never as Python objects: millions of triples at a million claims.
    derived = constructed(store.query(questions.text, base_iri=iris.base, hints=True))
    questions_nt = derived.serialize(format=ox.RdfFormat.N_TRIPLES) or b""
    written = ntriples(closure) + questions_nt
    store.replace_graph(graph, [])
    store.load_bytes(written, graph=graph)
    report.seconds["questions"] = time.perf_counter() - clock
    clock = time.perf_counter()
    store.compact()
    report.seconds["compaction"] = time.perf_counter() - clock
    report.inferred_triples = store.count(graph)
    return written


def write_types(store: Store, iris: Iris, types: NamedQuery, inferred: bytes, report: ReasonReport) -> None:
    """Add to the inferred graph every instance's types up the class hierarchy, derived in the store
    once the conflicts graph is written (so findings are typed too, and the rules see stated types only)."""
    graph = str(iris.graph("inferred"))
    clock = time.perf_counter()
    derived = constructed(store.query(types.text, base_iri=iris.base, hints=True))
    types_nt = derived.serialize(format=ox.RdfFormat.N_TRIPLES) or b""
    if isinstance(store, RemoteStore):  # its load replaces the graph: the whole graph again, one move
        store.load_bytes(inferred + types_nt, graph=graph)
    else:  # the embedded bulk load adds to the graph
        store.load_bytes(types_nt, graph=graph)
    report.seconds["types"] = time.perf_counter() - clock
    report.inferred_triples = store.count(graph)
