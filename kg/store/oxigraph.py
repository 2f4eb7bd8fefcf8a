"""The embedded store: Oxigraph on disk, rebuilt atomically by swapping generations."""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import QueryError, RdfInputError, StoreError
from kg.formats import RDF_FORMATS
from kg.namespaces import PREFIXES
from kg.processes import is_dead
from kg.rdf.ntriples import Graph
from kg.sparql.lexer import names_dataset
from kg.sparql.planner import lateral_optionals
from kg.store import dumps
from kg.store.base import Closing, QueryResult, Store
from kg.store.bulkload import BulkWriter
from kg.store.leases import Lease, lease_live, reap
from kg.store.lock import writer_lock

CURRENT = "current"
"""Inside a store directory, a symlink to the live generation directory."""


class OxigraphStore(Closing):
    """A pyoxigraph store opened from a store directory's live generation; `close()` or `with` releases it."""

    def __init__(self, store: ox.Store, path: Path | None = None, lease: Lease | None = None) -> None:
        self._store: ox.Store | None = store
        self.path = path
        self._lease = lease

    @property
    def store(self) -> ox.Store:
        """The pyoxigraph store itself (StoreError once closed)."""
        if self._store is None:
            raise StoreError(f"the store at {self.path or 'memory'} is closed")
        return self._store

    def close(self) -> None:
        """Let go of the pyoxigraph store and of its generation's lease (which may delete a superseded one)."""
        self._store = None
        if self._lease is not None:
            self._lease.release()
            self._lease = None

    @property
    def generation(self) -> Path | None:
        """The generation directory this store reads (None for a store not opened from a directory)."""
        return self._lease.generation if self._lease else None

    @classmethod
    def open(cls, path: Path, *, read_only: bool = False) -> OxigraphStore:
        """Open the live generation of the store at `path`."""
        live = path / CURRENT
        if not live.exists():
            raise StoreError(f"no store at {path}: run `evkg build` first (or pass --store PATH)")
        lease = lease_live(live)
        try:
            where = str(lease.generation)
            store = ox.Store.read_only(where) if read_only else ox.Store(where)
        except (OSError, RuntimeError) as exc:
            lease.release()
            raise StoreError(f"cannot open the store at {path}: {exc}") from exc
        return cls(store, path, lease)

    @classmethod
    def in_memory(cls) -> OxigraphStore:
        """A fresh store in memory (tests, benchmarks, `evkg check`)."""
        return cls(ox.Store())

    # ---------------------------------------------------------------- reading
    def query(
        self,
        sparql: str,
        *,
        bindings: dict[str, Any] | None = None,
        union_default_graph: bool = True,
        base_iri: str | None = None,
        hints: bool = False,
    ) -> QueryResult:
        """Run a SPARQL query; the default graph is the union of all graphs unless told otherwise or the
        query states its own dataset (FROM / FROM NAMED), which pyoxigraph's union mode would ignore."""
        union_default_graph = union_default_graph and not names_dataset(sparql)
        if hints:
            sparql = lateral_optionals(sparql)
        substitutions = {ox.Variable(name): value for name, value in (bindings or {}).items()}
        try:
            return self.store.query(
                sparql,
                prefixes=PREFIXES,
                substitutions=substitutions or None,
                use_default_graph_as_union=union_default_graph,
                base_iri=base_iri,
            )
        except SyntaxError as exc:
            raise QueryError(f"malformed SPARQL query: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"query failed in the store: {exc}") from exc

    def named_graphs(self) -> list[str]:
        return sorted(g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode))

    def count(self, graph: str | None = None) -> int:
        """Number of quads, in one named graph or in all."""
        target = ox.NamedNode(graph) if graph else None
        return sum(1 for _ in self.store.quads_for_pattern(None, None, None, target))

    def triples(self, graph: str) -> Iterator[ox.Triple]:
        """The triples of one named graph."""
        quads = self.store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
        return (ox.Triple(q.subject, q.predicate, q.object) for q in quads)

    def dump_stream(self, fmt: str) -> Iterator[bytes]:
        """The whole dataset, the default graph first, chunk by chunk (kg.store.dumps)."""
        default = self.store.quads_for_pattern(None, None, None, ox.DefaultGraph())
        names = self.named_graphs()
        graphs = itertools.chain(
            [(None, (ox.Triple(q.subject, q.predicate, q.object) for q in default))],
            ((name, self.triples(name)) for name in names),  # one graph's iterator open at a time
        )
        return dumps.stream(graphs, RDF_FORMATS[fmt])

    def dump(self, fmt: str, *, graph: str | None = None) -> bytes:
        """Serialize the whole dataset (or one graph) in an RDF format from RDF_FORMATS."""
        rdf_format = RDF_FORMATS[fmt]
        if graph is None and not rdf_format.supports_datasets:
            quads = self.store.quads_for_pattern(None, None, None, None)
            return (
                ox.serialize(
                    (ox.Triple(q.subject, q.predicate, q.object) for q in quads), format=rdf_format, prefixes=PREFIXES
                )
                or b""
            )
        from_graph = ox.NamedNode(graph) if graph else None
        kwargs: dict[str, Any] = {"from_graph": from_graph} if from_graph else {}
        if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
            kwargs["prefixes"] = PREFIXES
        return self.store.dump(format=rdf_format, **kwargs) or b""

    # ---------------------------------------------------------------- writing
    def load_file(self, path: Path, *, graph: str | None, fmt: str | None = None) -> int:
        """Add an RDF file to the store, atomically (all of it or nothing); return quads added."""
        rdf_format = RDF_FORMATS[fmt] if fmt else ox.RdfFormat.from_extension(path.suffix.lstrip("."))
        if rdf_format is None:
            raise RdfInputError(
                f"{path}: unknown RDF file extension {path.suffix!r}; pass --format ({', '.join(RDF_FORMATS)})"
            )
        before = self.count()
        target = ox.NamedNode(graph) if graph else None
        try:
            if target is not None and rdf_format.supports_datasets:
                raise RdfInputError(f"{path}: a dataset format ({path.suffix}) keeps its own graph names; drop --graph")
            self.store.load(path=str(path), format=rdf_format, base_iri=path.resolve().as_uri(), to_graph=target)
        except SyntaxError as exc:
            raise RdfInputError(f"{path}: not valid {rdf_format.name}: {exc}") from exc
        except OSError as exc:
            raise RdfInputError(f"{path}: cannot read: {exc}") from exc
        self.store.flush()
        return self.count() - before

    def load_bytes(self, data: bytes, *, graph: str, fmt: ox.RdfFormat = ox.RdfFormat.N_TRIPLES) -> None:
        """Bulk-load serialized triples into one named graph (used while building a generation)."""
        self.store.bulk_load(data, format=fmt, to_graph=ox.NamedNode(graph))

    def replace_graph(self, graph: str, triples: Iterable[ox.Triple]) -> None:
        """Clear one named graph and fill it with pyoxigraph triples (inside a new generation)."""
        name = ox.NamedNode(graph)
        if self.store.contains_named_graph(name):
            self.store.remove_graph(name)
        self.store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, name) for t in triples)

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Run a SPARQL Update (the project's prefixes declared); QueryError when it does not parse."""
        try:
            self.store.update(sparql, base_iri=base_iri, prefixes=PREFIXES)
        except SyntaxError as exc:
            raise QueryError(f"malformed SPARQL update: {exc}") from exc

    def flush(self) -> None:
        """Write what is buffered to disk."""
        self.store.flush()

    def backup(self, target: Path) -> None:
        """Copy the store into a new directory (RocksDB checkpoint: hard links where it can)."""
        self.store.backup(str(target))

    def compact(self) -> None:
        """RocksDB compaction: after `evkg reason` writes the clinical questions (millions at 1M
        claims) the rules' lookups are slower until it runs (BENCHMARKS.md)."""
        self.store.optimize()

    @contextlib.contextmanager
    def bulk_writer(self, **options: Any) -> Iterator[BulkWriter]:
        """Bulk loads fed with N-Quads while they run (used while building a generation); see BulkWriter."""
        writer = BulkWriter(self.store, **options)
        try:
            yield writer
        except BaseException:
            writer.abort()
            raise
        writer.close()


@contextlib.contextmanager
def graph_loader(store: Store) -> Iterator[Callable[[Graph, bytes], None]]:
    """Write whole named graphs (a graph and its N-Quads): one streaming bulk load into an embedded
    store, or graph by graph (`load_bytes`, N-Triples) into any other store, such as a remote one."""
    if isinstance(store, OxigraphStore):
        # lenient (no IRI validation): the build writes these N-Quads itself, and its data checks
        # parse the same bytes strictly, so an invalid IRI still fails the build
        with store.bulk_writer(lenient=True) as bulk:
            yield lambda _, nquads: bulk.write(nquads)
    else:
        yield lambda graph, _: store.load_bytes(graph.ntriples(), graph=graph.name)


def write_generation(path: Path, fill: Callable[[OxigraphStore], None]) -> Path:
    """Build a new store generation with `fill`, then make it live by one atomic symlink swap.

    If `fill` raises, the new generation is deleted and the live one is untouched.
    """
    with writer_lock(path, "write a generation"):
        return _write_generation(path, fill)


def _write_generation(path: Path, fill: Callable[[OxigraphStore], None]) -> Path:
    return _fill_and_swap(path, _new_generation(path), fill, compact=True)


def _fill_and_swap(path: Path, generation: Path, fill: Callable[[OxigraphStore], None], *, compact: bool) -> Path:
    """Apply `fill` to the generation and make it live; on any failure delete it, the live one untouched."""
    try:
        with OxigraphStore(ox.Store(str(generation)), path) as store:
            fill(store)
            store.flush()
            if compact:
                store.compact()
    except BaseException:
        shutil.rmtree(generation, ignore_errors=True)
        raise
    _swap(path, generation)
    return generation


def _new_generation(path: Path) -> Path:
    _sweep(path)
    return path / f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns()}"


def _sweep(path: Path) -> None:
    """Delete the unfinished generations of writers that died (killed mid-build: SIGKILL, out of
    memory), which no swap will ever remove: at a million claims each is gigabytes of disk. A
    generation is unfinished when it is not live; its writer is dead when no process has the pid in
    its name. A generation whose pid is alive (its writer, or an unrelated process that reused the
    pid) is left to that writer's swap."""
    live = (path / CURRENT).resolve() if (path / CURRENT).is_symlink() else None
    for generation in path.glob("gen-*"):
        parts = generation.name.split("-")
        if generation.resolve() != live and len(parts) == 4 and is_dead(parts[2]):
            reap(generation)
    for link in path.glob(f".{CURRENT}-*"):  # a swap's link, left by a writer killed before its rename
        if is_dead(link.name.rsplit("-", 1)[-1]):
            link.unlink(missing_ok=True)


def _swap(path: Path, generation: Path) -> None:
    """Point `current` at the new generation atomically and delete older generations."""
    live = path / CURRENT
    link = path / f".{CURRENT}-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        link.unlink()
    link.symlink_to(generation.name)
    os.replace(link, live)
    for old in path.glob("gen-*"):
        if old != generation:
            reap(old)  # left for its last reader when one still reads it


def derive_generation(path: Path, change: Callable[[OxigraphStore], None]) -> Path:
    """Copy the live generation (hard links), apply `change` to the copy, make it live atomically."""
    with writer_lock(path, "derive a generation"):
        return _derive_generation(path, change)


def _derive_generation(path: Path, change: Callable[[OxigraphStore], None]) -> Path:
    with OxigraphStore.open(path, read_only=True) as live:
        generation = _new_generation(path)
        live.backup(generation)
    return _fill_and_swap(path, generation, change, compact=False)


def snapshot(source: Path, target: Path) -> None:
    """Copy a store directory's live generation into a new store directory (RocksDB backup)."""
    with OxigraphStore.open(source, read_only=True) as live:
        target.mkdir(parents=True, exist_ok=True)
        generation = _new_generation(target)
        live.backup(generation)
    _swap(target, generation)


def live_generations(path: Path) -> Iterator[Path]:
    """Generation directories present under a store directory (for tests and diagnostics)."""
    return iter(sorted(path.glob("gen-*")))
