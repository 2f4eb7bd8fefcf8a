"""The conflict filters of /conflicts and /api/conflicts: read from the request, each value checked.

A value the dataset does not know (a type, source, term or status) is a 400 that lists the valid
ones, never an empty answer that looks like "no conflicts": service/queries/filter-values.rq says
which types, sources and terms exist, once per store generation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from kg.audit import Filters, kebab, slug
from kg.sources.reviews import STATUSES
from kg.sparql.queries import QueryRegistry
from kg.store.base import Store, solutions
from service.errors import BadRequest

FILTER_PARAMS = ("type", "source", "intervention", "condition", "status")
FLAGS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}
LISTED = 20
"""How many valid values a 400 names before it says how many there are in all."""
Known = Mapping[str, frozenset[str]]


def known_values(store: Store, pages: QueryRegistry) -> dict[str, frozenset[str]]:
    """Each filter's valid values: types, source ids and terms from the store, the review statuses."""
    found: dict[str, set[str]] = defaultdict(set)
    for row in solutions(store.query(pages.resolve("filter-values").text, hints=True)):
        name, value = row["filter"].value, row["value"].value
        found[name].add(kebab(slug(value)) if name == "type" else slug(value))
    found["status"] = set(STATUSES)
    return {name: frozenset(found[name]) for name in FILTER_PARAMS}


def filters_from(args: Mapping[str, Sequence[str]], known: Known) -> Filters:
    """Filters from query parameters (each repeatable; empty values ignored); all=1 adds informational."""
    types, sources, interventions, conditions, statuses = (
        tuple(checked(name, [v for v in args.get(name, ()) if v], known[name])) for name in FILTER_PARAMS
    )
    return Filters(types, sources, interventions, conditions, statuses, flag("all", args.get("all", ())))


def checked(name: str, values: list[str], valid: frozenset[str]) -> list[str]:
    """The values, each one known; 400 naming the first unknown one and the valid choices."""
    for value in values:
        if value not in valid:
            raise BadRequest(f"unknown {name} {value!r}; {choices(valid)}")
    return values


def choices(valid: frozenset[str]) -> str:
    """The sentence listing the valid values (the first LISTED of them when there are more)."""
    listed = sorted(valid)
    more = f", … ({len(listed)} in all)" if len(listed) > LISTED else ""
    return "valid values: " + (", ".join(listed[:LISTED]) + more if listed else "none in this dataset")


def flag(name: str, values: Sequence[str]) -> bool:
    """A yes/no parameter (1/0, true/false, yes/no, on/off; absent or empty: no); 400 for anything else."""
    for value in values:
        if value.lower() not in FLAGS and value:
            raise BadRequest(f"`{name}` takes 1 or 0 (true/false, yes/no, on/off), not {value!r}")
    return any(FLAGS.get(value.lower(), False) for value in values)
