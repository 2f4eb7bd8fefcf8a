"""Runaway queries cannot starve cheap ones: while long queries hold query workers, the pool grows to
keep one idle, so cheap queries are answered (never a 503); and every 503 carries Retry-After."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from pathlib import Path

from support import wait_until

from kg.bench import runaway_load
from service.errors import Overloaded, QueryTimeout, StoreUnavailable, error_body

ONE_WEB_WORKER = {"EVKG_WORKERS": "1", "EVKG_QUERY_WORKERS": "1", "EVKG_QUERY_WORKERS_MAX": "4"}


def pool(base: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{base}/health", timeout=30) as reply:
        return json.loads(reply.read())["query_workers"]  # type: ignore[no-any-return]


def runaways_running(count: int) -> Callable[[str], None]:
    """Settle once `count` workers are busy and one more is idle (the spare)."""

    def settle(base: str) -> None:
        wait_until(lambda: (p := pool(base))["running"] - p["idle"] >= count and p["idle"] >= 1, timeout=60)

    return settle


def test_cheap_queries_are_answered_while_runaways_hold_workers(tmp_path: Path) -> None:
    env = {**ONE_WEB_WORKER, "EVKG_QUERY_TIMEOUT": "60"}
    figures = runaway_load.run(tmp_path, runaways=2, clients=2, seconds=3, env=env, settle=runaways_running(2))
    assert figures["refused_503"] == 0 and figures["other_errors"] == 0
    assert int(figures["cheap_queries"]) >= 10  # type: ignore[call-overload]


def test_every_503_says_when_to_retry() -> None:
    for error in (Overloaded("busy"), QueryTimeout("slow"), StoreUnavailable("gone")):
        headers = dict(error_body(error).headers)
        assert headers["Retry-After"] == "5"
