"""Holds an rdflib Dataset in memory and serves it with rdflib-endpoint, for the benchmark.

    python -m kg.bench.rdflib_holder DATA.nq PORT

loads the N-Quads file into an rdflib `Dataset` (default graph = union of all graphs, as the
embedded store), prints `loaded <quads> <seconds of loading>`, then reads commands on standard input:
`serve` forks a child that serves the dataset on 127.0.0.1:PORT with rdflib-endpoint under uvicorn
(killing the previous child first) and prints `ready`. rdflib-endpoint evaluates each query
synchronously and cannot cancel it, so the benchmark stops a query that runs past its timeout by
sending `serve` again: the fork shares the loaded data, and serving resumes at once instead of
after a reload. End of input (the benchmark closing the pipe, or dying) stops the child and exits.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import Any

from kg.bench.loopback import HOST, port_open


def load(path: str) -> Any:
    """The N-Quads file as an rdflib Dataset whose default graph is the union of its graphs."""
    from rdflib import Dataset

    dataset = Dataset(default_union=True)
    dataset.parse(path, format="nquads")
    return dataset


def endpoint(dataset: Any) -> Any:
    """The rdflib-endpoint application over the dataset (served at `/`)."""
    from rdflib_endpoint import SparqlEndpoint

    return SparqlEndpoint(graph=dataset, cors_enabled=False)


def serve_child(app: Any, port: int) -> int:
    """Fork a process that serves `app` on the port; return its PID."""
    pid = os.fork()
    if pid == 0:  # the child: serve until killed
        import uvicorn

        signal.signal(signal.SIGINT, signal.SIG_DFL)
        uvicorn.run(app, host=HOST, port=port, log_level="warning", access_log=False)
        os._exit(0)
    return pid


def stop_child(pid: int | None) -> None:
    """SIGKILL the serving child (it may be busy in a query that never ends) and reap it."""
    if pid:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def wait_listening(pid: int, port: int, seconds: float = 60) -> None:
    """Wait until the child accepts connections on the port."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            raise RuntimeError("the rdflib-endpoint server exited at start")
        if port_open(port):
            return
        time.sleep(0.1)
    raise RuntimeError(f"rdflib-endpoint did not listen on port {port} within {seconds:.0f} s")


def main(argv: list[str]) -> int:
    """Load, then answer `serve` commands until standard input closes."""
    path, port = argv[0], int(argv[1])
    started = time.perf_counter()
    dataset = load(path)
    app = endpoint(dataset)
    seconds = time.perf_counter() - started
    print(f"loaded {sum(1 for _ in dataset.quads())} {seconds:.3f}", flush=True)
    child: int | None = None
    try:
        for line in sys.stdin:
            if line.strip() != "serve":
                continue
            stop_child(child)
            child = serve_child(app, port)
            wait_listening(child, port)
            print("ready", flush=True)
    finally:
        stop_child(child)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
