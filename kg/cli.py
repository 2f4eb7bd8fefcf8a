"""The `evkg` command line: a thin shell over kg. Exit codes: 0 ok, 1 findings, 2 error."""

from __future__ import annotations

import datetime as dt
import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, cast

import click

from kg.audit import Filters, apply_filters, load_conflicts, to_csv, to_json, to_table
from kg.build import BuildRejected, build, check
from kg.conflicts import reason
from kg.disagreements import disagreements, review_targets
from kg.disagreements import to_csv as disagreements_csv
from kg.disagreements import to_json as disagreements_json
from kg.disagreements import to_table as disagreements_table
from kg.errors import EvkgError, SourceError
from kg.formats import RDF_FORMATS
from kg.owl.reasoner import Reasoner
from kg.project import Project
from kg.settings import Settings, load_settings
from kg.sources.records import source_schema
from kg.sources.reviews import STATUSES, Review, add_reviews
from kg.sparql.queries import QueryRegistry
from kg.sparql.results import render
from kg.store.base import Store
from kg.store.remote import derive, location, open_store, writing

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def store_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--store PATH, shared by every command that reads or writes the store."""
    return click.option(
        "--store",
        "store",
        default=None,
        metavar="PATH|URL",
        help="Store directory, or a remote SPARQL endpoint URL (http://...) [default: EVKG_STORE or var/store].",
    )(command)


def sources_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--sources DIR, shared by check and build."""
    return click.option(
        "--sources",
        "sources",
        type=click.Path(path_type=Path),
        default=None,
        help="Directory of source YAML files [default: EVKG_SOURCES or sources/].",
    )(command)


def handles_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Report EvidenceKG errors as clear messages with exit code 2, never as tracebacks.

    The exit happens after the except block, so the failed command's objects (an open store)
    are released before the process (or an in-process caller) goes on.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except SourceError as exc:
            lines = [f"error: {problem}" for problem in exc.problems]
            lines.append(f"{len(exc.problems)} error(s); nothing was written.")
        except EvkgError as exc:
            lines = [f"error: {exc}"]
        except OSError as exc:  # the environment: a full disk, a file that cannot be written
            where = f" ({exc.filename})" if exc.filename else ""
            lines = [f"error: cannot read or write{where}: {exc.strerror or exc}"]
        for line in lines:
            click.secho(line, fg="red" if line.startswith("error") else None, err=True)
        sys.exit(EXIT_ERROR)

    return wrapper


def progress(message: str) -> None:
    click.echo(f"· {message}", err=True)


def settings_for(**overrides: Any) -> Settings:
    """The settings, with the command's options (None: not given) over the environment."""
    return load_settings(overrides)


DISAGREEMENT_RENDERERS = {"table": disagreements_table, "json": disagreements_json, "csv": disagreements_csv}


def writer(settings: Settings, command: str) -> AbstractContextManager[None]:
    """The store's writer lock for a command, waiting up to the `writer_timeout` setting."""
    return writing(location(settings), command, settings.writer_timeout)


def report_findings(findings: list[Any]) -> None:
    for finding in findings:
        click.secho(f"finding: {finding}", fg="yellow", err=True)
    click.echo(f"{len(findings)} finding(s).", err=True)


PLUGINS = "evkg.commands"
"""The entry-point group through which other packages add commands (`serve`, `bench`)."""


class Commands(click.Group):
    """kg's own commands, plus those registered under the `evkg.commands` entry points."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *plugins()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and name in plugins():
            command = plugins()[name].load()
        return command


def plugins() -> dict[str, EntryPoint]:
    """The commands other packages register, by name (loaded only when run)."""
    return {entry.name: entry for entry in entry_points(group=PLUGINS)}


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="evidencekg")
def main() -> None:
    """EvidenceKG: clinical claims as an RDF/OWL knowledge graph, and where sources disagree."""


@main.command("check")
@sources_option
@handles_errors
def check_command(sources: Path | None) -> None:
    """Validate sources, vocabulary, ontology and shapes (0 clean, 1 findings, 2 errors)."""
    project = Project.from_settings(settings_for(sources=sources))
    dataset = check(project, progress)
    if dataset.findings:
        report_findings(dataset.findings)
        sys.exit(EXIT_FINDINGS)
    click.echo(f"ok: {len(dataset.sources)} sources, {dataset.claims} claims, {dataset.triples} triples")


@main.command("build")
@sources_option
@store_option
@click.option("--skip-shapes", is_flag=True, help="Skip SHACL validation (bulk loads of machine-made sources).")
@handles_errors
def build_command(sources: Path | None, store: str | None, skip_shapes: bool) -> None:
    """Build the graph from sources + ontology into a new store generation (atomic)."""
    settings = settings_for(sources=sources, store=store)
    try:
        with writer(settings, "evkg build"):
            dataset = build(Project.from_settings(settings), location(settings), progress, shapes=not skip_shapes)
    except BuildRejected as exc:
        report_findings(exc.findings)
        click.echo("build rejected; the store was left as it was.", err=True)
        sys.exit(EXIT_FINDINGS)
    click.echo(
        f"built {settings.store}: {len(dataset.sources)} sources, {dataset.claims} claims, "
        f"{dataset.triples} triples in {len(dataset.graphs)} graphs"
    )


@main.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--graph", default=None, help="Named graph IRI to load triples into [default: the default graph].")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(RDF_FORMATS)),
    default=None,
    help="RDF format [default: from the file extension].",
)
@store_option
@handles_errors
def load_command(files: tuple[Path, ...], graph: str | None, fmt: str | None, store: str | None) -> None:
    """Add RDF files to the store, all of them or none: on the embedded store into a copy of the live
    generation that becomes live when every file is in (a running `evkg serve` sees it at once)."""
    settings = settings_for(store=store)
    done: list[str] = []

    def load_all(target: Store) -> None:
        for path in files:
            added = target.load_file(path, graph=graph, fmt=fmt)
            done.append(f"loaded {path}: {added} new quads" + (f" into <{graph}>" if graph else ""))

    with writer(settings, "evkg load"):
        derive(location(settings), load_all)
    click.echo("\n".join(done))


@main.command("query")
@click.argument("query")
@click.option(
    "--format",
    "fmt",
    default="table",
    show_default=True,
    help="table, json, xml, csv, tsv (SELECT/ASK); turtle, ntriples, jsonld, rdfxml (CONSTRUCT).",
)
@click.option(
    "--param", "params", multiple=True, metavar="NAME=VALUE", help="Bind a declared query parameter; repeatable."
)
@store_option
@handles_errors
def query_command(query: str, fmt: str, params: tuple[str, ...], store: str | None) -> None:
    """Run a named query from queries/ (or a .rq file) against the store."""
    settings = settings_for(store=store)
    with open_store(settings, read_only=True) as target:
        registry = QueryRegistry(Path(settings.queries))
        named = registry.resolve(query)
        raw = dict(_split_param(p) for p in params)
        bindings = named.bindings(raw, Project.from_settings(settings).iris)
        # The project's own queries may be planned for the engine (kg.sparql.planner); a user's file runs as written.
        result = target.query(named.text, bindings=bindings, hints=query in registry.queries)
        sys.stdout.buffer.write(render(result, fmt))


def _split_param(raw: str) -> tuple[str, str]:
    name, sep, value = raw.partition("=")
    if not sep:
        raise click.BadParameter(f"{raw!r}: expected NAME=VALUE", param_hint="--param")
    return name.lstrip("?"), value


@main.command("queries")
@store_option
def queries_command(store: str | None) -> None:
    """List the named queries with their titles and parameters."""
    settings = settings_for(store=store)
    for named in QueryRegistry(Path(settings.queries)):
        params = " ".join(f"--param {p.name}=<{p.type}>" for p in named.parameters)
        click.echo(f"{named.name}\t{named.title}" + (f"\t{params}" if params else ""))


@main.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["trig", "nquads", "turtle", "jsonld", "ntriples"]),
    default="trig",
    show_default=True,
    help="Dump format; turtle and ntriples merge all graphs.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to a file instead of standard output.",
)
@store_option
@handles_errors
def export_command(fmt: str, output: Path | None, store: str | None) -> None:
    """Dump the whole store."""
    with open_store(settings_for(store=store), read_only=True) as target:
        chunks = target.dump_stream(fmt)
        if output is None:
            sys.stdout.buffer.writelines(chunks)
        else:
            write_atomically(output, chunks)


def write_atomically(output: Path, chunks: Iterator[bytes]) -> None:
    """Write the chunks to `output` through a `.partial` file, so that a failed export leaves no half-written file."""
    partial = output.with_name(output.name + ".partial")
    try:
        with partial.open("wb") as handle:
            handle.writelines(chunks)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(output)
    click.echo(f"wrote {output} ({output.stat().st_size} bytes)", err=True)


@main.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the sources format (docs/sources.schema.json)."""
    click.echo(json.dumps(source_schema(), indent=2))


@main.command("reason")
@click.option(
    "--reasoner",
    type=click.Choice(["hermit", "pellet"]),
    default=None,
    help="OWL reasoner [default: EVKG_REASONER or hermit].",
)
@store_option
@handles_errors
def reason_command(reasoner: str | None, store: str | None) -> None:
    """Run the OWL reasoner and the conflict rules; write the inferred and conflicts graphs."""
    settings = settings_for(store=store, reasoner=reasoner)
    with writer(settings, "evkg reason"):
        report = reason(
            Project.from_settings(settings),
            location(settings),
            Path(settings.reviews),
            cast(Reasoner, settings.reasoner),  # unchecked, as before: any name but hermit runs pellet
            progress,
        )
    if report.findings:
        report_findings(report.findings)
        click.echo("reasoning stopped; the store was left as it was.", err=True)
        sys.exit(EXIT_FINDINGS)
    for stale in report.stale_reviews:
        click.secho(f"warning: review of conflict {stale} matches no conflict any more", fg="yellow", err=True)
    click.echo(
        f"reasoned {settings.store}: {report.inferred_triples} inferred triples, "
        f"{report.conflicts} findings from {len(report.per_rule)} rules"
    )
    for name, error in report.failed_rules.items():
        click.secho(f"warning: the store could not evaluate rule {name}: {error[:300]}", fg="yellow", err=True)
    if report.failed_rules:
        sys.exit(EXIT_FINDINGS)


@main.command("conflicts")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.option("--type", "types", multiple=True, help="Conflict type, e.g. first-line-conflict; repeatable.")
@click.option("--source", "sources", multiple=True, help="Source id; repeatable.")
@click.option("--intervention", "interventions", multiple=True, help="Term id, includes narrower terms; repeatable.")
@click.option("--condition", "conditions", multiple=True, help="Term id, includes narrower terms; repeatable.")
@click.option("--status", "statuses", multiple=True, type=click.Choice(STATUSES), help="Review status; repeatable.")
@click.option("--all", "informational", is_flag=True, help="Include informational findings (agreement, ...).")
@click.option("--pairs", is_flag=True, help="One finding per pair of claims, instead of one per disagreement.")
@store_option
@handles_errors
def conflicts_command(
    fmt: str,
    types: tuple[str, ...],
    sources: tuple[str, ...],
    interventions: tuple[str, ...],
    conditions: tuple[str, ...],
    statuses: tuple[str, ...],
    informational: bool,
    pairs: bool,
    store: str | None,
) -> None:
    """List the disagreements found by `evkg reason` (or each pair of claims), with the quotes."""
    settings = settings_for(store=store)
    project = Project.from_settings(settings)
    with open_store(settings, read_only=True) as target:
        records = load_conflicts(target, QueryRegistry(project.queries))
        filters = Filters(types, sources, interventions, conditions, statuses, informational)
        selected = apply_filters(records, filters, target, project.iris)
        if not pairs:
            grouped = disagreements(selected, target, project.iris)
            click.echo(DISAGREEMENT_RENDERERS[fmt](grouped), nl=False)
            return
    click.echo({"table": to_table, "json": to_json, "csv": to_csv}[fmt](selected), nl=False)


@main.command("review")
@click.argument("conflict")
@click.option("--status", type=click.Choice(STATUSES), required=True)
@click.option("--reviewer", required=True, help="Who decided.")
@click.option("--rationale", required=True, help="Why.")
@store_option
@handles_errors
def review_command(conflict: str, status: str, reviewer: str, rationale: str, store: str | None) -> None:
    """Record a review decision in the reviews file, then apply it to the store."""
    settings = settings_for(store=store)
    project = Project.from_settings(settings)
    with open_store(settings, read_only=True) as target:
        records = load_conflicts(target, QueryRegistry(project.queries))
        targets = review_targets(conflict, records, target, project.iris)
    if not targets:
        raise click.BadParameter(
            f"no disagreement or pair {conflict!r} in the store; see `evkg conflicts --all` (or --pairs)",
            param_hint="CONFLICT",
        )
    decided = {"status": status, "reviewer": reviewer, "at": dt.datetime.now(dt.UTC), "rationale": rationale}
    reviews = [Review.model_validate({"conflict": pair, **decided}) for pair in targets]
    with writer(settings, "evkg review"):
        add_reviews(Path(settings.reviews), reviews)
        report = reason(project, location(settings), Path(settings.reviews), cast(Reasoner, settings.reasoner))
    click.echo(f"recorded: {conflict} is {status} ({len(targets)} pair(s)); {report.conflicts} findings re-derived")
