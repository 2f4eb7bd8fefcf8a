"""Reader leases on store generations: a reader holds a shared lock on the generation it reads, and
a generation is deleted only by whoever can take that lock exclusively, so no reader ever finds
its files gone. The last reader of a superseded generation deletes it; a writer deletes the ones
nobody reads any more; the OS releases a killed reader's lease."""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path
from typing import IO

from kg.errors import StoreError

LEASE = "evkg-readers.lock"
"""Inside each generation directory: the file readers lock shared, and a deleter exclusively."""
ATTEMPTS = 100


class Lease:
    """A shared lock on one generation, held until `release()` (or until the process ends)."""

    def __init__(self, handle: IO[bytes], generation: Path, live: Path) -> None:
        self._handle: IO[bytes] | None = handle
        self.generation = generation
        self._live = live

    def release(self) -> None:
        """Let go of the generation, and delete it if it is no longer live and nobody else reads it."""
        if self._handle is None:
            return
        self._handle.close()
        self._handle = None
        if self._live.resolve() != self.generation:
            reap(self.generation)


def lease_live(live: Path) -> Lease:
    """Resolve the live generation (the `current` link) and hold a shared lease on it."""
    for _ in range(ATTEMPTS):
        generation = live.resolve()
        handle = _leased(generation)
        if handle is not None:
            return Lease(handle, generation, live)
    raise StoreError(f"the live generation of {live.parent} kept changing while it was being opened")


def _leased(generation: Path) -> IO[bytes] | None:
    """The generation's lease file, locked shared; None when it is being or has been deleted."""
    try:
        handle = open(generation / LEASE, "ab")  # noqa: SIM115 - held open for the lease's lifetime
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    if not (generation / LEASE).exists():  # deleted between our open and our lock
        handle.close()
        return None
    return handle


def reap(generation: Path) -> bool:
    """Delete a generation that no reader holds; False (and nothing deleted) while one does."""
    try:
        fd = os.open(generation / LEASE, os.O_RDONLY | os.O_CREAT, 0o644)
    except (FileNotFoundError, NotADirectoryError):
        shutil.rmtree(generation, ignore_errors=True)
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False
    try:
        shutil.rmtree(generation, ignore_errors=True)
    finally:
        os.close(fd)
    return True
