"""SIGTERM stops `evkg serve` and every query worker within the graceful timeout, whatever the
query timeout: a query worker busy with a runaway query does not outlive its server."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from support import wait_until

from kg.store.oxigraph import write_generation

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def group(leader: int) -> set[int]:
    """Every live process in the process group `leader` leads."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == leader:
                    found.add(int(entry.name))
            except ProcessLookupError:
                continue
    return found


def health(url: str) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=5) as reply:
            return json.loads(reply.read())  # type: ignore[no-any-return]
    except (urllib.error.URLError, OSError):
        return None


def idle(url: str) -> int | None:
    """How many query workers wait for a query (None while the server does not answer)."""
    workers = (health(url) or {}).get("query_workers")
    return workers.get("idle") if isinstance(workers, dict) else None


def ask(url: str, query: str) -> None:
    body = urllib.parse.urlencode({"query": query}).encode()
    with contextlib.suppress(urllib.error.URLError, OSError):
        urllib.request.urlopen(f"{url}/sparql", body, timeout=120).read()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_sigterm_stops_the_server_and_a_busy_query_worker(tmp_path: Path) -> None:
    store = tmp_path / "store"
    triples = " ".join(f"<urn:s{i}> <urn:p> {i} ." for i in range(300))
    write_generation(store, lambda s: s.update(f"INSERT DATA {{ {triples} }}"))
    port, url = free_port(), ""
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "EVKG_QUERY_TIMEOUT": "600", "EVKG_WORKERS": "1", "EVKG_QUERY_WORKERS": "1"}
    evkg = str(Path(sys.executable).with_name("evkg"))
    server = subprocess.Popen(
        [evkg, "serve", "--store", str(store), "--port", str(port)],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: idle(url) == 1, timeout=120)
        threading.Thread(target=ask, args=(url, RUNAWAY), daemon=True).start()
        wait_until(lambda: idle(url) == 0, timeout=60)
        processes = group(server.pid)
        assert len(processes) >= 3, "server, web worker and query worker"
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        wait_until(lambda: not group(server.pid), timeout=30)
    finally:
        for pid in group(server.pid):
            os.kill(pid, signal.SIGKILL)
