"""Benchmark: synthetic corpora with planted conflicts -> `evkg build` + `evkg reason`, timed and scored."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from kg.synthetic import Corpus

MEASURE = (
    "import resource, subprocess, sys, time; t = time.perf_counter(); limit = float(sys.argv[1]); rc = 0\n"
    "try:\n"
    "    rc = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,\n"
    "                        timeout=limit).returncode\n"
    "except subprocess.TimeoutExpired:\n"
    "    rc = 'timeout'\n"
    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)"
)


@dataclass
class Step:
    """Wall time and peak resident memory of one command (its whole process tree)."""

    seconds: float
    peak_mb: float
    finished: bool = True

    def __str__(self) -> str:
        return f"{self.seconds:.1f}" if self.finished else f"> {self.seconds:.0f} (stopped)"


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


def measure(*command: str, limit: float = 3600) -> Step:
    """Run a command in a fresh wrapper process and read its time and peak memory; stop it after `limit` s."""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(limit), *command], capture_output=True, text=True, check=True
    )
    seconds, peak_kb, rc = out.stdout.split()
    if rc not in ("0", "timeout"):
        raise RuntimeError(f"{' '.join(command)} failed with exit code {rc}")
    return Step(float(seconds), int(peak_kb) / 1024, rc == "0")


def score(corpus: Corpus, findings: list[dict[str, object]]) -> Score:
    """Compare the conflicts raised with the planted ones (informational findings are not scored)."""
    raised = {
        (str(f["type"]), frozenset(f"{c['source']}.{c['id']}" for c in f["claims"]))  # type: ignore[attr-defined]
        for f in findings
        if f["category"] == "conflict"
    }
    expected = {(p.expected, frozenset(p.claims)) for p in corpus.plants if p.expected}
    return Score(len(expected), len(expected & raised), len(raised), len(raised - expected))


def run_size(size: int, workdir: Path, evkg: str, shapes: bool, limit: float) -> dict[str, object]:
    """Generate, build, reason and score one corpus size."""
    corpus = Corpus(size).generate()
    sources, store = workdir / f"sources-{size}", workdir / f"store-{size}"
    corpus.write(sources)
    env_reviews = str(workdir / "no-reviews.yaml")
    os.environ["EVKG_REVIEWS"] = env_reviews
    build_args = [evkg, "build", "--sources", str(sources), "--store", str(store)]
    if not shapes:
        build_args.append("--skip-shapes")
    build = measure(*build_args, limit=limit)
    reason = measure(evkg, "reason", "--store", str(store), limit=limit) if build.finished else Step(0, 0, False)
    result = None
    if reason.finished:
        listing = subprocess.run(
            [evkg, "conflicts", "--all", "--format", "json", "--store", str(store)],
            capture_output=True,
            text=True,
            check=True,
        )
        result = score(corpus, json.loads(listing.stdout))
    return {"claims": corpus.claims, "sources": len(corpus.sources), "build": build, "reason": reason, "score": result}


def report(rows: list[dict[str, object]], shapes: bool) -> str:
    """A Markdown table of the results, with the machine and versions."""
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"pyoxigraph {version('pyoxigraph')}, owlready2 {version('owlready2')}; SHACL during build: "
        f"{'on' if shapes else 'off (--skip-shapes)'}.",
        "",
        "| claims | sources | build s | build peak MB | reason s | reason peak MB | planted | found | raised "
        "| false positives | recall | precision |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines.extend(row_line(row) for row in rows)
    return "\n".join(lines) + "\n"


def row_line(row: dict[str, object]) -> str:
    """One size as a Markdown table row (a stopped step has no score)."""
    b, r, s = row["build"], row["reason"], row["score"]
    assert isinstance(b, Step) and isinstance(r, Step)
    scored = (
        f"{s.planted} | {s.found} | {s.raised} | {s.false_positives} | {s.recall:.3f} | {s.precision:.3f}"
        if isinstance(s, Score)
        else "— | — | — | — | — | —"
    )
    return f"| {row['claims']} | {row['sources']} | {b} | {b.peak_mb:.0f} | {r} | {r.peak_mb:.0f} | {scored} |"


def main(sizes: list[int], shapes: bool, limit: float = 3600, keep: Path | None = None) -> str:
    """Run every size and return the report; each size's row is printed to stderr as it finishes."""
    evkg = str(Path(sys.executable).with_name("evkg"))
    rows = []
    with tempfile.TemporaryDirectory(prefix="evkg-bench-") as tmp:
        workdir = keep or Path(tmp)
        for size in sizes:
            started = time.perf_counter()
            rows.append(run_size(size, workdir, evkg, shapes, limit))
            print(f"size {size}: done in {time.perf_counter() - started:.0f} s: {row_line(rows[-1])}", file=sys.stderr)
    return report(rows, shapes)
