"""Writers and readers at once on `evkg serve`: `python -m kg.bench.update_load` (or `evkg bench-update`).

Writer threads POST /update (each an `INSERT DATA` of one new triple, remembered once acknowledged)
while reader threads ask /sparql; at the end one query checks that every acknowledged triple is in
the store. Reports reads, read errors, writes, lost writes and the rates, as JSON and Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from kg.bench.loopback import HOST, die_with_parent, free_port, stop_group, wait_port
from kg.store.oxigraph import write_generation

TOKEN = "update-load"
GRAPH = "urn:x-evidencekg:update-load"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
READ = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@dataclass
class Tally:
    """What the run saw; `errors` keeps the first few error texts."""

    seconds: float = 0.0
    writers: int = 0
    readers: int = 0
    reads: int = 0
    read_errors: int = 0
    writes: int = 0
    write_refusals: int = 0
    lost_writes: int = 0
    errors: list[str] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list, repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def note(self, what: str, error: str | None = None) -> None:
        """Count one outcome (and keep its error's text while few are kept)."""
        with self.lock:
            setattr(self, what, getattr(self, what) + 1)
            if error and len(self.errors) < 10:
                self.errors.append(error)

    def report(self) -> dict[str, object]:
        """The figures, rates included (per second)."""
        names = ("seconds", "writers", "readers", "reads", "read_errors", "writes", "write_refusals", "lost_writes")
        figures: dict[str, object] = {name: getattr(self, name) for name in names}
        figures["reads_per_s"] = round(self.reads / self.seconds, 1) if self.seconds else 0.0
        figures["writes_per_s"] = round(self.writes / self.seconds, 1) if self.seconds else 0.0
        figures["errors"] = self.errors
        return figures


def post(url: str, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """POST and return (status, body); HTTP errors are answers, and no answer is status 0."""
    request = urllib.request.Request(url, body, {"Content-Type": content_type, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:  # no answer at all: status 0
        return 0, str(exc).encode()


def writer(base: str, name: str, tally: Tally, until: float) -> None:
    """Insert one new triple per request until `until`; remember each acknowledged one."""
    count = 0
    while time.monotonic() < until:
        subject = f"urn:x-evidencekg:write:{name}:{count}"
        update = f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <{subject}> <urn:x-evidencekg:n> {count} }} }}"
        status, body = post(f"{base}/update", update.encode(), "application/sparql-update", AUTH)
        count += 1
        if status in (200, 204):
            tally.note("writes")
            with tally.lock:
                tally.acknowledged.append(subject)
        else:
            tally.note("write_refusals", f"update {status}: {body[:200]!r}")


def reader(base: str, tally: Tally, until: float) -> None:
    """Ask /sparql until `until`; anything but a 200 with a count is a read error."""
    body = urllib.parse.urlencode({"query": READ}).encode()
    while time.monotonic() < until:
        status, data = post(f"{base}/sparql", body, "application/x-www-form-urlencoded")
        if status == 200 and b'"n"' in data:
            tally.note("reads")
        else:
            tally.note("read_errors", f"read {status}: {data[:200]!r}")


def lost(base: str, acknowledged: list[str]) -> int:
    """How many acknowledged triples the store does not hold."""
    query = f"SELECT ?s WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"
    status, data = post(
        f"{base}/sparql",
        urllib.parse.urlencode({"query": query}).encode(),
        "application/x-www-form-urlencoded",
        {"Accept": "application/sparql-results+json"},
    )
    if status != 200:
        raise RuntimeError(f"the final check failed: {status} {data[:200]!r}")
    present = {row["s"]["value"] for row in json.loads(data)["results"]["bindings"]}
    return sum(1 for subject in acknowledged if subject not in present)


def serve(store: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start `evkg serve` with updates on; return the process and its base URL once it answers."""
    port = free_port()
    env = {**os.environ, "EVKG_UPDATE_TOKEN": TOKEN, "EVKG_QUERY_TIMEOUT": "30"}
    command = [str(Path(sys.executable).with_name("evkg")), "serve", "--store", str(store), "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=die_with_parent
        )
    wait_port(port, process, 120, "evkg serve")
    return process, f"http://{HOST}:{port}"


def run(folder: Path, seconds: float, writers: int, readers: int) -> Tally:
    """A fresh store in `folder`, served, loaded by writers and readers for `seconds`; the tally."""
    store = folder / "store"
    write_generation(store, lambda _: None)
    process, base = serve(store, folder / "serve.log")
    tally = Tally(seconds=seconds, writers=writers, readers=readers)
    try:
        until = time.monotonic() + seconds
        threads = [threading.Thread(target=writer, args=(base, f"w{i}", tally, until)) for i in range(writers)]
        threads += [threading.Thread(target=reader, args=(base, tally, until)) for _ in range(readers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        tally.lost_writes = lost(base, tally.acknowledged)
    finally:
        stop_group(process)
    return tally


def markdown(figures: dict[str, object]) -> str:
    """The figures as a two-column Markdown table."""
    rows = [f"| {name} | {value} |" for name, value in figures.items() if name != "errors"]
    return "\n".join(["| figure | value |", "|---|---|", *rows])


def main(argv: list[str] | None = None) -> int:
    """Run it; exit 1 when a read failed or an acknowledged write was lost."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--writers", type=int, default=5)
    parser.add_argument("--readers", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        figures = run(Path(folder), args.seconds, args.writers, args.readers).report()
    print(json.dumps(figures, indent=1))
    print(markdown(figures))
    return 1 if figures["read_errors"] or figures["lost_writes"] else 0


if __name__ == "__main__":
    sys.exit(main())
