"""A pool of query worker processes: a query that runs past its timeout is killed with its worker.

Each web process owns one pool. A request takes an idle worker, sends it the job and waits at
most the timeout; on timeout the worker process is killed (the only way to stop a pyoxigraph
query) and a fresh one is started in the background, while the other workers keep serving.
"""

from __future__ import annotations

import logging
import queue
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from service.errors import BadRequest, Overloaded, QueryTimeout, ResultTooLarge, ServiceError
from service.worker import READY, Job, Outcome

log = logging.getLogger(__name__)
STARTUP_SECONDS = 60.0
RETRY_SECONDS = 0.5
MAX_RETRY_SECONDS = 10.0
"""A worker that cannot start is replaced after a pause that doubles up to this."""
WORKER_MAIN = "from service.worker import main; main()"
_ERRORS: dict[int, type[ServiceError]] = {400: BadRequest, 507: ResultTooLarge}


@dataclass(eq=False)
class Worker:
    process: subprocess.Popen[bytes]
    conn: Connection


@dataclass
class PoolStats:
    """Counters for /health and the tests."""

    started: int = 0
    killed: int = 0
    timeouts: int = 0
    pids: set[int] = field(default_factory=set)


class QueryPool:
    """`size` worker processes over the store at `path`, growing up to `max_size` so that one stays
    idle for the next query while others run long ones; queries limited to `timeout` seconds."""

    def __init__(self, path: Path, size: int, timeout: float, max_size: int | None = None) -> None:
        self.path = path
        self.size = max(1, size)
        self.max_size = max(self.size, max_size or self.size)
        self._starting = 0
        self.timeout = timeout
        self.stats = PoolStats()
        self._idle: queue.Queue[Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._started = False
        self._closed = threading.Event()
        self._workers: set[Worker] = set()
        self._backoff = RETRY_SECONDS

    def start(self) -> None:
        """Start the workers (once); they get ready in the background."""
        with self._lock:
            if self._started:
                return
            self._started = True
        for _ in range(self.size):
            self._spawn()

    def run(self, job: Job) -> Outcome:
        """Run a job on an idle worker: the outcome, or 503 on timeout or when all stay busy."""
        self.start()
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise Overloaded(
                f"all {self.max_size} query workers stayed busy for {self.timeout:g} s; retry later"
            ) from None
        self._keep_spare()
        outcome = self._ask(worker, job)
        if outcome.status != 200:
            raise _ERRORS.get(outcome.status, ServiceError)(outcome.detail)
        return outcome

    def _ask(self, worker: Worker, job: Job) -> Outcome:
        started = time.monotonic()
        try:
            worker.conn.send(job)
            if not worker.conn.poll(self.timeout):
                self.stats.timeouts += 1
                self._replace(worker)
                raise QueryTimeout(
                    f"the query ran longer than {self.timeout:g} s (EVKG_QUERY_TIMEOUT) and was stopped; "
                    "add a LIMIT, narrow the patterns, or run it on a local copy (`evkg query`)"
                )
            outcome: Outcome = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError) as exc:
            log.error("query worker %s died: %s", worker.process.pid, exc)
            self._replace(worker)
            raise ServiceError("the query worker stopped unexpectedly; the query was not answered") from exc
        self._release(worker)
        log.debug("query answered in %.3f s", time.monotonic() - started)
        return outcome

    def _keep_spare(self) -> None:
        """When the last idle worker was taken, start another (up to max_size) for the next query."""
        with self._lock:
            grow = self._idle.empty() and not self._starting and len(self._workers) < self.max_size
        if grow:
            self._spawn()

    def _release(self, worker: Worker) -> None:
        """Back to the idle queue, or stopped when the pool has grown and another worker is idle."""
        with self._lock:
            shrink = len(self._workers) > self.size and not self._idle.empty()
        if shrink:
            self._kill(worker)
        else:
            self._idle.put(worker)

    def _spawn(self) -> None:
        """Start one worker process (service.worker.main); it joins the idle queue when it is ready."""
        parent, child = socket.socketpair()
        command = [sys.executable, "-c", WORKER_MAIN, "--fd", str(child.fileno()), "--store", str(self.path)]
        process = subprocess.Popen(command, pass_fds=[child.fileno()], stdin=subprocess.DEVNULL)
        child.close()
        self.stats.started += 1
        self.stats.pids.add(process.pid)
        worker = Worker(process, Connection(parent.detach()))
        with self._lock:
            self._workers.add(worker)
            self._starting += 1
        threading.Thread(target=self._await_ready, args=(worker,), daemon=True).start()

    def _await_ready(self, worker: Worker) -> None:
        message: Any = None
        try:
            if worker.conn.poll(STARTUP_SECONDS):
                message = worker.conn.recv()
        except (EOFError, OSError):
            message = None
        with self._lock:
            self._starting -= 1
        if message == READY:
            self._backoff = RETRY_SECONDS
            self._idle.put(worker)
            return
        log.error("query worker did not start: %s; retrying in %g s", message or "no answer", self._backoff)
        self._kill(worker)
        self._retry()

    def _retry(self) -> None:
        """Start a replacement after a growing pause, unless the pool was closed meanwhile."""
        pause, self._backoff = self._backoff, min(self._backoff * 2, MAX_RETRY_SECONDS)
        if not self._closed.wait(pause):
            self._spawn()

    def _replace(self, worker: Worker) -> None:
        self._kill(worker)
        self._spawn()

    def _kill(self, worker: Worker) -> None:
        with self._lock:
            self._workers.discard(worker)
        worker.process.kill()
        worker.process.wait(5)
        worker.conn.close()
        self.stats.killed += 1
        self.stats.pids.discard(worker.process.pid)

    def close(self) -> None:
        """Stop every worker, busy ones included (their query is abandoned), and any retry."""
        self._closed.set()
        with self._lock:
            workers = list(self._workers)
        for worker in workers:
            self._kill(worker)

    def health(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "max_size": self.max_size,
            "running": len(self._workers),
            "idle": self._idle.qsize(),
            "started": self.stats.started,
            "killed": self.stats.killed,
            "timeouts": self.stats.timeouts,
        }
