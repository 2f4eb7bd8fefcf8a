"""EvidenceKG: clinical sources -> an RDF/OWL knowledge graph of claims, and where the sources disagree.

The public API: describe a project (`Project`), `check` its sources, `build` them into a store,
`reason` over it (OWL reasoner and conflict rules), open a store (`open_store`) and read the
conflicts back (`load_conflicts`).
"""

from kg.audit import ConflictRecord, load_conflicts
from kg.build import build, check
from kg.conflicts import reason
from kg.project import Finding, Project
from kg.settings import Settings, load_settings
from kg.store.remote import open_store

__all__ = [
    "ConflictRecord",
    "Finding",
    "Project",
    "Settings",
    "build",
    "check",
    "load_conflicts",
    "load_settings",
    "open_store",
    "reason",
]
