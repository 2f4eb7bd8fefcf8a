"""The other SPARQL servers the benchmark compares with `evkg serve`, on the same data, on loopback.

- `rdflib-endpoint`: rdflib-endpoint over an rdflib Dataset loaded from an N-Quads dump of the
  store (`kg.bench.rdflib_holder`; a query past the timeout is stopped by restarting the server);
- `virtuoso`: a private Virtuoso (`kg.bench.virtuoso`) bulk-loaded from the same dump, queried at `/sparql`.
"""

from __future__ import annotations

import http.client
import json
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyoxigraph as ox

from kg.bench import virtuoso
from kg.bench.loopback import HOST, die_with_parent, free_port
from kg.bench.peers import HttpPeer


class RdflibPeer(HttpPeer):
    """rdflib-endpoint over an rdflib Dataset held by `kg.bench.rdflib_holder`; restarted after a timeout."""

    name = "rdflib-endpoint"
    label = "rdflib-endpoint"
    direct_post = True  # its form parser unquotes the query twice

    loaded_quads = 0
    load_seconds = 0.0
    log: Path | None = None
    restarting = threading.Lock()

    @classmethod
    def start(cls, data: Path, quads: int, log: Path, limit: float) -> RdflibPeer:
        """Load the N-Quads dump in a holder process (within `limit` s), check the count, start serving."""
        port = free_port()
        command = [sys.executable, "-m", "kg.bench.rdflib_holder", str(data), str(port)]
        with log.open("wb") as err:
            process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        peer = cls(port, "/", process)
        peer.log = log
        try:
            words = peer.read_line(limit, "loading the data").split()
            peer.loaded_quads, peer.load_seconds = int(words[1]), float(words[2])
            if peer.loaded_quads != quads:
                raise RuntimeError(f"rdflib loaded {peer.loaded_quads} quads; the store has {quads}")
            peer.recover()
        except BaseException:
            peer.stop()
            raise
        return peer

    def read_line(self, seconds: float, doing: str) -> str:
        """The holder's next line of output, within `seconds`."""
        assert self.process is not None and self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], seconds)
        line = self.process.stdout.readline().decode() if ready else ""
        if not line:
            output = self.log.read_text(errors="replace").strip().splitlines()[-3:] if self.log else []
            said = f": {' | '.join(output)}" if output else ""
            raise RuntimeError(f"rdflib-endpoint failed or ran past {seconds:.0f} s while {doing}{said}")
        return line

    def recover(self) -> None:
        """Restart the serving child (a fork of the loaded data): the only way to stop a running query."""
        assert self.process is not None and self.process.stdin is not None
        self._drop_connection()
        with self.restarting:
            self.process.stdin.write(b"serve\n")
            self.process.stdin.flush()
            self.read_line(120, "starting the server")

    def on_timeout(self) -> None:
        self.recover()

    def stop(self) -> None:
        if self.process is not None and self.process.stdin is not None:
            try:
                self.process.stdin.close()
                self.process.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        super().stop()


class VirtuosoPeer(HttpPeer):
    """A private Virtuoso bulk-loaded with the dump; its default dataset is the union of its graphs."""

    name = "virtuoso"
    label = "Virtuoso"
    load_seconds = 0.0

    def __init__(self, port: int, server: virtuoso.VirtuosoServer) -> None:
        super().__init__(port, "/sparql", server.process)
        self.server = server

    @classmethod
    def start(cls, folder: Path, dump: Path, quads: int, base: str, limit: float) -> VirtuosoPeer:
        """Start Virtuoso in `folder`, bulk-load `dump` (under `folder`), check every quad arrived."""
        server = virtuoso.start(folder, buffers=buffers_for(quads))
        peer = cls(int(server.http.rsplit(":", 1)[1]), server)
        try:
            started = time.perf_counter()
            virtuoso.bulk_load(server, dump.parent, dump.name, "urn:evkg:bench:default-graph", timeout=limit)
            peer.load_seconds = time.perf_counter() - started
            peer.check_count(quads, base, limit)
        except BaseException:
            peer.stop()
            raise
        return peer

    def check_count(self, quads: int, base: str, timeout: float) -> None:
        """Raise unless the graphs under `base` hold `quads` quads (the store's own count)."""
        prefix = ox.Literal(base)  # serialized by pyoxigraph: quoted and escaped
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), {prefix})) }}"
        body, headers = self.request(query)
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            conn.request("POST", self.path, body, headers)
            document = json.loads(conn.getresponse().read())
        finally:
            conn.close()
        loaded = int(document["results"]["bindings"][0]["n"]["value"])
        if loaded != quads:
            raise RuntimeError(f"Virtuoso holds {loaded} quads under {base} after the bulk load; the store has {quads}")

    def problem(self, response: http.client.HTTPResponse, data: bytes) -> str | None:
        state = response.getheader("X-SQL-State")
        if state:  # an "anytime" partial result: never count it as an answer
            return f"partial result (X-SQL-State {state}: {response.getheader('X-SQL-Message')})"
        return super().problem(response, data)

    def stop(self) -> None:
        self._drop_connection()
        self.server.stop()


def buffers_for(quads: int) -> int | None:
    """NumberOfBuffers for `quads` (about 150 bytes a quad, at most half the available memory); None: default."""
    wanted = quads * 150 // 8192
    if wanted <= 10_000:
        return None
    available = available_bytes() // 2 // 8192
    return max(10_000, min(wanted, available))


def available_bytes() -> int:
    """MemAvailable from /proc/meminfo (0 when unknown)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
