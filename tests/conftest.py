"""Shared fixtures, built once per session in temp folders: the seed dataset, its store, the seeds
reasoned (embedded and in a private Virtuoso), and one `evkg serve` in front of each. Session
fixtures are for reading: a test that writes copies the store (`writable_store`) or builds its own."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import asdict, replace
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from support import (
    REMOTE_QUERY_TIMEOUT,
    REVIEW_TOKEN,
    UPDATE_TOKEN,
    LiveServer,
    copy_fixtures,
    seed_sources,
    start_server,
)
from virtuoso_server import VirtuosoServer, start

from kg.build import Dataset, assemble, build
from kg.cli import main
from kg.conflicts import reason
from kg.project import Project
from kg.settings import load_settings
from kg.store.oxigraph import OxigraphStore, snapshot

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def query_log_outside_the_repository(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Apps built in-process log their queries to a temporary file, not to the repository's var/."""
    previous = os.environ.get("EVKG_QUERY_LOG")
    os.environ["EVKG_QUERY_LOG"] = str(tmp_path_factory.mktemp("query-log") / "queries.jsonl")
    yield
    if previous is None:
        del os.environ["EVKG_QUERY_LOG"]
    else:
        os.environ["EVKG_QUERY_LOG"] = previous


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The repository's own inputs (ontology, vocabulary, queries) with the two seed sources only: the
    tests about the seeds stay what they are as real sources join sources/."""
    settings = load_settings(environ={})
    paths = {k: str(ROOT / v) for k, v in asdict(settings).items() if k != "base" and isinstance(v, str)}
    paths["sources"] = str(seed_sources(tmp_path_factory.mktemp("seed-sources")))
    return Project.from_settings(replace(settings, **paths))


@pytest.fixture(scope="session")
def seed_dataset(project: Project) -> Dataset:
    return assemble(project)


@pytest.fixture(scope="session")
def seed_store(project: Project, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store directory built from the seeds (read-only use: copy it before writing)."""
    path = tmp_path_factory.mktemp("seed") / "store"
    build(project, path)
    return path


@pytest.fixture(scope="session")
def reasoned_seed_store(project: Project, seed_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store directory with the seeds built and reasoned (HermiT and the conflict rules, no reviews),
    once per session. Read-only use: `snapshot` it to a new directory before writing."""
    path = tmp_path_factory.mktemp("reasoned-seeds") / "store"
    snapshot(seed_store, path)
    report = reason(project, path, tmp_path_factory.mktemp("reviews") / "none.yaml")
    assert report.findings == [], report.findings
    return path


@pytest.fixture(scope="session")
def reasoned_seeds(reasoned_seed_store: Path) -> OxigraphStore:
    """The reasoned seeds, opened read-only: what the service and a remote store must match."""
    return OxigraphStore.open(reasoned_seed_store, read_only=True)


@pytest.fixture(scope="session")
def review_server(reasoned_seed_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`evkg serve` with reviews from the browser on (token `review-token`), on its own copy of the
    reasoned seeds and its own reviews file (`server.env["EVKG_REVIEWS"]`): for tests that record decisions."""
    folder = tmp_path_factory.mktemp("review-server")
    snapshot(reasoned_seed_store, folder / "store")
    reviews = folder / "reviews.yaml"
    server = start_server(
        folder / "store", folder / "serve.log", EVKG_REVIEW_TOKEN=REVIEW_TOKEN, EVKG_REVIEWS=str(reviews)
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def live_server(reasoned_seed_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One `evkg serve` (gunicorn) for the session on its own copy of the reasoned seeds, stopped at the end.
    For tests that read; a test may derive a new generation of its store (same triples) and must leave
    its query workers idle."""
    folder = tmp_path_factory.mktemp("service")
    snapshot(reasoned_seed_store, folder / "store")
    server = start_server(folder / "store", folder / "serve.log")
    yield server
    server.stop()


@pytest.fixture
def writable_store(seed_store: Path, tmp_path: Path) -> Path:
    """A private copy of the seed store that a test may change."""
    target = tmp_path / "store"
    snapshot(seed_store, target)
    return target


@pytest.fixture
def sources_dir(tmp_path: Path) -> Callable[..., Path]:
    """Make a sources directory from fixture folders (copied so tests may edit them)."""

    return lambda *names: copy_fixtures(tmp_path / "sources", *names)


@pytest.fixture
def project_with(project: Project) -> Callable[[Path], Project]:
    """The repository's project, reading sources from another directory."""
    return lambda sources: replace(project, sources=sources)


@pytest.fixture
def evkg(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run the `evkg` command line in-process from the repository root."""
    monkeypatch.chdir(ROOT)
    for name in ("EVKG_STORE", "EVKG_SOURCES", "EVKG_BASE"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoServer]:
    """A private Virtuoso on loopback for the session (installed through apt-get when missing), stopped at the end."""
    server = start(tmp_path_factory.mktemp("virtuoso"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def virtuoso_seeds(virtuoso: VirtuosoServer, project: Project) -> str:
    """The seeds built and reasoned into the session's Virtuoso with `evkg build --store URL` and
    `evkg reason --store URL`; its SPARQL endpoint's URL. Tests that write there remove what they add."""
    url = virtuoso.settings["EVKG_STORE"]
    credentials = {k: v for k, v in virtuoso.settings.items() if k != "EVKG_STORE"}
    env = {"EVKG_SOURCES": str(project.sources), "EVKG_BASE": None, "EVKG_STORE": None, **credentials}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        for command in ("build", "reason"):
            done = CliRunner().invoke(main, [command, "--store", url], env=env, catch_exceptions=False)
            assert done.exit_code == 0, done.output
    return url


@pytest.fixture(scope="session")
def remote_server(
    virtuoso_seeds: str, virtuoso: VirtuosoServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """`evkg serve --store URL` (gunicorn, one web worker, two query slots) in front of the Virtuoso, for
    the session: a 3 s query timeout and an update token (which a remote store refuses)."""
    folder = tmp_path_factory.mktemp("serve-remote")
    settings = {**virtuoso.settings, "EVKG_UPDATE_TOKEN": UPDATE_TOKEN, "EVKG_QUERY_TIMEOUT": str(REMOTE_QUERY_TIMEOUT)}
    server = start_server(virtuoso_seeds, folder / "serve.log", **settings)
    yield server
    server.stop()
