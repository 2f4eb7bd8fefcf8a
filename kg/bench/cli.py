"""`evkg bench`: the harness as a command, registered through the `evkg.commands` entry point."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from kg.bench.data import as_json, from_json
from kg.bench.harness import BenchInterrupted, options_from, run
from kg.bench.report import document, now, write_document
from kg.cli import handles_errors

__all__ = ["bench_command"]


@click.command("bench")
@click.option("--sizes", default="10000,100000,1000000", show_default=True, help="Comma-separated claim counts.")
@click.option("--skip-shapes/--shapes", default=True, show_default=True, help="SHACL validation during the build.")
@click.option(
    "--limit", default=3600.0, show_default=True, help="Seconds after which a build, reason or peer's data load stops."
)
@click.option(
    "--peers",
    default="service,rdflib-endpoint,virtuoso",
    show_default=True,
    help="SPARQL peers to measure besides pyoxigraph in-process (comma-separated); `none`: no query benchmark.",
)
@click.option(
    "--peer-max-claims",
    default="rdflib-endpoint=100000",
    show_default=True,
    help="PEER=CLAIMS,...: skip a peer above this corpus size.",
)
@click.option("--iterations", default=20, show_default=True, help="Timed runs per query and peer (after a warm-up).")
@click.option("--query-timeout", default=30.0, show_default=True, help="Seconds after which a query is a timeout.")
@click.option("--query-budget", default=60.0, show_default=True, help="Seconds of timed runs per query and peer.")
@click.option("--clients", default=4, show_default=True, help="Concurrent clients for the throughput figure.")
@click.option("--load-seconds", default=20.0, show_default=True, help="Seconds of the concurrent run per peer.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the Markdown report here (an existing file's hand-written notes are kept).",
)
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Raw results as JSON.")
@click.option(
    "--report-from",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Measure nothing: render the report from an earlier run's --json file.",
)
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path), help="Keep corpora, stores, logs here.")
@handles_errors
def bench_command(
    output: Path | None, json_path: Path | None, report_from: Path | None, keep: Path | None, **given: Any
) -> None:
    """Benchmark build, reasoning and SPARQL (in-process, evkg serve, rdflib-endpoint, Virtuoso) in one table.

    Progress goes to stderr; the report (Markdown: targets, the table, the method) to stdout.
    """

    interrupted, when = False, now()
    if report_from:
        results, options, shapes, command, when = from_json(json.loads(report_from.read_text()))
    else:
        sizes, shapes, options, command = options_from(given)
        try:
            results = run(sizes, shapes, options, keep)
        except BenchInterrupted as exc:
            results, interrupted = exc.results, True
    text = document(results, options, shapes, command=command, when=when)
    click.echo(text)
    if output:
        write_document(output, text)
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(as_json(results, options, shapes, command, when), indent=1))
    if interrupted:
        sys.exit(130)
