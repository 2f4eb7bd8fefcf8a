"""Servers the benchmark starts on loopback: free ports, readiness, memory, stopping a process group."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from kg.processes import die_with_parent

__all__ = ["HOST", "die_with_parent", "free_port", "port_open", "stop_group", "wait_port"]

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:`port`."""
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((HOST, port)) == 0


def wait_port(port: int, process: subprocess.Popen[bytes], seconds: float, what: str) -> None:
    """Wait until `port` accepts connections; raise if `process` exits or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} before listening on port {port}")
        if port_open(port):
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on port {port} within {seconds:.0f} s")


def stop_group(process: subprocess.Popen[bytes], grace: float = 15) -> None:
    """SIGTERM the process group `process` leads (started with start_new_session), then SIGKILL what is left."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
        except ProcessLookupError:
            pass
    kill_leftovers(process.pid)


def kill_leftovers(group: int) -> None:
    """SIGKILL any process still in process group `group` (children that outlived their leader)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)


def group_members(group: int) -> list[int]:
    """PIDs of the processes in process group `group`."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after the command: state, ppid, pgrp, ...
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and fields[2] == str(group):
            members.append(int(stat.parent.name))
    return members


def group_memory_mb(group: int) -> float:
    """Proportional set size (PSS: shared pages split between their users) of a process group, in MB."""
    total_kb = 0
    for pid in group_members(group):
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        total_kb += sum(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))
    return total_kb / 1024
