"""A killed `evkg reason` leaves no reasoner behind: its Java process dies with it, and the next run
removes the temporary folder it left."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from support import wait_until

from kg.owl.reasoner import TEMP_PREFIX, sweep_folders


def children(parent: int) -> list[int]:
    """The pids of `parent`'s child processes."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_killing_reason_kills_its_reasoner_and_the_next_run_cleans_up(writable_store: Path) -> None:
    evkg = str(Path(sys.executable).with_name("evkg"))
    reason = subprocess.Popen(
        [evkg, "reason", "--store", str(writable_store)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until(lambda: bool(children(reason.pid)), timeout=120, interval=0.005)
        java = children(reason.pid)
        for pid in java:  # stopped, it cannot finish on its own: only its parent's death ends it
            os.kill(pid, signal.SIGSTOP)
    finally:
        os.kill(reason.pid, signal.SIGKILL)
        reason.wait()
    try:
        wait_until(lambda: not any(alive(pid) for pid in java), timeout=10)
    finally:
        for pid in java:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    left = list(Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}{reason.pid}-*"))
    assert left, "the killed run's folder is there until the next run"
    sweep_folders()
    assert not any(folder.exists() for folder in left)
