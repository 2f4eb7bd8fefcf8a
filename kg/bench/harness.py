"""Benchmark: synthetic corpora with planted conflicts -> `evkg build` + `evkg reason`, timed and scored,
then the named SPARQL queries against their peers (`kg.bench.peerbench`), reported in one table (`kg.bench.report`)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.bench.peerbench import HTTP_PEERS, Case, CorpusSummary, Options, PeerRun, dump_nquads, run_peers
from kg.bench.synthetic import Corpus
from kg.errors import EvkgError
from kg.namespaces import Iris
from kg.settings import load_settings
from kg.sparql.queries import QueryRegistry
from kg.store.oxigraph import CURRENT

MEASURE = """\
import os, resource, signal, subprocess, sys, time
limit, log = float(sys.argv[1]), open(sys.argv[2], "wb")
started = time.perf_counter()
child = subprocess.Popen(sys.argv[3:], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
def stop(*_):
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
def interrupted(signum, _frame):
    stop()
    sys.exit(128 + signum)
signal.signal(signal.SIGTERM, interrupted)
signal.signal(signal.SIGINT, interrupted)
try:
    rc = child.wait(timeout=limit)
except subprocess.TimeoutExpired:
    stop()
    child.wait()
    rc = "timeout"
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)
"""
"""Runs a command in its own process group with a time limit (killing the whole group when it runs past
it, or when the wrapper is interrupted) and prints wall seconds, peak resident kB of the process tree
(the largest process), and the exit code."""

LOADER = """\
import sys, pyoxigraph as ox
store = ox.Store(sys.argv[2])
store.bulk_load(path=sys.argv[1], format=ox.RdfFormat.N_QUADS, lenient=True)
store.flush()
store.optimize()
"""
"""Oxigraph's bulk loader alone on the build's own quads (an N-Quads file, a new store directory), called
as the build calls it, flushed and compacted as the build leaves its store."""

_RULE_LINE = re.compile(r"^· (conflicts/\S+|clinical questions|compaction): .*?in ([\d.]+) s$", re.M)
"""`evkg reason`'s progress lines for conflict detection: each rule, the clinical-question keys it pairs on, and
the compaction of the store between the two."""
Progress = Callable[[str], None]


@dataclass
class Step:
    """Wall time and peak resident memory of one command (its whole process tree)."""

    seconds: float
    peak_mb: float
    finished: bool = True
    failure: str | None = None
    """Why a command that did not finish failed (None: it finished, or was stopped at the time limit)."""

    def __str__(self) -> str:
        if self.finished:
            return f"{self.seconds:.1f}"
        return (
            f"failed after {self.seconds:.0f} s ({self.failure})" if self.failure else f"> {self.seconds:.0f} (stopped)"
        )


@dataclass
class Score:
    """Planted conflicts found (recall) and conflicts raised that were not planted (precision)."""

    planted: int
    found: int
    raised: int
    false_positives: int

    @property
    def recall(self) -> float:
        return self.found / self.planted if self.planted else 1.0

    @property
    def precision(self) -> float:
        return (self.raised - self.false_positives) / self.raised if self.raised else 1.0


@dataclass
class SizeResult:
    """Everything measured at one corpus size."""

    claims: int
    sources: int
    build: Step
    reason: Step
    quads: int | None = None
    loader: Step | None = None
    """Oxigraph's bulk loader alone, fed the built store's quads: the ceiling of the build's throughput."""
    rules_seconds: float | None = None
    score: Score | None = None
    cases: list[Case] = field(default_factory=list)
    runs: list[PeerRun] = field(default_factory=list)
    error: str | None = None

    @property
    def build_triples_per_second(self) -> float | None:
        return self.quads / self.build.seconds if self.quads and self.build.finished else None

    @property
    def loader_triples_per_second(self) -> float | None:
        return self.quads / self.loader.seconds if self.quads and self.loader and self.loader.finished else None

    @property
    def build_claims_per_second(self) -> float | None:
        return self.claims / self.build.seconds if self.build.finished else None


def measure(*command: str, log: Path, limit: float = 3600) -> Step:
    """Run a command in a fresh wrapper process (output to `log`), read its time and peak memory; stop it after
    `limit` s."""
    wrapper = subprocess.Popen(
        [sys.executable, "-c", MEASURE, str(limit), str(log), *command], stdout=subprocess.PIPE, text=True
    )
    try:
        out, _ = wrapper.communicate()
    finally:
        if wrapper.poll() is None:
            wrapper.terminate()  # the wrapper kills the command's process group
            wrapper.wait(30)
    if wrapper.returncode != 0:
        raise RuntimeError(f"the measuring wrapper of {' '.join(command)} failed ({wrapper.returncode})")
    seconds, peak_kb, rc = out.split()
    failure = None if rc in ("0", "timeout") else exit_reason(int(rc))
    return Step(float(seconds), int(peak_kb) / 1024, rc == "0", failure)


def exit_reason(code: int) -> str:
    """A failed command's exit status in words."""
    if code == -signal.SIGKILL:
        return "killed by SIGKILL: out of memory?"
    return f"killed by signal {-code}" if code < 0 else f"exit code {code}"


def log_tail(log: Path, lines: int = 5) -> str:
    """The last lines of a command's output, for a progress message."""
    return " | ".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


def score(corpus: Corpus | CorpusSummary, findings: list[dict[str, object]]) -> Score:
    """Compare the conflicts raised with the planted ones (informational findings are not scored)."""
    raised = {
        (str(f["type"]), frozenset(f"{c['source']}.{c['id']}" for c in f["claims"]))  # type: ignore[attr-defined]
        for f in findings
        if f["category"] == "conflict"
    }
    expected = {(p.expected, frozenset(p.claims)) for p in corpus.plants if p.expected}
    return Score(len(expected), len(expected & raised), len(raised), len(raised - expected))


def count_quads(store: Path) -> int:
    """Quads in the live generation of a store directory."""
    return len(ox.Store.read_only(str((store / CURRENT).resolve())))


def rules_seconds(log: Path) -> float | None:
    """Seconds conflict detection took (rules and question keys), from `evkg reason`'s progress lines."""
    times = [float(s) for _, s in _RULE_LINE.findall(log.read_text(errors="replace"))] if log.exists() else []
    return sum(times) if times else None


def build_and_reason(
    corpus: CorpusSummary, folder: Path, evkg: str, shapes: bool, limit: float, say: Progress
) -> SizeResult:
    """Build the written corpus, reason over it, score the conflicts."""
    sources, store = folder / "sources", folder / "store"
    build_args = [evkg, "build", "--sources", str(sources), "--store", str(store)]
    build = measure(*build_args, *([] if shapes else ["--skip-shapes"]), limit=limit, log=folder / "build.log")
    result = SizeResult(corpus.claims, len(corpus.sources), build, Step(0, 0, False))
    if not build.finished:
        say(f"build {build}: {log_tail(folder / 'build.log')}" if build.failure else f"build stopped: {build}")
        return result
    result.quads = count_quads(store)
    result.loader = loader_alone(store, folder, limit)
    say(
        f"build: {build.seconds:.1f} s, {result.quads} quads, {result.build_triples_per_second:,.0f} triples/s, "
        f"peak {build.peak_mb:.0f} MB (the bulk loader alone: {result.loader_triples_per_second or 0:,.0f} "
        "quads/s); reasoning"
    )
    result.reason = measure(evkg, "reason", "--store", str(store), limit=limit, log=folder / "reason.log")
    result.rules_seconds = rules_seconds(folder / "reason.log")
    if not result.reason.finished:
        reason, log = result.reason, folder / "reason.log"
        say(f"reason {reason}: {log_tail(log)}" if reason.failure else f"reason stopped: {reason}")
        return result
    listing = subprocess.run(
        [evkg, "conflicts", "--all", "--format", "json", "--store", str(store)],
        capture_output=True,
        text=True,
        check=True,
    )
    result.score = score(corpus, json.loads(listing.stdout))
    say(
        f"reason: {result.reason.seconds:.1f} s (rules {result.rules_seconds or 0:.1f} s), peak "
        f"{result.reason.peak_mb:.0f} MB; recall {result.score.recall:.3f}, precision {result.score.precision:.3f}"
    )
    return result


def loader_alone(store: Path, folder: Path, limit: float) -> Step:
    """Time Oxigraph's bulk loader alone on the store's quads (dumped as N-Quads), into a new store
    directory, in a process of its own as the build is: what the build would take with no parsing,
    checking or writing of its own."""
    dump, target = folder / "loader" / "quads.nq", folder / "loader" / "store"
    try:
        dump_nquads(store, dump)
        return measure(sys.executable, "-c", LOADER, str(dump), str(target), log=folder / "loader.log", limit=limit)
    finally:
        shutil.rmtree(folder / "loader", ignore_errors=True)


def run_size(size: int, folder: Path, evkg: str, shapes: bool, options: Options, say: Progress) -> SizeResult:
    """Generate, build, reason and score one corpus size; then the SPARQL queries (unless `options.queries` is off)."""
    generated = Corpus(size).generate()
    generated.write(folder / "sources")
    corpus = CorpusSummary.of(generated)
    del generated  # at a million claims, gigabytes the build and the servers need more
    result = build_and_reason(corpus, folder, evkg, shapes, options.limit, say)
    if options.queries and result.reason.finished:
        settings = load_settings()
        registry = QueryRegistry(Path(settings.queries))
        try:
            result.cases, result.runs = run_peers(
                folder / "store", corpus, registry, Iris(settings.base), folder, options, say
            )
        except (EvkgError, RuntimeError, OSError, ValueError) as exc:  # recorded; the other sizes still run
            result.error = f"the SPARQL benchmark failed: {type(exc).__name__}: {exc}"
            say(result.error)
    return result


class BenchInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM during the benchmark, after cleaning up; carries the sizes already done."""

    def __init__(self, results: list[SizeResult]) -> None:
        super().__init__("interrupted")
        self.results = results


@contextlib.contextmanager
def interrupts_unwind() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt (as Ctrl-C), so every server and temp folder is cleaned up."""

    def raise_interrupt(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return
    previous = signal.signal(signal.SIGTERM, raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def stderr_progress(size: int) -> Progress:
    """Progress lines on stderr, prefixed with the size and the time of day."""
    return lambda message: print(f"{time.strftime('%H:%M:%S')} [{size} claims] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def no_reviews(folder: Path) -> Iterator[None]:
    """Point EVKG_REVIEWS at a file that does not exist (no review decisions apply), then restore it."""
    previous = os.environ.get("EVKG_REVIEWS")
    os.environ["EVKG_REVIEWS"] = str(folder / "no-reviews.yaml")
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("EVKG_REVIEWS", None)
        else:
            os.environ["EVKG_REVIEWS"] = previous


def run(
    sizes: list[int],
    shapes: bool = False,
    options: Options | None = None,
    keep: Path | None = None,
    progress: Callable[[int], Progress] = stderr_progress,
    scratch: Path | None = None,
) -> list[SizeResult]:
    """Every size in turn, each in a folder of its own that is deleted when the size is done (unless `keep`).

    The folders are made in a temp folder (under `scratch` when given), removed at the end whatever
    happens; so is every server started on the way.
    """
    options = options or Options()
    evkg = str(Path(sys.executable).with_name("evkg"))
    results = []
    temp = tempfile.TemporaryDirectory(prefix="evkg-bench-", dir=scratch)
    with interrupts_unwind(), temp as tmp, no_reviews(Path(tmp)):
        for size in sizes:
            folder = (keep or Path(tmp)) / f"size-{size}"
            say = progress(size)
            say(f"generating the corpus (build and reason are stopped after {options.limit:.0f} s each)")
            started = time.perf_counter()
            try:
                results.append(run_size(size, folder, evkg, shapes, options, say))
            except KeyboardInterrupt:
                say("interrupted: every server started is stopped; the report covers the sizes done")
                raise BenchInterrupted(results) from None
            finally:
                if keep is None:
                    shutil.rmtree(folder, ignore_errors=True)
            say(f"done in {time.perf_counter() - started:.0f} s")
    return results


class BenchOptionError(EvkgError):
    """An `evkg bench` option is malformed."""


def options_from(given: dict[str, Any]) -> tuple[list[int], bool, Options, str]:
    """Sizes, SHACL on or off, the query options, and the equivalent full command line, from `evkg bench`'s options."""
    try:
        sizes = [int(s) for s in given["sizes"].split(",") if s.strip()]
        limits = {k.strip(): int(v) for k, v in (p.split("=") for p in given["peer_max_claims"].split(",") if p)}
    except ValueError as exc:
        raise BenchOptionError(f"--sizes and --peer-max-claims take numbers (PEER=CLAIMS): {exc}") from exc
    peers = tuple(p.strip() for p in given["peers"].split(",") if p.strip() and p.strip() != "none")
    unknown = sorted((set(peers) | set(limits)) - set(HTTP_PEERS))
    if unknown or not sizes or min(sizes) < 1:
        raise BenchOptionError(f"unknown peer {', '.join(unknown)} (known: {', '.join(HTTP_PEERS)}) or no sizes")
    options = Options(
        queries=given["peers"].strip() != "none",
        peers=peers,
        max_claims=limits,
        iterations=given["iterations"],
        budget=given["query_budget"],
        timeout=given["query_timeout"],
        clients=given["clients"],
        load_seconds=given["load_seconds"],
        limit=given["limit"],
    )
    flags = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in given.items() if k != "skip_shapes")
    command = f"evkg bench {flags}" + ("" if given["skip_shapes"] else " --shapes")
    return sizes, not given["skip_shapes"], options, command
