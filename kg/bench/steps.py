"""Where `evkg serve` spends the time it adds to the in-process floor, from its Server-Timing headers.

For each named query both answered with the same rows, the served median splits into the steps the
service reports (`check`, `pool`, `query`) and what is left, which the client waited for outside
the application: HTTP on loopback, gunicorn, Flask and the client itself. `query` less the
in-process median is what running in a query worker costs beyond the floor (serializing the result
included). Each figure is the median over the queries.
"""

from __future__ import annotations

import statistics

from kg.bench.figures import Row, geomean, ms, run_of
from kg.bench.harness import SizeResult
from kg.bench.peerbench import PeerRun, Timing

STEPS: dict[str, str] = {
    "added": "added per query (served − in-process)",
    "check": "`check`: graph table and query check",
    "pool": "`pool`: waiting for a query worker and the hop",
    "worker": "`query` − in-process: the worker's run and serialization beyond the floor",
    "outside": "outside the app: HTTP, gunicorn, Flask, the client",
}


def _run(result: SizeResult, peer: str) -> PeerRun | None:
    run = run_of(result, peer)
    return run if run is not None and run.status == "ok" else None


def _split(served: Timing, floor: Timing) -> dict[str, float] | None:
    """One query's steps in seconds, or None when a median or a step is missing."""
    total, base = served.median, floor.median
    check, pool, query = (served.step_median(step) for step in ("check", "pool", "query"))
    if total is None or base is None or check is None or pool is None or query is None:
        return None
    return {
        "added": total - base,
        "check": check,
        "pool": pool,
        "worker": query - base,
        "outside": total - check - pool - query,
    }


def service_steps(result: SizeResult) -> dict[str, float] | None:
    """The median over the named queries of each step (seconds), or None without Server-Timing data."""
    served, floor = _run(result, "service"), _run(result, "pyoxigraph")
    if served is None or floor is None:
        return None
    splits = []
    for name, timing in served.timings.items():
        base = floor.timings.get(name)
        if base is not None and timing.rows == base.rows and (split := _split(timing, base)) is not None:
            splits.append(split)
    if not splits:
        return None
    return {step: statistics.median(split[step] for split in splits) for step in STEPS}


def own_step_ratio(result: SizeResult) -> float | None:
    """Geometric mean over the named queries of the served median / the median of its own `query` step:
    the service's overhead on the very work its worker did (the floor reads rows in Python instead)."""
    served = _run(result, "service")
    ratios = [
        timing.median / step
        for timing in (served.timings.values() if served else [])
        if timing.median and (step := timing.step_median("query"))
    ]
    return geomean(ratios)


def step_rows(results: list[SizeResult]) -> list[Row]:
    """The table's section: one row per step, one cell per size (ms)."""
    steps = [service_steps(r) for r in results]
    if not any(steps):
        return []
    heading = "evkg serve: where the added time goes (Server-Timing; ms, median over the named queries)"
    out: list[Row] = [(heading, [], [])]
    for step, label in STEPS.items():
        values = [s[step] if s else None for s in steps]
        out.append((label, [ms(v) for v in values], [None] * len(results)))
    own = [own_step_ratio(r) for r in results]
    cells = [f"{v:.2f}x" if v else "—" for v in own]
    out.append(("served / its own `query` step (geometric mean)", cells, [None] * len(own)))
    return out
