"""Cheap queries while runaway ones hold query workers: `python -m kg.bench.runaway_load`.

Starts `evkg serve` on a small store, sends `--runaways` queries that run until the query timeout,
then for `--seconds` sends cheap queries (`ASK {}`) from `--clients` threads, one after another, and
reports their latency (median, 95th percentile, worst) and how many were refused (503).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kg.bench.loopback import HOST, die_with_parent, free_port, stop_group, wait_port
from kg.bench.update_load import post
from kg.store.oxigraph import write_generation

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
CHEAP = "ASK {}"
FORM = "application/x-www-form-urlencoded"
WARM_UP_SECONDS = 3.0


@dataclass
class Latencies:
    """The cheap queries' seconds and statuses."""

    seconds: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, status: int) -> None:
        with self.lock:
            self.seconds.append(seconds)
            self.statuses.append(status)

    def report(self) -> dict[str, object]:
        """Count, median, p95 and worst in milliseconds, and the statuses seen."""
        ordered = sorted(self.seconds)
        p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)] if ordered else 0.0
        return {
            "cheap_queries": len(ordered),
            "median_ms": round(statistics.median(ordered) * 1000, 1) if ordered else None,
            "p95_ms": round(p95 * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1) if ordered else None,
            "refused_503": self.statuses.count(503),
            "other_errors": sum(1 for s in self.statuses if s not in (200, 503)),
        }


def ask(base: str, query: str) -> int:
    """Send one query (form POST); its status."""
    return post(f"{base}/sparql", urllib.parse.urlencode({"query": query}).encode(), FORM)[0]


def cheap_client(base: str, until: float, out: Latencies) -> None:
    """Cheap queries one after another until `until`."""
    while time.monotonic() < until:
        started = time.perf_counter()
        status = ask(base, CHEAP)
        out.add(time.perf_counter() - started, status)


def small_store(path: Path) -> None:
    """300 triples: enough for the runaway query to run for hours."""
    triples = " ".join(f"<urn:s{i}> <urn:p> {i} ." for i in range(300))
    write_generation(path, lambda s: s.update(f"INSERT DATA {{ {triples} }}"))


def serve(store: Path, log: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """`evkg serve` on the store with the given settings; its process and base URL once it listens."""
    port = free_port()
    command = [str(Path(sys.executable).with_name("evkg")), "serve", "--store", str(store), "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    wait_port(port, process, 120, "evkg serve")
    base = f"http://{HOST}:{port}"
    while ask(base, CHEAP) != 200:  # the query workers start in the background
        time.sleep(0.1)
    return process, base


def warm_up(base: str) -> None:
    """The benchmark's pause before measuring: the runaways reach their workers, and the pools grow."""
    time.sleep(WARM_UP_SECONDS)


def run(
    folder: Path,
    runaways: int,
    clients: int,
    seconds: float,
    env: dict[str, str],
    settle: Callable[[str], None] = warm_up,
) -> dict[str, object]:
    """Start the server, the runaways, then (once `settle` returns) the cheap clients; their figures."""
    small_store(folder / "store")
    process, base = serve(folder / "store", folder / "serve.log", env)
    try:
        for _ in range(runaways):
            threading.Thread(target=ask, args=(base, RUNAWAY), daemon=True).start()
        settle(base)
        out, until = Latencies(), time.monotonic() + seconds
        threads = [threading.Thread(target=cheap_client, args=(base, until, out)) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        stop_group(process)
    return {"runaways": runaways, "clients": clients, "seconds": seconds, **env, **out.report()}


def main(argv: list[str] | None = None) -> int:
    """Run it with the settings given as EVKG_* variables; print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runaways", type=int, default=4)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="an EVKG_ setting")
    args = parser.parse_args(argv)
    env = {"EVKG_QUERY_TIMEOUT": "60", **dict(item.split("=", 1) for item in args.set)}
    with tempfile.TemporaryDirectory() as folder:
        figures = run(Path(folder), args.runaways, args.clients, args.seconds, env)
    print(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
