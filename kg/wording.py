"""Plain words for the conflict report: sources by short title and year (or publisher), the
authority a source cites, term labels instead of ids, and witnesses without internal names."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kg.sparql.queries import QueryRegistry
from kg.store.base import Store, solutions

INTERNAL = {
    "FirstLine": "first line",
    "SecondLine": "second line",
    "LaterLine": "a later line",
    "LastResort": "last resort",
    "Adjunct": "add-on",
    "Acute": "acute",
    "Subacute": "subacute",
    "Chronic": "chronic",
    "PharmacologicIntervention": "drug treatment",
    "NonPharmacologicIntervention": "non-drug treatment",
    "Procedure": "procedure",
    "CareProcess": "care process",
}
"""Local names of the ontology's individuals and classes, as a person says them."""
UNNAMED = "not named in the text"
"""What curators write in the title of a numbered reference the source leaves unnamed."""
_WORD = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)+\b|\b(?:Acute|Subacute|Chronic|Adjunct|Procedure)\b")
_KIND_WORDS = re.compile(r"([A-Z])")
_SLUG = re.compile(r"\b[a-z0-9]+(?:-[a-z0-9]+)+\b")


@dataclass
class Names:
    """Display names of sources, authorities and terms (by IRI and by id)."""

    sources: dict[str, str] = field(default_factory=dict)
    """source id -> "LIVESTRONG.COM (2023)"."""
    quoted: dict[str, str] = field(default_factory=dict)
    """source id -> the name the rules quote ("LIVESTRONG.COM")."""
    authorities: dict[str, str] = field(default_factory=dict)
    """authority IRI -> label."""
    terms: dict[str, str] = field(default_factory=dict)
    """term id -> label."""
    kinds: dict[str, str] = field(default_factory=dict)
    """source id -> its kind in words ("consumer article")."""

    def source(self, source_id: str) -> str:
        """A source's display name (its id when unknown)."""
        return self.sources.get(source_id, source_id)

    def authority(self, iri: str) -> str:
        """An authority's label; empty for a reference the source does not name (nothing to cite)."""
        label = self.authorities.get(iri, "")
        return "" if UNNAMED in label else label

    def term(self, term_id: str) -> str:
        """A term's label (its id with spaces when unknown)."""
        return self.terms.get(term_id, term_id.replace("-", " "))


def load_names(store: Store, registry: QueryRegistry) -> Names:
    """Every source's, authority's and term's display name, from one query."""
    names = Names()
    for row in solutions(store.query(registry.resolve("reports/names").text, hints=True)):
        _add(names, {k: (row[k].value if row[k] is not None else "") for k in NAME_FIELDS})
    return names


NAME_FIELDS = ("iri", "id", "label", "publisher", "title", "shortTitle", "issued", "modified", "kind")


def _add(names: Names, row: dict[str, str]) -> None:
    if row["kind"] == "term":
        names.terms.setdefault(row["id"], row["label"])
    elif row["kind"] == "authority":
        names.authorities[row["iri"]] = row["label"]
    else:
        year = (row["issued"] or row["modified"])[:4]
        name = row["shortTitle"] or row["publisher"] or row["title"]
        names.sources[row["id"]] = f"{name} ({year})" if year else name
        names.quoted[row["id"]] = row["publisher"] or row["title"]
        names.kinds[row["id"]] = _KIND_WORDS.sub(r" \1", row["kind"].rsplit("#", 1)[-1]).strip().lower()


def source_phrase(names: Names, source_id: str, citing: list[str]) -> str:
    """How a sentence names a source: "LIVESTRONG.COM (2023), citing NIAMS,"."""
    cited = ", ".join(citing)
    return f"{names.source(source_id)}, citing {cited}," if cited else names.source(source_id)


def reword(explanation: str, names: Names, citations: dict[str, list[str]]) -> str:
    """A rule's explanation with each quoted source name replaced by its display phrase."""
    for source_id, quoted in names.quoted.items():
        explanation = explanation.replace(f'"{quoted}"', source_phrase(names, source_id, citations.get(source_id, [])))
    return explanation.replace(", citing", ", citing").replace(",, ", ", ")


def plain(witness: str, names: Names) -> str:
    """A witness without internal names: ontology local names and term ids said as words."""
    text = _WORD.sub(lambda m: INTERNAL.get(m.group(), m.group()), witness)
    return _SLUG.sub(lambda m: names.terms.get(m.group(), m.group()), text).strip().rstrip(";")
