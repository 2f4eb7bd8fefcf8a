"""The embedded store's planner hints (kg.sparql.planner): what is rewritten, and that every project query
gives the same results with and without them on the reasoned seed graph."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.project import Project
from kg.sparql.planner import lateral_optionals
from kg.sparql.queries import NamedQuery, QueryRegistry
from kg.store.oxigraph import OxigraphStore
from service.worker import Job, planned_query

ROOT = Path(__file__).resolve().parents[1]
OWN = [*QueryRegistry(ROOT / "queries"), *QueryRegistry(ROOT / "service" / "queries")]
SAMPLE = {
    "intervention": "nsaid",
    "condition": "back-muscle-spasm",
    "source": "livestrong-back-spasm",
    "resource": "https://w3id.org/evidencekg/id/term/nsaid",
    "graph": "https://w3id.org/evidencekg/graph/inferred",
}


def test_a_flat_optional_becomes_a_lateral_lookup() -> None:
    text = "SELECT * WHERE { ?a ?p ?b OPTIONAL { ?a rdfs:label ?l } optional{?a ?q ?c . ?c ?r ?d} }"
    assert lateral_optionals(text) == (
        "SELECT * WHERE { ?a ?p ?b LATERAL { OPTIONAL { ?a rdfs:label ?l } } "
        "LATERAL { optional{?a ?q ?c . ?c ?r ?d} } }"
    )


def test_an_optional_holding_a_group_stays_but_its_flat_inner_one_is_rewritten() -> None:
    text = "SELECT * WHERE { ?a ?p ?b OPTIONAL { ?a ?q ?c OPTIONAL { ?c ?r ?d } FILTER EXISTS { ?c ?s ?e } } }"
    assert lateral_optionals(text) == (
        "SELECT * WHERE { ?a ?p ?b OPTIONAL { ?a ?q ?c LATERAL { OPTIONAL { ?c ?r ?d } } FILTER EXISTS { ?c ?s ?e } } }"
    )


def test_strings_iris_and_comments_are_not_rewritten() -> None:
    text = (
        '# OPTIONAL { ?x ?y ?z }\nSELECT * WHERE { ?a <http://example.org/p#OPTIONAL> "OPTIONAL { ?a ?b ?c }", '
        "'''OPTIONAL {\n}''' . ?a ex:OPTIONALity ?d }"
    )
    assert lateral_optionals(text) == text


CONCATENATED = re.compile(r'GROUP_CONCAT\s*\([^;]*;\s*SEPARATOR\s*=\s*"([^"]*)"\s*\)\s+AS\s+\?(\w+)', re.IGNORECASE)


def rows_of(result: object, text: str = "") -> Counter[tuple[str, ...]]:
    """A result as a multiset of rows; blank node labels (fresh per CONSTRUCT) are not compared, nor is
    the order inside a GROUP_CONCAT (SPARQL leaves it to the engine)."""
    separators = {name: separator for separator, name in CONCATENATED.findall(text)}

    def term(value: object, variable: str = "") -> str:
        if isinstance(value, ox.BlankNode):
            return "_:b"
        if variable in separators and isinstance(value, ox.Literal):
            return " ".join(sorted(value.value.split(separators[variable])))
        return str(value)

    if isinstance(result, ox.QuerySolutions):
        return Counter(tuple(term(row[v], v.value) for v in result.variables) for row in result)
    if isinstance(result, ox.QueryTriples):
        return Counter((term(t.subject), term(t.predicate), term(t.object)) for t in result)
    return Counter([(str(bool(result)),)])


@pytest.mark.parametrize("query", OWN, ids=lambda q: q.name)
def test_a_project_query_gives_the_same_results_with_the_hints(
    query: NamedQuery, reasoned_seeds: OxigraphStore, project: Project
) -> None:
    values = {p.name: SAMPLE[p.name] for p in query.parameters if p.name in SAMPLE and not p.optional}
    bindings = query.bindings(values, project.iris) if query.parameters else {}
    run = {"bindings": bindings, "base_iri": project.iris.base}
    plain = rows_of(reasoned_seeds.query(query.text, **run), query.text)
    hinted = rows_of(reasoned_seeds.query(query.text, hints=True, **run), query.text)
    assert hinted == plain


def test_the_conflict_rules_are_rewritten_and_find_something_on_the_seeds(
    reasoned_seeds: OxigraphStore, project: Project
) -> None:
    rules = [q for q in OWN if q.name.startswith("conflicts/")]
    assert rules and all(lateral_optionals(q.text) != q.text for q in rules if "OPTIONAL" in q.text)
    found = [rows_of(reasoned_seeds.query(q.text, hints=True, base_iri=project.iris.base)) for q in rules]
    assert sum(sum(rows.values()) for rows in found) > 0


def test_only_one_pattern_optionals_are_rewritten_for_users() -> None:
    text = (
        'SELECT * WHERE { ?a ?p ?b OPTIONAL { ?a rdfs:label "x y" } OPTIONAL { ?a evkg:x/rdfs:label ?l . } '
        "OPTIONAL { ?a ?q ?c . ?c ?r ?d } OPTIONAL { ?a ?b ?c FILTER (?c > 1) } }"
    )
    assert lateral_optionals(text, single=True) == (
        'SELECT * WHERE { ?a ?p ?b LATERAL { OPTIONAL { ?a rdfs:label "x y" } } '
        "LATERAL { OPTIONAL { ?a evkg:x/rdfs:label ?l . } } "
        "OPTIONAL { ?a ?q ?c . ?c ?r ?d } OPTIONAL { ?a ?b ?c FILTER (?c > 1) } }"
    )


def job(text: str, lateral: bool) -> Job:
    return Job(text, None, None, "json", "turtle", 10_000_000, base_iri="https://w3id.org/evidencekg/", lateral=lateral)


@pytest.mark.parametrize("query", [q for q in OWN if not q.parameters], ids=lambda q: q.name)
def test_sparql_gives_the_same_rows_with_and_without_its_hint(query: NamedQuery, reasoned_seeds: OxigraphStore) -> None:
    store = reasoned_seeds.store
    hinted = rows_of(planned_query(store, job(query.text, lateral=True)), query.text)
    assert hinted == rows_of(planned_query(store, job(query.text, lateral=False)), query.text)


def test_a_malformed_query_is_reported_in_the_users_own_text(reasoned_seeds: OxigraphStore) -> None:
    with pytest.raises(SyntaxError) as error:
        planned_query(reasoned_seeds.store, job("SELECT * WHERE { ?s ?p ?o OPTIONAL { ?s ?q ?x } FILTER( }", True))
    assert "LATERAL" not in str(error.value)
