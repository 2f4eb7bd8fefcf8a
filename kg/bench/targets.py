"""The benchmark's targets (the headline of BENCHMARKS.md), each with its gap when missed, and the method text."""

from __future__ import annotations

import statistics

from kg.bench.figures import exponent, ms, ratio_value, run_of
from kg.bench.harness import SizeResult
from kg.bench.peerbench import LABELS, Options
from kg.bench.steps import own_step_ratio, service_steps

MILLION = 1_000_000
REASON_SECONDS, REASON_MB = 15 * 60, 8 * 1024
BUILD_TRIPLES_PER_SECOND = 100_000
RULES_EXPONENT = 1.2


def target_rows(results: list[SizeResult], options: Options) -> list[list[str]]:
    """[target, goal, measured, met, gap] for every target."""
    return [
        service_overhead(results, options),
        rdflib_gap(results, options),
        virtuoso_reference(results, options),
        build_throughput(results),
        rules_growth(results),
        million_reasoned(results),
    ]


def largest_with(results: list[SizeResult], top: str, bottom: str, options: Options, heavy: bool = False) -> tuple:
    """(result, ratio, bounded, count) at the largest size where both peers were measured."""
    for result in reversed(results):
        value, bounded, count = ratio_value(result, top, bottom, options, heavy)
        if value is not None:
            return result, value, bounded, count
    return None, None, False, 0


def verdict(met: bool | None) -> str:
    return "—" if met is None else "**yes**" if met else "**no**"


def service_overhead(results: list[SizeResult], options: Options) -> list[str]:
    """Met when the ratio is at most 1.3x at every size measured; the gap is the worst size's, split."""
    target = ["evkg serve over HTTP / pyoxigraph in-process (median latency)", "≤ 1.3x"]
    measured = []
    for result in results:
        value, _, count = ratio_value(result, "service", "pyoxigraph", options)
        if value is not None:
            measured.append((result, value, count))
    if not measured:
        return [*target, "not measured", "—", ""]
    text = "; ".join(f"{value:.2f}x at {r.claims:,}" for r, value, _ in measured)
    text += f" claims ({max(count for *_, count in measured)} queries)"
    own = [value for r, *_ in measured if (value := own_step_ratio(r))]
    if own:
        text += "; served / its own query step: " + ", ".join(f"{value:.2f}x" for value in own)
    worst_result, worst, _ = max(measured, key=lambda m: m[1])
    if worst <= 1.3:
        return [*target, text, verdict(True), ""]
    gap = f"{worst / 1.3:.2f}x over at {worst_result.claims:,} claims; "
    gap += f"the service adds {added_ms(worst_result)} per query (median)"
    steps = service_steps(worst_result)
    if steps:
        gap += ": " + ", ".join(f"{name} {ms(steps[name])} ms" for name in ("check", "pool", "worker", "outside"))
        gap += " (Server-Timing; the table's last section)"
    return [*target, text, verdict(False), gap]


def added_ms(result: SizeResult) -> str:
    """Median over the queries of (service median - in-process median), in ms."""
    service, floor = run_of(result, "service"), run_of(result, "pyoxigraph")
    if service is None or floor is None:
        return "—"
    gaps = [
        s.median - f.median
        for name, s in service.timings.items()
        if (f := floor.timings.get(name)) and s.median is not None and f.median is not None
    ]
    return f"{ms(statistics.median(gaps))} ms" if gaps else "—"


def rdflib_gap(results: list[SizeResult], options: Options) -> list[str]:
    target = ["rdflib-endpoint / evkg serve on the join-heavy queries (median latency)", "≥ 20x"]
    result, value, bounded, count = largest_with(results, "rdflib-endpoint", "service", options, heavy=True)
    if result is None:
        return [*target, "not measured", "—", ""]
    measured = f"{'≥ ' if bounded else ''}{value:.1f}x at {result.claims:,} claims ({count} queries)"
    skipped = [r.claims for r in results if (run := run_of(r, "rdflib-endpoint")) and run.status != "ok"]
    if skipped:
        measured += f"; not measured at {', '.join(f'{s:,}' for s in skipped)} claims (size limit or failure)"
    gap = "" if value >= 20 else f"only {value:.1f}x: {value / 20:.2f} of the target"
    return [*target, measured, verdict(value >= 20), gap]


def virtuoso_reference(results: list[SizeResult], options: Options) -> list[str]:
    target = ["Virtuoso / evkg serve (median latency)", "for reference"]
    result, value, bounded, count = largest_with(results, "virtuoso", "service", options)
    if result is None:
        return [*target, "not measured", "—", ""]
    side = "faster" if value < 1 else "slower"
    return [*target, f"{value:.2f}x at {result.claims:,} claims ({count} queries; Virtuoso {side})", "—", ""]


def build_throughput(results: list[SizeResult]) -> list[str]:
    target = ["build throughput (quads in the store / build wall time)", "≥ 100,000 triples/s"]
    measured = [(r.claims, r.build_triples_per_second) for r in results if r.build_triples_per_second]
    if not measured:
        return [*target, "not measured", "—", ""]
    worst = min(measured, key=lambda m: m[1])
    text = "; ".join(f"{rate:,.0f}/s at {claims:,} claims" for claims, rate in measured)
    met = worst[1] >= BUILD_TRIPLES_PER_SECOND
    gap = "" if met else f"{BUILD_TRIPLES_PER_SECOND / worst[1]:.1f}x too slow at {worst[0]:,} claims"
    ceiling = next((r.loader_triples_per_second for r in results if r.claims == worst[0]), None)
    if gap and ceiling:
        gap += f"; Oxigraph's bulk loader alone loads {ceiling:,.0f} quads/s of the same data there"
    stopped = [r.claims for r in results if not r.build.finished]
    if stopped:
        text += f"; stopped at {', '.join(f'{s:,}' for s in stopped)} claims"
        met, gap = False, gap or "the build did not finish"
    return [*target, text, verdict(met), gap]


def rules_growth(results: list[SizeResult]) -> list[str]:
    target = ["conflict detection growth exponent (conflict rules s vs claims)", "≤ 1.2 (n log n)"]
    points = [(r.claims, r.rules_seconds) for r in results if r.reason.finished and r.rules_seconds]
    slope = exponent([c for c, _ in points], [s for _, s in points]) if len(points) > 1 else None
    if slope is None:
        return [*target, "needs two sizes or more that finished reasoning", "—", ""]
    sizes = ", ".join(f"{c:,}" for c, _ in points)
    measured = f"{slope:.2f} over {sizes} claims"
    stopped = [r.claims for r in results if r.build.finished and not r.reason.finished]
    if stopped:
        measured += f"; reasoning stopped at {', '.join(f'{s:,}' for s in stopped)} claims"
    met = slope <= RULES_EXPONENT and not stopped
    return [*target, measured, verdict(met), "" if met else f"exponent {slope:.2f} > {RULES_EXPONENT}" * (not stopped)]


def million_reasoned(results: list[SizeResult]) -> list[str]:
    target = ["1M claims reasoned (`evkg reason`)", "≤ 15 min and ≤ 8 GB"]
    result = next((r for r in results if r.claims >= MILLION), None)
    if result is None:
        largest = max((r.claims for r in results), default=0)
        return [*target, f"not measured (largest size {largest:,} claims)", "—", ""]
    if not result.reason.finished:
        return [*target, f"reason {result.reason}", "**no**", "did not finish within the limit"]
    seconds, mb = result.reason.seconds, result.reason.peak_mb
    gaps = [
        f"{seconds - REASON_SECONDS:,.0f} s over" * (seconds > REASON_SECONDS),
        f"{mb - REASON_MB:,.0f} MB over" * (mb > REASON_MB),
    ]
    met = seconds <= REASON_SECONDS and mb <= REASON_MB
    return [*target, f"{seconds:,.0f} s, peak {mb:,.0f} MB", verdict(met), "; ".join(g for g in gaps if g)]


def method(results: list[SizeResult], options: Options, shapes: bool) -> str:
    """How every figure is measured, with the options of this run."""
    limits = ", ".join(f"{LABELS[p]} up to {n:,} claims" for p, n in options.max_claims.items()) or "none"
    build = "evkg build" if shapes else "evkg build --skip-shapes"
    text = f"""\
- **Corpus**: `kg/bench/synthetic.py` (sources of 50 claims of every kind over 40 drug families, with
  planted conflicts of every type and traps that must stay quiet), written as YAML; then `{build}`
  and `evkg reason` run as separate processes: wall time, and peak resident memory of the largest
  process of each tree. A step still running after {options.limit:,.0f} s is stopped. Triples/s is the
  number of quads in the store after the build over the build's wall time; *Oxigraph bulk loader
  alone* times the same quads, dumped as N-Quads, bulk-loaded into a new store directory by a
  process of its own as the build loads them (no YAML, checks or writing): the build's ceiling on
  this machine; *conflict rules s* is the
  sum of the times `evkg reason` reports for the conflict rules and the clinical-question keys they
  pair on; recall and precision compare the conflicts raised with the planted ones (informational
  findings are not scored).
- **Named queries**: every query of `queries/*.rq`, its parameters filled from data present in the
  corpus (a source of 50 claims, or the source of a planted contraindication, exclusive first-line
  recommendation or effect estimate; the drug family `family-1` or its member; a background
  condition: the first candidate, in that order, that gives rows in-process), bound as a `VALUES`
  block as `evkg` sends parameters to any SPARQL server, so every peer receives the same text.
  *Join-heavy* queries walk the class hierarchy (`rdfs:subClassOf+`/`*`) or union alternatives. The
  ratios are geometric means over the queries both peers answered with the same number of rows (a
  timeout of the slower peer counts as the timeout, a lower bound: `≥`).
- **Peers**, each alone on the machine, one after the other, on the same data: *pyoxigraph
  in-process* (the store directory opened read-only; `Store.query` plus reading every solution, timed
  inside the process: the floor); *evkg serve* (gunicorn over the same store directory, settings as
  configured, `EVKG_QUERY_TIMEOUT` set to the query timeout); *rdflib-endpoint* (an rdflib `Dataset`
  with the union default graph, loaded from an N-Quads dump of the store, served by uvicorn; it
  evaluates queries one at a time and cannot cancel one, so a query past the timeout is stopped by
  restarting the server from a fork of the loaded data); *Virtuoso* (a private server on loopback,
  bulk-loaded from the same dump; the default dataset is the union of its graphs). The loaded quads
  are counted against the store on rdflib-endpoint and Virtuoso. Size limits: {limits}.
- **Latency**: per peer and query, one warm-up run whose rows are counted (every peer must return
  the same number: a ✗ marks a disagreement), then up to {options.iterations} timed runs, fewer once
  {options.budget:g} s are spent, none after a failure; a query over {options.timeout:g} s is a timeout.
  Requests are HTTP/1.1 POSTs with keep-alive asking for SPARQL JSON results (form-encoded;
  rdflib-endpoint gets `application/sparql-query`, since its form parser decodes twice), timed until
  the last byte. p95 is the nearest-rank 95th percentile.
- **Throughput**: {options.clients} client threads run the named queries the floor answered, each from
  its own offset, for at most {options.load_seconds:g} s; queries answered per second, failures in
  parentheses. The clients share the machine's cores with the server.
- **Growth exponent**: least-squares slope of log(figure) against log(claims); with three sizes or
  more, each step's exponent follows in parentheses (1: linear, 2: quadratic).
"""
    return text + parameter_table(results)


def parameter_table(results: list[SizeResult]) -> str:
    if not any(r.cases for r in results):
        return ""
    lines = [
        "",
        "Parameters at each size:",
        "",
        "| query | join-heavy | " + " | ".join(f"{r.claims:,} claims" for r in results) + " |",
        "|---|---|" + "---|" * len(results),
    ]
    names = [c.name for c in next(r for r in results if r.cases).cases]
    for name in names:
        cells, heavy = [], False
        for result in results:
            case = next((c for c in result.cases if c.name == name), None)
            heavy = heavy or bool(case and case.join_heavy)
            cells.append(", ".join(f"{k}={v}" for k, v in case.parameters.items()) or "none" if case else "—")
        lines.append(f"| `{name}` | {'yes' if heavy else 'no'} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
