"""The benchmark's arithmetic and report, on made-up results (no corpus, no server): growth exponents,
ratios that leave out disagreeing answers, targets with their gaps, notes kept across re-runs, the
time limit that stops a command with its children."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from support import wait_until

from kg.bench.data import as_json, from_json
from kg.bench.figures import exponent, geomean, growth, ratio_value
from kg.bench.harness import BenchOptionError, SizeResult, Step, measure, options_from, rules_seconds
from kg.bench.peerbench import TIMEOUT, Case, CorpusSummary, Options, PeerRun, Timing, candidates
from kg.bench.peers import Load, server_timing
from kg.bench.report import document, write_document
from kg.bench.steps import service_steps
from kg.bench.synthetic import Corpus
from kg.bench.targets import target_rows


def result(claims: int, **runs: dict[str, Timing]) -> SizeResult:
    """A size whose build took claims/1000 s and whose peers answered as given."""
    cases = [Case(name, "SELECT * {}", {}, name.startswith("heavy")) for name in next(iter(runs.values()), {})]
    peer_runs = [PeerRun(peer, timings=timings) for peer, timings in runs.items()]
    return SizeResult(
        claims,
        claims // 50,
        Step(claims / 1000, 100),
        Step(claims / 500, 200),
        quads=claims * 30,
        rules_seconds=claims / 2000,
        cases=cases,
        runs=peer_runs,
    )


def test_the_exponent_of_a_quadratic_figure_is_two_and_each_step_shows() -> None:
    sizes = [1_000, 10_000, 100_000]
    assert exponent(sizes, [s**2 / 1e6 for s in sizes]) == pytest.approx(2.0)
    assert growth(sizes, [1.0, 10.0, 1000.0]) == "1.50 (1.00, 2.00)"
    assert growth(sizes, [1.0, None, None]) == "—"
    assert geomean([2.0, 8.0]) == pytest.approx(4.0)


def test_a_ratio_leaves_out_failures_and_different_answers_and_bounds_timeouts() -> None:
    size = result(
        1000,
        service={"a": Timing(5, [0.01]), "b": Timing(5, [0.01]), "heavy": Timing(5, [0.02]), "c": Timing(5, [0.1])},
        **{
            "rdflib-endpoint": {
                "a": Timing(5, [0.1]),  # 10x
                "b": Timing(4, [0.5]),  # different rows: left out
                "heavy": Timing(5, error=TIMEOUT),  # >= 30 s / 0.02 s
                "c": Timing(None, error="HTTP 400: bad"),  # failed: left out
            }
        },
    )
    options = Options(timeout=30)
    value, bounded, count = ratio_value(size, "rdflib-endpoint", "service", options)
    assert (count, bounded) == (2, True)
    assert value == pytest.approx((10 * 1500) ** 0.5)
    assert ratio_value(size, "rdflib-endpoint", "service", options, join_heavy_only=True)[2] == 1


def test_targets_report_the_gap_of_each_missed_one() -> None:
    slow = result(1_000_000, service={"q": Timing(1, [0.02])}, pyoxigraph={"q": Timing(1, [0.01])})
    small = result(10_000, service={"q": Timing(1, [0.02])}, pyoxigraph={"q": Timing(1, [0.01])})
    rows = {row[0]: row for row in target_rows([small, slow], Options())}
    service = rows["evkg serve over HTTP / pyoxigraph in-process (median latency)"]
    assert service[3] == "**no**" and "1.54x over" in service[4] and "10.0 ms per query" in service[4]
    build = rows["build throughput (quads in the store / build wall time)"]
    assert build[3] == "**no**" and "3.3x too slow" in build[4]  # 30 quads per claim in 1 ms per claim
    assert "loader alone" not in build[4]  # not measured: no ceiling to state
    small.loader = Step(10_000 / 4000, 80)  # 300k quads in 2.5 s, at the size the build is slowest
    build = {row[0]: row for row in target_rows([small, slow], Options())}[build[0]]
    assert "Oxigraph's bulk loader alone loads 120,000 quads/s of the same data there" in build[4]
    million = rows["1M claims reasoned (`evkg reason`)"]
    assert million[3] == "**no**" and "1,100 s over" in million[4]
    assert rows["conflict detection growth exponent (conflict rules s vs claims)"][3] == "**yes**"


def served(seconds: float, check: float, pool: float, query: float, rows: int = 1) -> Timing:
    """A served timing whose every run reported the same Server-Timing steps (seconds)."""
    return Timing(rows, [seconds] * 3, server=[{"check": check, "pool": pool, "query": query}] * 3)


def test_the_added_time_splits_into_the_served_steps_and_what_is_outside() -> None:
    size = result(
        10_000,
        service={
            "a": served(0.005, 0.0004, 0.0006, 0.0015),  # floor 1 ms: worker 0.5, outside 2.5 ms
            "b": served(0.012, 0.0008, 0.0004, 0.0090),  # floor 8 ms: worker 1, outside 1.8 ms
            "c": served(0.050, 0.0010, 0.0010, 0.0400, rows=2),  # other rows than the floor: left out
        },
        pyoxigraph={"a": Timing(1, [0.001]), "b": Timing(1, [0.008]), "c": Timing(1, [0.001])},
    )
    steps = service_steps(size)
    assert steps is not None
    assert steps["added"] == pytest.approx((0.004 + 0.004) / 2)
    assert steps["check"] == pytest.approx(0.0006)
    assert steps["pool"] == pytest.approx(0.0005)
    assert steps["worker"] == pytest.approx(0.00075)
    assert steps["outside"] == pytest.approx(0.00215)
    service = target_rows([size], Options())[0]
    assert "check 0.60 ms, pool 0.50 ms, worker 0.75 ms, outside 2.15 ms" in service[4]
    assert "served / its own query step: 1.77x" in service[2]  # (5/1.5 * 12/9 * 50/40) ** (1/3)
    assert "where the added time goes" in document([size], Options(), False)
    silent = result(10_000, service={"a": Timing(1, [0.005])}, pyoxigraph={"a": Timing(1, [0.001])})
    assert service_steps(silent) is None  # a server without Server-Timing: no split, no section


def test_the_service_target_is_met_only_when_every_size_is_within_it() -> None:
    small = result(10_000, service={"q": Timing(1, [0.015])}, pyoxigraph={"q": Timing(1, [0.01])})
    large = result(100_000, service={"q": Timing(1, [0.011])}, pyoxigraph={"q": Timing(1, [0.01])})
    service = target_rows([small, large], Options())[0]
    assert service[2].startswith("1.50x at 10,000; 1.10x at 100,000 claims")
    assert service[3] == "**no**" and service[4].startswith("1.15x over at 10,000 claims")
    assert target_rows([large], Options())[0][3] == "**yes**"


def test_server_timing_headers_are_read_in_seconds() -> None:
    header = 'check;dur=0.40;desc="graph table", query;dur=12.5, pool;desc="no duration", total;dur=13'
    assert server_timing(header) == {"check": 0.0004, "query": 0.0125, "total": 0.013}
    assert server_timing(None) is None and server_timing("") is None


def test_a_rerun_keeps_the_hand_written_notes(tmp_path: Path) -> None:
    path = tmp_path / "BENCHMARKS.md"
    text = document([result(1000)], Options(queries=False), shapes=False)
    write_document(path, text)
    path.write_text(path.read_text().replace("(No notes yet", "Why: the build parses YAML.\n(No notes yet"))
    write_document(path, document([result(2000)], Options(queries=False), shapes=False))
    assert "Why: the build parses YAML." in path.read_text()
    assert "| figure | 2,000 claims | growth exponent |" in path.read_text()


def test_options_name_known_peers_only() -> None:
    given = {
        "sizes": "300,600",
        "skip_shapes": True,
        "limit": 60.0,
        "peers": "service,virtuoso",
        "peer_max_claims": "virtuoso=500",
        "iterations": 2,
        "query_timeout": 5.0,
        "query_budget": 1.0,
        "clients": 2,
        "load_seconds": 1.0,
    }
    sizes, shapes, options, command = options_from(given)
    assert (sizes, shapes, options.peers, options.max_claims) == (
        [300, 600],
        False,
        ("service", "virtuoso"),
        {"virtuoso": 500},
    )
    assert command.startswith("evkg bench --sizes 300,600")
    assert options_from({**given, "peers": "none"})[2].queries is False
    with pytest.raises(BenchOptionError, match="unknown peer fuseki"):
        options_from({**given, "peers": "fuseki"})


def test_a_step_past_its_limit_is_stopped_with_its_children(tmp_path: Path) -> None:
    marker, pid = tmp_path / "survived", tmp_path / "child.pid"
    started = time.monotonic()
    child = f"sh -c 'echo $$ > {pid}; sleep 3; touch {marker}'"
    step = measure("sh", "-c", f"({child}) & sleep 30", log=tmp_path / "log", limit=0.5)
    assert not step.finished and time.monotonic() - started < 10
    wait_until(lambda: not pid.exists() or gone(int(pid.read_text())), 10, "the background child's end")
    assert not marker.exists()  # killed with its group, before its own 3 s were up


def gone(pid: int) -> bool:
    """Whether no process (or only a zombie) has this pid."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


def test_the_conflict_rule_time_is_read_from_the_reason_log(tmp_path: Path) -> None:
    log = tmp_path / "reason.log"
    log.write_text(
        "· classifying 10 triples with hermit\n· clinical questions: 40 inferred triples in 0.50 s\n"
        "· compaction: storage reorganized for the rules in 0.10 s\n"
        "· conflicts/a-conflict: 3 in 0.25 s\n· conflicts/b: 0 in 1.50 s\n"
    )
    assert rules_seconds(log) == pytest.approx(2.35)
    assert rules_seconds(tmp_path / "missing.log") is None


def test_the_raw_results_come_back_from_json_as_they_were() -> None:
    size = result(1000, service={"a": served(0.01, 0.001, 0.002, 0.004)}, pyoxigraph={"a": Timing(5, [0.005])})
    size.runs[0].load = Load(10, 1, 2.0, 4)
    size.loader = Step(0.25, 90)
    options = Options(peers=("service",), iterations=2)
    data = json.loads(json.dumps(as_json([size], options, False, "evkg bench --sizes 1000", "2026-11-22 18:00 UTC")))
    assert from_json(data) == ([size], options, False, "evkg bench --sizes 1000", "2026-11-22 18:00 UTC")


def test_a_failing_step_is_recorded_not_raised(tmp_path: Path) -> None:
    step = measure("sh", "-c", "echo boom; exit 3", log=tmp_path / "log", limit=30)
    assert (step.finished, step.failure) == (False, "exit code 3")
    assert str(step).startswith("failed after") and "boom" in (tmp_path / "log").read_text()


def test_parameter_candidates_are_present_in_the_corpus() -> None:
    corpus = Corpus(600).generate()
    values = candidates(CorpusSummary.of(corpus))
    sources = {s.id: s for s in corpus.sources}
    assert len(values["source"]) == 4 and len(sources[values["source"][0]].claims) == 50
    assert all(source in sources for source in values["source"])
    assert "contraindication" in {c["kind"] for c in sources[values["source"][1]].claims}
    assert any(c.get("exclusive") for c in sources[values["source"][2]].claims)
    assert any("effect" in c for c in sources[values["source"][3]].claims)
    assert values["condition"][0] in corpus.conditions and values["condition"][0].startswith("background")
