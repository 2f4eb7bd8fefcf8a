"""One writer at a time per store directory: an OS file lock that the OS releases when its process dies.

Readers never take it. A writer that finds the lock held waits up to its timeout, then fails with
the holder's pid, command and start time. Within one thread the lock is re-entrant, so a command
that holds it (`evkg review`) can call steps that take it again (`reason`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from kg.errors import StoreError

LOCK_FILE = ".writer.lock"
POLL_SECONDS = 0.05
DEFAULT_TIMEOUT = 30.0

_held: dict[tuple[Path, int], int] = {}


class WriterBusy(StoreError):
    """Another process holds the store's writer lock, and the wait for it ran out."""


@contextlib.contextmanager
def writer_lock(path: Path, command: str, timeout: float = DEFAULT_TIMEOUT) -> Iterator[None]:
    """Hold the store's writer lock for the block (waiting up to `timeout` seconds for it)."""
    key = (path.resolve(), threading.get_ident())
    if key in _held:
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    with _locked(path, command, timeout):
        _held[key] = 1
        try:
            yield
        finally:
            del _held[key]


@contextlib.contextmanager
def _locked(path: Path, command: str, timeout: float) -> Iterator[None]:
    fd = _open(path)
    try:
        _acquire(fd, path, timeout)
        _describe(fd, command)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _open(path: Path) -> int:
    try:
        path.mkdir(parents=True, exist_ok=True)
        return os.open(path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(f"cannot write the store at {path}: {exc.strerror or exc}") from None


def _acquire(fd: int, path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise WriterBusy(
                    f"another writer ({holder(path)}) holds the store {path}; waited {timeout:g} s "
                    "(setting writer_timeout): try again when it is done"
                ) from None
            time.sleep(POLL_SECONDS)


def _describe(fd: int, command: str) -> None:
    """Write who holds the lock into the lock file, for the message a waiting writer gives."""
    since = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    text = json.dumps({"pid": os.getpid(), "command": command, "since": since}).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, text, 0)


def holder(path: Path) -> str:
    """The lock holder as the lock file describes it: pid, command and since when."""
    try:
        info = json.loads((path / LOCK_FILE).read_text())
        return f"pid {info['pid']}, `{info['command']}`, since {info['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that has not described itself yet"
