"""Validation while a build streams its graphs: data checks and SHACL shapes, batch by batch.

Both see the graphs in batches of about `BATCH_TRIPLES` triples, each batch together with the
context every batch needs (the ontology, the vocabulary and the terms declared in source files),
so memory stays bounded at any corpus size. This equals validating the whole dataset at once for
checks and shapes that look at one source's graph plus the terms and the ontology, which is what
every check in queries/checks/ and every shape in ontology/shapes.ttl does; a check relating
claims of two different sources would have to run on the built store instead.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox
from pyshacl import validate
from rdflib import Graph as RdfGraph
from rdflib.namespace import SH

from kg.namespaces import PREFIXES
from kg.project import Finding
from kg.sparql.queries import NamedQuery
from kg.sparql.results import short

BATCH_TRIPLES = 50_000
"""Triples of source graphs validated together (with the context) in one scratch store or SHACL run."""


def check_rows(query: NamedQuery, solutions: Any) -> list[Finding]:
    """The rows of a data check as findings (`?focus`, `?message`, or every other column)."""
    findings = []
    names = [v.value for v in solutions.variables]
    for row in solutions:
        cells = {n: short(row[n]) for n in names if row[n] is not None}
        focus = cells.pop("focus", "") or next(iter(cells.values()), "")
        message = cells.pop("message", "") or ", ".join(f"{k}={v}" for k, v in cells.items())
        findings.append(Finding(query.name.rsplit("/", 1)[-1], focus, message))
    return findings


class DataChecks:
    """Runs the data checks (queries/checks/*-violation.rq) on batches, on a thread of their own.

    Each batch is loaded with the context into a scratch in-memory Oxigraph store; pyoxigraph
    releases the GIL while it loads and evaluates, so this overlaps with the caller's Python work.
    Findings are deduplicated (a context term would otherwise be reported once per batch).
    """

    def __init__(self, queries: Iterable[NamedQuery], context: bytes, batch_triples: int = BATCH_TRIPLES) -> None:
        self.queries, self.context, self.batch_triples = list(queries), context, batch_triples
        self.pending: list[bytes] = []
        self.triples = 0
        self.findings: dict[Finding, tuple[int, str, str]] = {}
        self.error: BaseException | None = None
        self.batches: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
        self.thread = threading.Thread(target=self._work, name="evkg-data-checks", daemon=True)
        self.thread.start()

    def add(self, nquads: bytes, triples: int) -> None:
        """Queue one graph (N-Quads); a full batch goes to the checking thread."""
        self.pending.append(nquads)
        self.triples += triples
        if self.triples >= self.batch_triples:
            self._submit()

    def _submit(self) -> None:
        if self.error is not None:
            raise self.error
        if self.pending:
            self.batches.put(b"".join(self.pending))
            self.pending, self.triples = [], 0

    def _work(self) -> None:
        while (batch := self.batches.get()) is not None:
            if self.error is None:
                try:
                    self.run(batch)
                except BaseException as exc:  # re-raised in the building thread by add() or close()
                    self.error = exc

    def run(self, batch: bytes) -> None:
        """Load one batch with the context into a scratch store and run every check on it."""
        store = ox.Store()
        store.bulk_load(self.context, format=ox.RdfFormat.N_QUADS)
        store.bulk_load(batch, format=ox.RdfFormat.N_QUADS)
        for index, query in enumerate(self.queries):
            solutions = store.query(query.text, prefixes=PREFIXES, use_default_graph_as_union=True)
            for finding in check_rows(query, solutions):
                self.findings.setdefault(finding, (index, finding.focus, finding.message))

    def close(self) -> list[Finding]:
        """Check what is left; return the findings in check order, then by focus and message."""
        try:
            self.pending.append(b"")  # an empty last batch still checks the context
            self._submit()
        finally:
            self.batches.put(None)
            self.thread.join()
        if self.error is not None:
            raise self.error
        return sorted(self.findings, key=self.findings.__getitem__)

    def abort(self) -> None:
        """Stop the checking thread without checking what is left."""
        self.pending = []
        self.batches.put(None)
        self.thread.join()


class ShapeChecks:
    """Validates batches of graphs against the SHACL shapes with pySHACL (rdflib, on this thread)."""

    def __init__(self, shapes: RdfGraph, ontology: RdfGraph, batch_triples: int = BATCH_TRIPLES) -> None:
        self.shapes, self.ontology, self.batch_triples = shapes, ontology, batch_triples
        self.pending: list[bytes] = []
        self.triples = 0
        self.findings: set[Finding] = set()

    def add(self, ntriples: bytes, triples: int) -> None:
        """Queue one graph (N-Triples); validate when a batch is full."""
        self.pending.append(ntriples)
        self.triples += triples
        if self.triples >= self.batch_triples:
            self._validate()

    def _validate(self) -> None:
        if self.pending:
            data = RdfGraph().parse(data=b"".join(self.pending), format="nt")
            self.findings.update(shacl_violations(data, self.shapes, self.ontology))
            self.pending, self.triples = [], 0

    def close(self) -> list[Finding]:
        """Validate what is left; every violation, sorted."""
        self._validate()
        return sorted(self.findings, key=str)


def shacl_violations(data: RdfGraph, shapes: RdfGraph, ontology: RdfGraph) -> list[Finding]:
    """Validate one data graph against the shapes (the ontology mixed in for class hierarchy)."""
    conforms, results, _ = validate(
        data,
        shacl_graph=shapes,
        ont_graph=ontology,
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    if conforms:
        return []
    findings = []
    for result in results.subjects(SH.resultSeverity, SH.Violation):
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        message = results.value(result, SH.resultMessage)
        where = f" at {path}" if path is not None else ""
        findings.append(Finding("shacl", str(focus), f"{message}{where}"))
    return sorted(findings, key=str)
