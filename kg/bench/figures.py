"""The numbers of the benchmark report: growth exponents, geometric means, ratios, cells."""

from __future__ import annotations

import math
from collections.abc import Iterable

from kg.bench.harness import SizeResult
from kg.bench.peerbench import TIMEOUT, Options, PeerRun, Timing

Row = tuple[str, list[str], list[float | None]]


def exponent(sizes: list[int], values: list[float | None]) -> float | None:
    """Least-squares slope of log(value) against log(size), over the sizes with a positive value."""
    points = [(math.log(s), math.log(v)) for s, v in zip(sizes, values, strict=True) if v is not None and v > 0]
    if len(points) < 2:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else None


def growth(sizes: list[int], values: list[float | None]) -> str:
    """The exponent, and with three sizes or more the exponent of each step (a quadratic step shows as ~2)."""
    slope = exponent(sizes, values)
    if slope is None:
        return "—"
    known = [(s, v) for s, v in zip(sizes, values, strict=True) if v is not None and v > 0]
    steps = [exponent([a[0], b[0]], [a[1], b[1]]) for a, b in zip(known, known[1:], strict=False)]
    detail = f" ({', '.join(f'{s:.2f}' for s in steps if s is not None)})" if len(steps) > 1 else ""
    return f"{slope:.2f}{detail}"


def geomean(values: Iterable[float]) -> float | None:
    """Geometric mean of positive values (None when there are none)."""
    logs = [math.log(v) for v in values if v > 0]
    return math.exp(sum(logs) / len(logs)) if logs else None


def ms(seconds: float | None) -> str:
    """Milliseconds with three significant digits or so."""
    if seconds is None:
        return "—"
    value = seconds * 1000
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def number(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


# ------------------------------------------------------------------ per-peer figures
def run_of(result: SizeResult, peer: str) -> PeerRun | None:
    return next((r for r in result.runs if r.peer == peer), None)


def timing_cell(run: PeerRun | None, name: str, options: Options) -> str:
    """`median / p95` in ms, or why there is none."""
    if run is None:
        return "not run"
    if run.status != "ok":
        return run.status.split(":")[0]
    timing = run.timings.get(name)
    if timing is None:
        return "—"
    if timing.median is None:
        if timing.error == TIMEOUT:
            return f"timeout (> {options.timeout:g} s)"
        return f"error ({(timing.error or '').split(':')[0][:24]})"
    cell = f"{ms(timing.median)} / {ms(timing.p95)}"
    if len(timing.samples) < options.iterations:
        cell += f" (n={len(timing.samples)}" + (", then timeout" if timing.error == TIMEOUT else "") + ")"
    return cell


def median_or_bound(timing: Timing | None, options: Options) -> tuple[float | None, bool]:
    """A query's median, or the timeout as a lower bound (second item True) when it timed out."""
    if timing is None:
        return None, False
    if timing.median is not None:
        return timing.median, False
    return (options.timeout, True) if timing.error == TIMEOUT else (None, False)


def ratio(result: SizeResult, top: str, bottom: str, options: Options, join_heavy_only: bool = False) -> str:
    """Geometric mean over the named queries of top's median / bottom's median (`≥` when top timed out)."""
    value, bounded, count = ratio_value(result, top, bottom, options, join_heavy_only)
    if value is None:
        return "—"
    considered = sum(1 for c in result.cases if c.join_heavy or not join_heavy_only)
    left = f"; {considered - count} left out" if considered > count else ""
    return f"{'≥ ' if bounded else ''}{value:.2f}x ({count} queries{left})"


def ratio_value(
    result: SizeResult, top: str, bottom: str, options: Options, join_heavy_only: bool = False
) -> tuple[float | None, bool, int]:
    """(geometric mean of the ratios, whether any was a lower bound, how many queries).

    A query counts when both peers answered it with the same number of rows (or `top` timed out,
    the timeout then being a lower bound); failures and disagreements are left out.
    """
    upper, lower = run_of(result, top), run_of(result, bottom)
    if upper is None or lower is None or upper.status != "ok" or lower.status != "ok":
        return None, False, 0
    ratios, bounded = [], False
    for case in result.cases:
        if join_heavy_only and not case.join_heavy:
            continue
        high, low = upper.timings.get(case.name), lower.timings.get(case.name)
        if high is None or low is None or (high.rows is not None and high.rows != low.rows):
            continue
        numerator, is_bound = median_or_bound(high, options)
        denominator, _ = median_or_bound(low, options)
        if numerator is not None and denominator and not (is_bound and numerator < denominator):
            ratios.append(numerator / denominator)
            bounded = bounded or is_bound
    return geomean(ratios), bounded, len(ratios)
