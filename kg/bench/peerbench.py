"""SPARQL over HTTP against its peers: the named queries, timed one by one and under concurrent clients.

Each named query of queries/ (top level) gets its parameters filled from data present in the
synthetic corpus and bound the way `kg.store.remote_sparql` sends them to any SPARQL server (a VALUES
block, the usual prefixes declared), so every peer receives the same text. Per peer and query: one
warm-up run whose rows are counted (the cross-check: every peer must return the same number of
rows), then up to `iterations` timed runs (fewer once `budget` seconds are spent; none after a
timeout). Then `clients` threads run the mix of queries that the in-process floor answered, for at
most `rounds` passes each and `load_seconds`, and the queries answered per second are counted.
"""

from __future__ import annotations

import contextlib
import math
import re
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.bench.peers import TIMEOUT, HttpPeer, Load, OxigraphPeer, ServicePeer
from kg.bench.peerservers import RdflibPeer, VirtuosoPeer
from kg.bench.synthetic import Corpus, Plant
from kg.namespaces import Iris
from kg.sparql.queries import NamedQuery, QueryRegistry
from kg.store.oxigraph import CURRENT
from kg.store.remote_sparql import prepare

HTTP_PEERS = ("service", "rdflib-endpoint", "virtuoso")
"""The peers besides pyoxigraph in-process, which is always measured (it is the floor of every ratio)."""
LABELS = {
    "pyoxigraph": "pyoxigraph in-process",
    "service": "evkg serve",
    "rdflib-endpoint": "rdflib-endpoint",
    "virtuoso": "Virtuoso",
}
_JOIN_HEAVY = re.compile(r"rdfs:subClassOf[+*]|\bUNION\b", re.I)
Progress = Callable[[str], None]


@dataclass
class Options:
    """How the query benchmark runs (see `evkg bench --help`)."""

    queries: bool = True
    peers: tuple[str, ...] = HTTP_PEERS
    max_claims: dict[str, int] = field(default_factory=lambda: {"rdflib-endpoint": 100_000})
    iterations: int = 20
    budget: float = 60.0
    timeout: float = 30.0
    clients: int = 4
    load_seconds: float = 20.0
    limit: float = 3600.0


@dataclass
class Case:
    """A named query with its parameters filled: the text every peer receives."""

    name: str
    text: str
    parameters: dict[str, str]
    join_heavy: bool


@dataclass
class Timing:
    """One query on one peer: rows of the warm-up run and the timed runs' seconds, or its failure."""

    rows: int | None = None
    samples: list[float] = field(default_factory=list)
    error: str | None = None
    server: list[dict[str, float]] = field(default_factory=list)
    """The timed runs' Server-Timing steps, in seconds (only `evkg serve` sends them)."""

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    def step_median(self, step: str) -> float | None:
        """The median over the timed runs of one Server-Timing step."""
        values = [steps[step] for steps in self.server if step in steps]
        return statistics.median(values) if values else None

    @property
    def p95(self) -> float | None:
        if not self.samples:
            return None
        ordered = sorted(self.samples)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


@dataclass
class PeerRun:
    """What one peer did at one size: its set-up, each query's timing, the concurrent load."""

    peer: str
    status: str = "ok"
    load_seconds: float | None = None
    memory_mb: float | None = None
    timings: dict[str, Timing] = field(default_factory=dict)
    load: Load | None = None


# ------------------------------------------------------------------ the workload
def join_heavy(query: NamedQuery) -> bool:
    """Whether the query walks the class hierarchy (`rdfs:subClassOf+`/`*`) or unions alternatives."""
    body = "\n".join(line.split("#", 1)[0] for line in query.text.splitlines())
    return bool(_JOIN_HEAVY.search(body))


PLANTED_SOURCES = {
    "recommendation-vs-safety": 1,  # the contraindication's source
    "first-line-conflict": 0,  # an exclusive first-line recommendation
    "evidence-contradiction": 0,  # effect estimates with confidence intervals
}
"""Planted pairs whose source is a parameter candidate (which claim of the pair names the source)."""


@dataclass
class CorpusSummary:
    """What the benchmark needs of a corpus once it is written: a million claims' dicts are not kept."""

    claims: int
    sources: dict[str, int]
    """Claims per source id."""
    plants: list[Plant]
    conditions: list[str]

    @classmethod
    def of(cls, corpus: Corpus) -> CorpusSummary:
        sources = {s.id: len(s.claims) for s in corpus.sources}
        return cls(corpus.claims, sources, list(corpus.plants), list(corpus.conditions))


def candidates(corpus: CorpusSummary) -> dict[str, list[str]]:
    """Parameter values present in the corpus, by parameter: a full source and sources of the claim
    kinds background sources lack, a drug family and one of its members, a background condition
    (about 500 claims at any size)."""
    most = max(corpus.sources.values())
    full = [source for source, claims in corpus.sources.items() if claims == most]
    planted = {}
    for plant in corpus.plants:
        if plant.kind in PLANTED_SOURCES and plant.kind not in planted:
            planted[plant.kind] = plant.claims[PLANTED_SOURCES[plant.kind]].rsplit(".", 1)[0]
    conditions = [c for c in corpus.conditions if c.startswith("background")]
    return {
        "source": [full[len(full) // 2], *(planted[kind] for kind in PLANTED_SOURCES if kind in planted)],
        "condition": conditions[:1],
        "term": ["family-1", "drug-1-0"],
    }


def workload(
    registry: QueryRegistry, iris: Iris, corpus: CorpusSummary, floor: OxigraphPeer, timeout: float
) -> list[Case]:
    """Every named query with parameters filled: per parameter, the first candidate that gives rows in-process."""
    values = candidates(corpus)
    cases = []
    for query in registry.examples():
        chosen: dict[str, str] = {}
        for parameter in query.parameters:
            options = values.get(parameter.name) or values.get(parameter.type) or []
            for option in options:
                chosen[parameter.name] = option
                if floor.ask(make_case(query, iris, chosen).text, timeout).rows:
                    break
            else:  # none gives rows: the first one
                chosen.update({parameter.name: options[0]} if options else {})
        cases.append(make_case(query, iris, chosen))
    return cases


def make_case(query: NamedQuery, iris: Iris, raw: dict[str, str]) -> Case:
    """The query text with `raw` bound (IRIs built as `evkg query --param` builds them)."""
    bindings = query.bindings(raw, iris) if raw else None
    return Case(query.name, prepare(query.text, bindings, None), raw, join_heavy(query))


# ------------------------------------------------------------------ measuring
def time_query(peer: Any, case: Case, options: Options) -> Timing:
    """Warm-up (rows counted), then timed runs until `iterations` or the budget; a failure stops it."""
    warm = peer.ask(case.text, options.timeout, count=True)
    if warm.error:
        return Timing(error=warm.error)
    timing = Timing(rows=warm.rows)
    spent_until = time.monotonic() + options.budget
    for _ in range(options.iterations):
        outcome = peer.ask(case.text, options.timeout)
        if outcome.error:
            timing.error = outcome.error
            break
        timing.samples.append(outcome.seconds)
        if outcome.server is not None:
            timing.server.append(outcome.server)
        if time.monotonic() > spent_until and len(timing.samples) >= min(3, options.iterations):
            break
    return timing


def measure(peer: Any, run: PeerRun, cases: list[Case], mix: list[str], options: Options, say: Progress) -> None:
    """Time every case on the peer, then run the concurrent mix; fill `run`."""
    for case in cases:
        timing = run.timings[case.name] = time_query(peer, case, options)
        say(f"{LABELS[run.peer]}: {case.name}: {describe(timing, options)}")
    if mix:
        run.load = peer.load(mix, options.clients, options.load_seconds, options.iterations, options.timeout)
        say(
            f"{LABELS[run.peer]}: {options.clients} clients: {run.load.per_second:.1f} queries/s "
            f"({run.load.completed} answered, {run.load.errors} failed in {run.load.seconds:.1f} s)"
        )
    run.memory_mb = peer.memory_mb()


def describe(timing: Timing, options: Options) -> str:
    """A progress line for one query's timing."""
    if timing.error == TIMEOUT and not timing.samples:
        return f"timed out (> {options.timeout:g} s)"
    if timing.median is None:
        return f"failed: {timing.error}"
    text = f"{timing.rows} rows, median {timing.median * 1000:.1f} ms, p95 {timing.p95 * 1000:.1f} ms"  # type: ignore[operator]
    return text + f" ({len(timing.samples)} runs)" + (f", then {timing.error}" if timing.error else "")


def dump_nquads(store: Path, target: Path) -> int:
    """Write the store's live generation as N-Quads to `target`; return the number of quads."""
    target.parent.mkdir(parents=True, exist_ok=True)
    live = ox.Store.read_only(str((store / CURRENT).resolve()))
    live.dump(output=str(target), format=ox.RdfFormat.N_QUADS)
    return len(live)


@contextlib.contextmanager
def started(
    name: str, store: Path, folder: Path, dump: Path, quads: int, base: str, options: Options
) -> Iterator[HttpPeer]:
    """Start one HTTP peer over the size's data; stop it on the way out, whatever happens."""
    peer: HttpPeer
    if name == "service":
        peer = ServicePeer.start(store, options.timeout, folder / "serve.log")
    elif name == "rdflib-endpoint":
        peer = RdflibPeer.start(dump, quads, folder / "rdflib-endpoint.log", options.limit)
    else:
        peer = VirtuosoPeer.start(folder / "virtuoso", dump, quads, base, options.limit)
    try:
        yield peer
    finally:
        peer.stop()


def run_peers(
    store: Path,
    corpus: CorpusSummary,
    registry: QueryRegistry,
    iris: Iris,
    folder: Path,
    options: Options,
    say: Progress,
) -> tuple[list[Case], list[PeerRun]]:
    """Measure the in-process floor, then every chosen HTTP peer, one at a time (each alone on the machine)."""
    floor = OxigraphPeer(store)
    try:
        cases = workload(registry, iris, corpus, floor, options.timeout)
        runs = [PeerRun("pyoxigraph")]
        measure(floor, runs[0], cases, [], options, say)
        mix = [c.text for c in cases if runs[0].timings[c.name].error is None]
        runs[0].load = floor.load(mix, options.clients, options.load_seconds, options.iterations, options.timeout)
        say(f"{LABELS['pyoxigraph']}: {options.clients} clients: {runs[0].load.per_second:.1f} queries/s")
    finally:
        floor.stop()
    dump = folder / "virtuoso" / "load" / "data.nq"
    quads = dump_nquads(store, dump) if set(options.peers) & {"rdflib-endpoint", "virtuoso"} else 0
    for name in [p for p in HTTP_PEERS if p in options.peers]:
        runs.append(run_one(name, store, corpus, folder, (dump, quads, iris.base), cases, mix, options, say))
    dump.unlink(missing_ok=True)
    return cases, runs


def run_one(
    name: str,
    store: Path,
    corpus: CorpusSummary,
    folder: Path,
    data: tuple[Path, int, str],
    cases: list[Case],
    mix: list[str],
    options: Options,
    say: Progress,
) -> PeerRun:
    """Start, measure and stop one HTTP peer; a peer above its size limit or failing to start is recorded so."""
    run = PeerRun(name)
    limit = options.max_claims.get(name)
    if limit is not None and corpus.claims > limit:
        run.status = f"skipped above {limit} claims"
        say(f"{LABELS[name]}: {run.status}")
        return run
    say(f"{LABELS[name]}: starting")
    try:
        with started(name, store, folder, *data, options) as peer:
            run.load_seconds = getattr(peer, "load_seconds", None)
            say(f"{LABELS[name]}: ready" + (f", loaded in {run.load_seconds:.1f} s" if run.load_seconds else ""))
            measure(peer, run, cases, mix, options, say)
    except (RuntimeError, OSError) as exc:
        run.status = f"failed: {exc}".splitlines()[0][:300]
        say(f"{LABELS[name]}: {run.status}")
    return run
