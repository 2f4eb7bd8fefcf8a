"""Shared fixtures: the seed dataset and store are built once per session, in temp folders."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import asdict, replace
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from virtuoso_server import VirtuosoServer, start

from kg.build import Dataset, assemble, build
from kg.cli import main
from kg.conflicts import reason
from kg.project import Project
from kg.settings import load_settings
from kg.store.oxigraph import OxigraphStore, snapshot

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def project() -> Project:
    """The repository's own inputs (ontology, vocabulary, seed sources, queries)."""
    settings = load_settings(environ={})
    paths = {k: str(ROOT / v) for k, v in asdict(settings).items() if k != "base" and isinstance(v, str)}
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
def reasoned_seeds(project: Project, seed_store: Path, tmp_path_factory: pytest.TempPathFactory) -> OxigraphStore:
    """The seeds built and reasoned in the embedded store: what a remote store must match."""
    path = tmp_path_factory.mktemp("reasoned-seeds") / "store"
    snapshot(seed_store, path)
    reason(project, path, tmp_path_factory.mktemp("reviews") / "none.yaml")
    return OxigraphStore.open(path, read_only=True)


@pytest.fixture
def writable_store(seed_store: Path, tmp_path: Path) -> Path:
    """A private copy of the seed store that a test may change."""
    target = tmp_path / "store"
    snapshot(seed_store, target)
    return target


@pytest.fixture
def sources_dir(tmp_path: Path) -> Callable[..., Path]:
    """Make a sources directory from fixture folders (copied so tests may edit them)."""

    def make(*names: str) -> Path:
        target = tmp_path / "sources"
        target.mkdir(exist_ok=True)
        for name in names:
            shutil.copytree(FIXTURES / name, target, dirs_exist_ok=True)
        return target

    return make


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
