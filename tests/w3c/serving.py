"""Start and stop a real `evkg serve` (gunicorn) on a free loopback port: used by the service tests
and the conformance runner."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spawn_serve(store: Path, port: int, env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`evkg serve --store STORE --port PORT` in its own process group, output to `log`."""
    command = [str(Path(sys.executable).parent / "evkg"), "serve", "--store", str(store), "--port", str(port)]
    with log.open("wb") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group, then SIGKILL what is left."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def wait_until(predicate: Callable[[], T], timeout: float, what: str = "the condition", interval: float = 0.05) -> T:
    """Poll `predicate` until it returns something true and return that; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not hold within {timeout:g} s (last: {value!r})")
        time.sleep(interval)  # the polling interval: the deadline above bounds the wait


def wait_for_health(
    url: str, process: subprocess.Popen[bytes], log: Path, workers: int = 2, seconds: float = 60
) -> None:
    """Poll /health until the server and its query workers answer; stop it and raise if they never do."""
    try:
        wait_until(lambda: healthy(url, process, log, workers), seconds, "evkg serve's health", interval=0.2)
    except AssertionError:
        stop(process)
        raise RuntimeError(f"evkg serve did not get ready: {log.read_text()[-3000:]}") from None


def healthy(url: str, process: subprocess.Popen[bytes], log: Path, workers: int) -> bool:
    """Whether /health answers with `workers` idle query workers (raise if the server exited)."""
    if process.poll() is not None:
        raise RuntimeError(f"evkg serve exited: {log.read_text()[-3000:]}")
    try:
        with urllib.request.urlopen(url + "/health", timeout=2) as response:
            return bool(json.loads(response.read())["query_workers"]["idle"] == workers)
    except (OSError, ValueError, KeyError):
        return False
