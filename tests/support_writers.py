"""Helpers for the writer tests: child-process programs and a poll with a deadline."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from kg.sources.reviews import Review

HOLD_LOCK = """
import sys
from pathlib import Path
from kg.store.lock import writer_lock
with writer_lock(Path(sys.argv[1]), "evkg build"):
    print("held", flush=True)
    sys.stdin.read()
"""

REVIEW_LOOP = """
import datetime as dt, sys
from pathlib import Path
from kg.sources.reviews import Review, add_review
path, start, count = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
for i in range(start, start + count):
    add_review(path, Review(conflict=f"{i:016x}", status="confirmed", reviewer="loop",
                            at=dt.datetime.now(dt.UTC), rationale="a rationale\\nover two lines"))
"""


def review(conflict: str) -> Review:
    """A confirmed review of one conflict id."""
    return Review(conflict=conflict, status="confirmed", reviewer="tester", at=dt.datetime.now(dt.UTC), rationale="ok")


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.01) -> None:
    """Poll `predicate` until it holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout} s")
        time.sleep(interval)
