"""The benchmark's raw results as JSON (`evkg bench --json`), and back (`evkg bench --report-from`)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from kg.bench.harness import Score, SizeResult, Step
from kg.bench.peerbench import Case, Options, PeerRun, Timing
from kg.bench.peers import Load


def as_json(results: list[SizeResult], options: Options, shapes: bool, command: str, when: str) -> dict[str, Any]:
    """The raw results and how and when they were made, for `evkg bench --report-from` and other tools."""
    return {
        "command": command,
        "when": when,
        "shapes": shapes,
        "options": asdict(options),
        "results": [asdict(r) for r in results],
    }


def from_json(data: dict[str, Any]) -> tuple[list[SizeResult], Options, bool, str, str]:
    """Results, options, SHACL flag, command line and time back from `as_json`'s document."""
    results = [size_result(r) for r in data["results"]]
    options = Options(**{**data["options"], "peers": tuple(data["options"]["peers"])})
    return results, options, data["shapes"], data["command"], data["when"]


def size_result(raw: dict[str, Any]) -> SizeResult:
    """One SizeResult from its `asdict` form."""
    runs = [
        PeerRun(
            **{
                **run,
                "timings": {name: Timing(**timing) for name, timing in run["timings"].items()},
                "load": Load(**run["load"]) if run["load"] else None,
            }
        )
        for run in raw["runs"]
    ]
    return SizeResult(
        **{
            **raw,
            "build": Step(**raw["build"]),
            "reason": Step(**raw["reason"]),
            "loader": Step(**raw["loader"]) if raw.get("loader") else None,
            "score": Score(**raw["score"]) if raw["score"] else None,
            "cases": [Case(**case) for case in raw["cases"]],
            "runs": runs,
        }
    )
