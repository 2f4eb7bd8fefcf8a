"""The benchmark's report: one table (figures by corpus size, with growth exponents), the targets, the machine.

`document` renders BENCHMARKS.md; `write_document` keeps the hand-written notes of an existing file
(between `<!-- notes -->` and `<!-- /notes -->`), so re-running the benchmark refreshes the numbers only.
"""

from __future__ import annotations

import os
import platform
import re
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from kg.bench import virtuoso
from kg.bench.figures import Row, growth, number, ratio, run_of, timing_cell
from kg.bench.harness import SizeResult
from kg.bench.peerbench import LABELS, TIMEOUT, Options, PeerRun
from kg.bench.steps import step_rows
from kg.bench.targets import method, target_rows

PACKAGES = ("pyoxigraph", "rdflib", "rdflib-endpoint", "fastapi", "uvicorn", "flask", "gunicorn", "owlready2")
NOTES = re.compile(r"<!-- notes -->.*?<!-- /notes -->", re.S)
DEFAULT_NOTES = "<!-- notes -->\n(No notes yet: write here, for every target not met, why.)\n<!-- /notes -->"


def failures(results: list[SizeResult]) -> str:
    """Every query a peer failed, or answered with another number of rows than pyoxigraph in-process,
    grouped over the sizes."""
    errors: dict[tuple[str, str, str], list[str]] = {}
    counts: dict[tuple[str, str], list[str]] = {}
    lines = [f"- {r.claims:,} claims: {one_line(r.error)}" for r in results if r.error]
    for result in results:
        floor, size = run_of(result, "pyoxigraph"), f"{result.claims:,}"
        for run in result.runs:
            if run.status != "ok":
                errors.setdefault((run.peer, "", run.status), []).append(size)
            for name, timing in run.timings.items():
                reference = floor.timings.get(name) if floor else None
                if timing.error:
                    errors.setdefault((run.peer, name, one_line(timing.error)), []).append(size)
                elif reference and reference.rows is not None and timing.rows != reference.rows:
                    counts.setdefault((run.peer, name), []).append(f"{timing.rows} vs {reference.rows} at {size}")
    for (peer, name, text), sizes in errors.items():
        what = f"`{name}`" if name else "the peer"
        lines.append(f"- {LABELS[peer]}, {what} ({', '.join(sizes)} claims): {text}")
    for (peer, name), pairs in counts.items():
        lines.append(f"- {LABELS[peer]}, `{name}`: other rows than pyoxigraph in-process: {'; '.join(pairs)} claims")
    return "\n".join(lines) + "\n" if lines else "None.\n"


def one_line(error: str) -> str:
    text = " ".join(error.split())
    return "timed out (> the query timeout)" if error == TIMEOUT else text[:240]


# ------------------------------------------------------------------ the table
def table(results: list[SizeResult], options: Options) -> str:
    """The one table: a row per figure, a column per size, and the growth exponent."""
    sizes = [r.claims for r in results]
    lines = [
        "| figure | " + " | ".join(f"{s:,} claims" for s in sizes) + " | growth exponent |",
        "|---|" + "---:|" * len(sizes) + "---:|",
    ]
    for label, cells, values in rows(results, options):
        if not cells:
            lines.append(f"| **{label}** |" + " |" * (len(sizes) + 1))
            continue
        shown = growth(sizes, values) if any(v is not None for v in values) else ""
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {shown} |")
    return "\n".join(lines) + "\n"


def rows(results: list[SizeResult], options: Options) -> list[Row]:
    """Every row of the table, in order; a row without cells is a section heading."""

    out = build_rows(results)
    if any(r.runs for r in results):
        out += setup_rows(results) + row_count_rows(results) + latency_rows(results, options)
        out += load_rows(results, options) + ratio_rows(results, options) + step_rows(results)
    return out


def figure(label: str, results: list[SizeResult], get: Callable[[SizeResult], float | None], digits: int = 0) -> Row:
    values = [get(r) for r in results]
    return label, [number(v, digits) for v in values], values


def build_rows(results: list[SizeResult]) -> list[Row]:
    def finished(step: str, attr: str) -> Callable[[SizeResult], float | None]:
        return lambda r: getattr(getattr(r, step), attr) if getattr(r, step).finished else None

    def scored(text: Callable[[Any], str]) -> list[str]:
        return [text(r.score) if r.score else "—" for r in results]

    return [
        ("Build and reason", [], []),
        ("sources", [f"{r.sources:,}" for r in results], [None] * len(results)),
        figure("quads in the store after the build", results, lambda r: r.quads),
        ("build s", [str(r.build) for r in results], [finished("build", "seconds")(r) for r in results]),
        figure("build claims/s", results, lambda r: r.build_claims_per_second),
        figure("build triples/s", results, lambda r: r.build_triples_per_second),
        figure("Oxigraph bulk loader alone on the same quads, quads/s", results, lambda r: r.loader_triples_per_second),
        figure("build peak MB", results, lambda r: r.build.peak_mb if r.build.seconds else None),
        (
            "reason s (OWL reasoner + conflict rules)",
            [str(r.reason) if r.build.finished else "—" for r in results],
            [finished("reason", "seconds")(r) for r in results],
        ),
        figure("conflict rules s", results, lambda r: r.rules_seconds, 1),
        figure("reason peak MB", results, lambda r: r.reason.peak_mb if r.reason.finished else None),
        ("planted conflicts found", scored(lambda s: f"{s.found} / {s.planted}"), [None] * len(results)),
        (
            "conflicts raised (false positives)",
            scored(lambda s: f"{s.raised} ({s.false_positives})"),
            [None] * len(results),
        ),
        ("recall / precision", scored(lambda s: f"{s.recall:.3f} / {s.precision:.3f}"), [None] * len(results)),
    ]


def setup_rows(results: list[SizeResult]) -> list[Row]:
    out: list[Row] = [("SPARQL peers: loading and memory", [], [])]
    for peer in ("rdflib-endpoint", "virtuoso"):
        out.append(peer_figure(f"{LABELS[peer]}: load s", results, peer, lambda r: r.load_seconds, 1))
    for peer in ("service", "rdflib-endpoint", "virtuoso"):
        out.append(
            peer_figure(f"{LABELS[peer]}: memory after the queries, MB (PSS)", results, peer, lambda r: r.memory_mb)
        )
    return out


def peer_figure(
    label: str, results: list[SizeResult], peer: str, get: Callable[[PeerRun], float | None], digits: int = 0
) -> Row:
    cells, values = [], []
    for result in results:
        run = run_of(result, peer)
        value = get(run) if run is not None and run.status == "ok" else None
        values.append(value)
        cells.append(number(value, digits) if value is not None else status_word(run))
    return label, cells, values


def status_word(run: PeerRun | None) -> str:
    if run is None:
        return "not run"
    return "—" if run.status == "ok" else run.status.split(":")[0]


def row_count_rows(results: list[SizeResult]) -> list[Row]:
    out: list[Row] = [("Named queries: rows returned (the same on every peer, or each peer's count)", [], [])]
    for name in case_names(results):
        out.append((f"`{name}` rows", [rows_cell(r, name) for r in results], [None] * len(results)))
    return out


def case_names(results: list[SizeResult]) -> list[str]:
    names: list[str] = []
    for result in results:
        names.extend(c.name for c in result.cases if c.name not in names)
    return names


def rows_cell(result: SizeResult, name: str) -> str:
    """The row count all peers agree on, or each peer's count when they differ (marked ✗)."""
    counts = {
        r.peer: r.timings[name].rows for r in result.runs if name in r.timings and r.timings[name].rows is not None
    }
    if not counts:
        return "—"
    distinct = set(counts.values())
    if len(distinct) == 1:
        return f"{distinct.pop():,}"
    return "✗ " + ", ".join(f"{LABELS[p]} {n:,}" for p, n in counts.items())


def latency_rows(results: list[SizeResult], options: Options) -> list[Row]:
    out: list[Row] = [("Named queries: latency, ms median / p95 (growth of the median)", [], [])]
    peers = [p for p in LABELS if any(run_of(r, p) for r in results)]
    for name in case_names(results):
        heavy = any(c.join_heavy for r in results for c in r.cases if c.name == name)
        for peer in peers:
            runs = [run_of(r, peer) for r in results]
            medians = [t.median if (t := run.timings.get(name) if run else None) else None for run in runs]
            label = f"`{name}`{' (join-heavy)' if heavy else ''}: {LABELS[peer]}"
            out.append((label, [timing_cell(run, name, options) for run in runs], list(medians)))
    return out


def load_rows(results: list[SizeResult], options: Options) -> list[Row]:
    out: list[Row] = [(f"Throughput: {options.clients} concurrent clients, queries/s (failed)", [], [])]
    for peer in [p for p in LABELS if any(run_of(r, p) for r in results)]:
        cells, values = [], []
        for result in results:
            run = run_of(result, peer)
            load = run.load if run is not None else None
            values.append(load.per_second if load else None)
            cells.append(f"{load.per_second:,.1f} ({load.errors})" if load else status_word(run))
        out.append((LABELS[peer], cells, values))
    return out


def ratio_rows(results: list[SizeResult], options: Options) -> list[Row]:
    pairs = [
        ("evkg serve / pyoxigraph in-process", "service", "pyoxigraph", False),
        ("rdflib-endpoint / evkg serve, join-heavy queries", "rdflib-endpoint", "service", True),
        ("rdflib-endpoint / evkg serve, all queries", "rdflib-endpoint", "service", False),
        ("Virtuoso / evkg serve", "virtuoso", "service", False),
    ]
    out: list[Row] = [("Ratios of median latencies (geometric mean over the named queries)", [], [])]
    for label, top, bottom, heavy in pairs:
        out.append((label, [ratio(r, top, bottom, options, heavy) for r in results], [None] * len(results)))
    return out


# ------------------------------------------------------------------ targets, machine, document
def targets(results: list[SizeResult], options: Options) -> str:
    """The headline: each target, what was measured, whether it is met and the gap."""

    lines = ["| target | goal | measured | met | gap |", "|---|---|---|---|---|"]
    lines.extend("| " + " | ".join(row) + " |" for row in target_rows(results, options))
    return "\n".join(lines) + "\n"


def machine() -> str:
    """Cores, memory, CPU model, OS and the versions of everything measured."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.M)
        model = found.group(1).strip() if found else model
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 0
    versions = ", ".join(f"{p} {package_version(p)}" for p in PACKAGES)
    return (
        f"{model}, {os.cpu_count()} cores, {pages / 2**30:.1f} GiB memory; {platform.system()} "
        f"{platform.release()} ({platform.machine()}); Python {platform.python_version()}; {versions}; "
        f"Virtuoso {virtuoso.version() or 'not installed'}."
    )


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def document(
    results: list[SizeResult], options: Options, shapes: bool, command: str = "evkg bench", when: str | None = None
) -> str:
    """BENCHMARKS.md: how it was made, the machine, the targets, the table, the method, the notes."""

    parts = [
        "# Benchmarks\n",
        f"Generated by `{command}` on {when or now()}; run it again to refresh every "
        "number below (the notes at the end are written by hand and kept).\n",
        f"**Machine:** {machine()}\n",
        "## Targets\n",
        targets(results, options) if results else "(nothing measured)\n",
        "## Results\n",
        "<!-- bench-table -->\n" + table(results, options) + "<!-- /bench-table -->\n",
        "### Failures and disagreements (against pyoxigraph in-process)\n",
        failures(results),
        "## How it is measured\n",
        method(results, options, shapes),
        "## Notes\n",
        DEFAULT_NOTES + "\n",
    ]
    return "\n".join(parts)


def now() -> str:
    """The local time, as the report shows it."""
    return time.strftime("%Y-%m-%d %H:%M %Z")


def write_document(path: Path, text: str) -> None:
    """Write the report, keeping the notes of an existing file."""
    if path.exists():
        kept = NOTES.search(path.read_text())
        if kept:
            text = NOTES.sub(lambda _: kept.group(0), text, count=1)
    path.write_text(text)
