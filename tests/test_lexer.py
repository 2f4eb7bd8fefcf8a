"""The one SPARQL lexer (kg.sparql.lexer) and IRI resolution, and that the /sparql check (service.guard),
the planner hint (kg.sparql.planner) and the remote store's text (kg.store.remote_sparql) read a query
alike, and as pyoxigraph's parser reads it."""

from __future__ import annotations

import time
from urllib.parse import urljoin

import pyoxigraph as ox
import pytest

from kg.namespaces import PREFIXES
from kg.sparql.lexer import iri_value, names_dataset, remove_dot_segments, resolve, split_pname, tokenize
from kg.sparql.planner import lateral_optionals, masked
from kg.store.remote_sparql import Prologue, dataset_clauses, query_form, read_prologue
from service.errors import BadRequest, Forbidden
from service.guard import check_query, scan
from service.update import check_update

OUTSIDE = "http://127.0.0.1:9/sparql"


def kinds(text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in tokenize(text)]


# ------------------------------------------------------------------------------------- terminals
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<http://e.org/a#b>", [("iri", "<http://e.org/a#b>")]),
        ("<http://e.org/\\u0041>", [("iri", "<http://e.org/\\u0041>")]),
        ("<a b>", [("punct", "<"), ("word", "a"), ("word", "b"), ("punct", ">")]),
        ("ex:a.b ex:c.", [("pname", "ex:a.b"), ("pname", "ex:c"), ("punct", ".")]),
        ("ex: :x", [("pname", "ex:"), ("pname", ":x")]),
        ("ex:a\\.b%20c", [("pname", "ex:a\\.b%20c")]),
        ("é·x:ça_1 ŝ:ĉ", [("pname", "é·x:ça_1"), ("pname", "ŝ:ĉ")]),
        ("_:b1. _:x.y", [("bnode", "_:b1"), ("punct", "."), ("bnode", "_:x.y")]),
        (
            "?x $y ?é1 ?a-?b",
            [("var", "?x"), ("var", "$y"), ("var", "?é1"), ("var", "?a"), ("punct", "-"), ("var", "?b")],
        ),
        ("'a' \"b\" '''c\n'd'''", [("string", "'a'"), ("string", '"b"'), ("string", "'''c\n'd'''")]),
        ('"""x""""', [("string", '"""x"""'), ("error", '"')]),
        ("'it\\'s' 'x", [("string", "'it\\'s'"), ("error", "'x")]),
        ("1 1.5 .5 1e3 1.E-2 1.", [("number", n) for n in ("1", "1.5", ".5", "1e3", "1.E-2", "1")] + [("punct", ".")]),
        (
            '"a"@en-US "1"^^xsd:int',
            [("string", '"a"'), ("langtag", "@en-US"), ("string", '"1"'), ("punct", "^^"), ("pname", "xsd:int")],
        ),
        ("# a comment\n ?x # another", [("var", "?x")]),
        (
            "(?a<=?b&&!?c)",
            [("punct", "("), ("var", "?a"), ("punct", "<="), ("var", "?b"), ("punct", "&&"), ("punct", "!")]
            + [("var", "?c"), ("punct", ")")],
        ),
    ],
)
def test_tokens_follow_the_grammars_terminals(text: str, expected: list[tuple[str, str]]) -> None:
    assert kinds(text) == expected


def test_each_token_knows_where_it_stands() -> None:
    text = "SELECT # c\n ?x { <a> 'b' }"
    assert all(text[t.start : t.end] == t.text for t in tokenize(text))
    assert [t.start for t in tokenize(text)] == [0, 12, 15, 17, 21, 25]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SERVICESILENT", ["SERVICE", "SILENT"]),
        ("trueSERVICE", ["true", "SERVICE"]),
        ("LIMIT10", ["LIMIT", "10"]),
        ("ASKFROM", ["ASK", "FROM"]),
        ("true.SERVICE", ["true", ".", "SERVICE"]),
        ("GROUP_CONCAT", ["GROUP_CONCAT"]),
        ("wasDerivedFrom", ["wasDerivedFrom"]),
        ("fromage", ["fromage"]),
    ],
)
def test_keywords_written_together_are_read_apart_as_the_parser_does(text: str, expected: list[str]) -> None:
    assert [t.text for t in tokenize(text)] == expected


def test_keywords_match_in_ascii_only() -> None:
    assert [t.is_word("SERVICE") for t in tokenize("sErViCe \u017fervice ex:x")] == [True, False, False]


def test_token_values() -> None:
    assert iri_value("<http://e.org/\\u0041\\U00000042>") == "http://e.org/AB"
    assert split_pname("ex:a\\.b%20") == ("ex", "a.b%20")


@pytest.mark.parametrize(
    "text",
    ["a-" * 20_000, "a." * 20_000 + ":", "'\\'" * 20_000, "'''" + "\\'''" * 20_000, "<a" * 20_000, "# x\n" * 20_000],
    ids=["hyphens", "dots", "escaped-quotes", "unterminated-long", "less-thans", "comments"],
)
def test_lexing_is_linear_on_long_input(text: str) -> None:
    started = time.perf_counter()
    tokenize(text)
    small = time.perf_counter() - started
    started = time.perf_counter()
    tokenize(text * 4)
    assert time.perf_counter() - started < 12 * small + 0.05  # quadratic would be 16x


# ------------------------------------------------------------- keywords where they are not syntax
HIDING_PLACES = [
    "SELECT * WHERE { ?s ?p 'SERVICE <http://127.0.0.1:9/> OPTIONAL { ?a ?b ?c }' }",
    "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://127.0.0.1:9/> OPTIONAL { ?a ?b ?c }",
    'SELECT * WHERE { ?s ?p """FROM <x:y>\nSERVICE OPTIONAL { ?a ?b ?c }""" }',
    "SELECT * WHERE { ?s <http://www.w3.org/ns/prov#wasDerivedFrom> ?o }",
    "SELECT * WHERE { ?s evkg:service ?o . ?service ex:OPTIONAL ?o }",
]


@pytest.mark.parametrize("text", HIDING_PLACES)
def test_keywords_inside_strings_iris_comments_and_names_are_not_syntax(text: str) -> None:
    shape = check_query(text, PREFIXES, (), ())
    assert shape.form == "SELECT" and not shape.services and not shape.datasets
    assert lateral_optionals(text) == text
    assert read_prologue(text, None).body == text and dataset_clauses(read_prologue(text, None))[1:] == ([], [])


def test_masking_keeps_offsets_and_blanks_strings_iris_and_comments() -> None:
    text = "ASK { <a#b> ?p 'x y' } # OPTIONAL {"
    assert masked(text) == "ASK { <   > ?p       }" + " " * 13
    assert masked(text, "x") == "ASK { <xxx> ?p xxxxx }" + " " * 13


def test_nested_braces_are_counted_in_tokens_not_in_strings() -> None:
    text = "SELECT * WHERE { ?a ?p ?b OPTIONAL { ?a ?q '}' } OPTIONAL { ?a ?r ?c { ?c ?s ?d } } }"
    assert lateral_optionals(text) == (
        "SELECT * WHERE { ?a ?p ?b LATERAL { OPTIONAL { ?a ?q '}' } } OPTIONAL { ?a ?r ?c { ?c ?s ?d } } }"
    )


# ---------------------------------------------------------------- the three read a query alike
@pytest.mark.parametrize(
    "text",
    [
        "PREFIX e: <http://e/> SELECT * FROM <http://e/g> WHERE { ?s ?p ?o }",
        "selectdistinct*FROMNAMED<http://e/g>WHERE{?s ?p ?o}",
        "BASE <http://e/> PREFIX p: <x/> ASK FROM p:g { }",
    ],
)
def test_the_guard_and_the_remote_store_find_the_same_form_and_graphs(text: str) -> None:
    shape = scan(text, {})
    default, named = dataset_clauses(read_prologue(text, None))[1:]
    assert shape.form == query_form(text)
    assert shape.datasets == default + named
    ox.Store().query(text)  # and pyoxigraph parses it


@pytest.mark.parametrize(
    "text",
    [
        f"SELECT * WHERE {{ SERVICESILENT <{OUTSIDE}> {{ }} }}",
        f"SELECT * WHERE {{ ?s ?p trueSERVICE SILENT <{OUTSIDE}> {{ }} }}",
        f"SELECT * WHERE {{ ?s ?p true.SERVICE <{OUTSIDE}> {{ }} }}",
        f"PREFIX : <{OUTSIDE}/> SELECT * WHERE {{ SERVICE:x {{ }} }}",
        f"SELECT * WHERE {{ ?a ?p ?b BIND(?b<'x>' AS ?z) SERVICE SILENT <{OUTSIDE}> {{}} FILTER(?b != '') }}",
        f"SELECT * WHERE {{ ?s <http://x/\\u0041'> ?o . SERVICE SILENT <{OUTSIDE}> {{}} FILTER(?o != '') }}",
        f"SELECT * WHERE {{ ?x ?y ?z FILTER(?y<?z)SERVICESILENT#>\n<{OUTSIDE}>{{ }} }}",
        f"SELECT * WHERE {{ ?a ?b ?c FILTER(?a<?b)#>'''\nSERVICE <{OUTSIDE}> {{}} BIND('''x''' AS ?y) }}",
    ],
    ids=["glued-silent", "glued-true", "after-true-dot", "glued-prefixed-name", "apostrophe-in-iri", "escaped-iri"]
    + ["glued-after-less-than", "long-string-after-comment"],
)
def test_a_service_that_pyoxigraph_parses_is_never_missed(text: str) -> None:
    ox.Store().query(text)  # pyoxigraph parses it: it would call the endpoint
    with pytest.raises(BadRequest):
        check_query(text, PREFIXES, (), ())


@pytest.mark.parametrize("text", ["LOADSILENT <http://127.0.0.1:9/x.ttl>", "load <http://127.0.0.1:9/x.ttl>"])
def test_load_written_together_with_silent_is_still_load(text: str) -> None:
    with pytest.raises(Forbidden):
        check_update(text, ())


# ------------------------------------------------------------------------------- IRI resolution
BASE = "http://a/b/c/d;p?q"
RFC_3986_NORMAL = {
    "g:h": "g:h", "g": "http://a/b/c/g", "./g": "http://a/b/c/g", "g/": "http://a/b/c/g/", "/g": "http://a/g",
    "//g": "http://g", "?y": "http://a/b/c/d;p?y", "g?y": "http://a/b/c/g?y", "#s": "http://a/b/c/d;p?q#s",
    "g#s": "http://a/b/c/g#s", "g?y#s": "http://a/b/c/g?y#s", ";x": "http://a/b/c/;x", "g;x": "http://a/b/c/g;x",
    "g;x?y#s": "http://a/b/c/g;x?y#s", "": "http://a/b/c/d;p?q", ".": "http://a/b/c/", "./": "http://a/b/c/",
    "..": "http://a/b/", "../": "http://a/b/", "../g": "http://a/b/g", "../..": "http://a/", "../../": "http://a/",
    "../../g": "http://a/g",
}  # fmt: skip
RFC_3986_ABNORMAL = {
    "../../../g": "http://a/g", "../../../../g": "http://a/g", "/./g": "http://a/g", "/../g": "http://a/g",
    "g.": "http://a/b/c/g.", ".g": "http://a/b/c/.g", "g..": "http://a/b/c/g..", "..g": "http://a/b/c/..g",
    "./../g": "http://a/b/g", "./g/.": "http://a/b/c/g/", "g/./h": "http://a/b/c/g/h", "g/../h": "http://a/b/c/h",
    "g;x=1/./y": "http://a/b/c/g;x=1/y", "g;x=1/../y": "http://a/b/c/y", "g?y/./x": "http://a/b/c/g?y/./x",
    "g?y/../x": "http://a/b/c/g?y/../x", "g#s/./x": "http://a/b/c/g#s/./x", "g#s/../x": "http://a/b/c/g#s/../x",
    "http:g": "http:g",
}  # fmt: skip


def pyoxigraph_resolves(reference: str, base: str) -> str | None:
    """What pyoxigraph makes of `<reference>` under `BASE <base>`; None when it refuses it."""
    try:
        solutions = ox.Store().query(f"BASE <{base}> SELECT ?x WHERE {{ BIND(<{reference}> AS ?x) }}")
    except SyntaxError:
        return None
    return next(iter(solutions))["x"].value  # type: ignore[index, union-attr]


@pytest.mark.parametrize(("reference", "expected"), [*RFC_3986_NORMAL.items(), *RFC_3986_ABNORMAL.items()])
def test_rfc_3986_section_5_4_examples(reference: str, expected: str) -> None:
    assert resolve(reference, BASE) == expected == pyoxigraph_resolves(reference, BASE)


@pytest.mark.parametrize(
    ("reference", "base"),
    [
        ("b", "urn:a"), ("#f", "urn:a:b"), ("../d", "urn:a/b/c"), ("b", "http://a"), ("../../c", "file:a/b"),
        ("/../g", "urn:a"), ("../../g", "file:/a/b"), ("../..", "file:/a/b"), ("..", "file:a/b"), ("./", "http://a/b"),
        ("//g/x/../y", BASE), ("http://x/a/../b", BASE), ("x", "mailto:a@b"),
    ],
)  # fmt: skip
def test_resolution_agrees_with_pyoxigraph_beyond_the_rfc_examples(reference: str, base: str) -> None:
    assert resolve(reference, base) == pyoxigraph_resolves(reference, base)
    assert ox.NamedNode(resolve(reference, base) or "")  # a valid IRI


@pytest.mark.parametrize(
    ("reference", "base", "urljoin_gives", "expected"),
    [
        ("b", "urn:a", "b", "urn:b"),  # urljoin resolves only under the schemes it lists
        ("../d", "urn:a/b/c", "../d", "urn:a/d"),
        ("g", "tag:x/y", "g", "tag:x/g"),
        ("#f", "urn:a:b", "#f", "urn:a:b#f"),
        ("../../c", "file:a/b", "file:///c", "file:c"),  # urljoin adds an authority and a root
        ("../../g", "file:/a/b", "file:///g", "file:g"),
        ("", "http://a/b#f", "http://a/b#f", "http://a/b"),  # an empty reference drops the base's fragment
    ],
)
def test_resolution_is_not_urljoin(reference: str, base: str, urljoin_gives: str, expected: str) -> None:
    assert urljoin(base, reference) == urljoin_gives
    assert resolve(reference, base) == expected == pyoxigraph_resolves(reference, base)


def test_no_absolute_iri_without_a_base_or_with_forbidden_characters() -> None:
    assert resolve("g", None) is None and resolve("g", "relative/base") is None
    assert resolve("http://a/b c", None) is None and resolve("http://a/b", None) == "http://a/b"


def test_remove_dot_segments() -> None:
    assert remove_dot_segments("/a/b/c/./../../g") == "/a/g"
    assert remove_dot_segments("mid/content=5/../6") == "mid/6"


def test_the_remote_prologue_resolves_as_the_guard_does() -> None:
    text = "BASE <urn:a/b/c> PREFIX p: <../d/> SELECT * FROM p:g WHERE { }"
    prologue = read_prologue(text, None)
    assert prologue == Prologue("urn:a/b/c", (("p", "urn:a/d/"),), prologue.body, 0)
    assert scan(text, {}).datasets == dataset_clauses(prologue)[1] == ["urn:a/d/g"]


# ------------------------------------------------------------------------------------- a query's own dataset
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SELECT * FROM <http://e/g> WHERE { ?s ?p ?o }", True),
        ("select * from named <http://e/g> { graph ?g { ?s ?p ?o } }", True),
        ("SELECT * FROM<http://e/g>{?s ?p ?o}", True),
        ("SELECT * FROM ex:g WHERE { ?s ?p ?o }", True),
        ("SELECT * WHERE { ?s ?p 'FROM <http://e/g>' } # FROM <http://e/g>", False),
        ("SELECT * WHERE { ?s <http://e/FROM> ?o }", False),
        ("SELECT * WHERE { ?s ?p ?o }", False),
    ],
)
def test_names_dataset_sees_from_clauses_as_the_parser_does(text: str, expected: bool) -> None:
    assert names_dataset(text) is expected
