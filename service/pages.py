"""Pages for people (landing, conflict audit, stance matrix) and the conflicts as JSON and CSV."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Blueprint, Response, render_template, request

from kg.audit import ConflictRecord, Filters, apply_filters, covered_terms, to_csv, to_json
from kg.disagreements import Disagreement, disagreements, hierarchy
from kg.disagreements import to_csv as disagreements_csv
from kg.disagreements import to_json as disagreements_json
from kg.sources.reviews import history
from kg.store.base import solutions
from kg.wording import Names, load_names
from service import matrix as stance
from service.context import Services
from service.errors import BadRequest
from service.filters import FILTER_PARAMS, Known, filters_from, known_values

VIEWS = ("disagreements", "pairs")


def pages_blueprint(services: Services) -> Blueprint:
    """The landing page, /conflicts, /conflicts/matrix, /api/conflicts(.csv)."""
    blueprint = Blueprint("pages", __name__)
    view = PagesView(services)
    blueprint.add_url_rule("/", "index", view.index)
    blueprint.add_url_rule("/conflicts", "conflicts", view.conflicts)
    blueprint.add_url_rule("/conflicts/matrix", "matrix", view.matrix)
    blueprint.add_url_rule("/conflicts/matrix.csv", "matrix_csv", view.matrix_csv)
    blueprint.add_url_rule("/api/conflicts", "conflicts_json", view.conflicts_json)
    blueprint.add_url_rule("/api/conflicts.csv", "conflicts_csv", view.conflicts_csv)
    return blueprint


def words(slug_: str) -> str:
    """A type or status id as words: `first-line-conflict` -> `first-line conflict`."""
    return slug_.replace("-conflict", " conflict").replace("-info", "").replace("-", " ")


class PagesView:
    def __init__(self, services: Services) -> None:
        self.services = services

    def names(self) -> Names:
        """Display names of sources and terms, once per store generation."""
        return self.services.cached("names", lambda store: load_names(store, self.services.registry))  # type: ignore[no-any-return]

    def labelling(self) -> dict[str, Callable[[str], str]]:
        """For each filter, how its values read on the page (no ids)."""
        names = self.names()
        return {
            "type": words,
            "source": names.source,
            "intervention": names.term,
            "condition": names.term,
            "status": words,
        }

    def known(self) -> Known:
        """The values each filter accepts, once per store generation."""
        return self.services.cached("filter-values", lambda store: known_values(store, self.services.pages))  # type: ignore[no-any-return]

    def selected(self) -> tuple[Filters, list[ConflictRecord]]:
        """The filters asked for (400 for a value the dataset does not know) and the conflicts they keep."""
        filters = filters_from(request.args.to_dict(flat=False), self.known())
        store = self.services.read()
        return filters, apply_filters(self.services.conflicts(), filters, store, self.services.iris)

    def index(self) -> str:
        records = self.services.conflicts()
        counts = self.services.graph_counts()
        return render_template(
            "index.html",
            conflicts=sum(1 for r in records if r.category == "conflict"),
            findings=len(records),
            graphs=counts,
            triples=sum(counts.values()),
            base=self.services.iris.base,
            queries=self.services.registry.examples(),
        )

    def conflicts(self) -> str:
        filters, records = self.selected()
        everything = self.services.conflicts()
        choices = {
            "type": sorted({r.type for r in everything}),
            "source": sorted({s for r in everything for s in r.sources}),
            "intervention": sorted({i for r in everything for i in r.interventions}),
            "condition": sorted({c for r in everything for c in r.conditions}),
            "status": sorted({r.status for r in everything}),
        }
        selected = dict(
            zip(
                FILTER_PARAMS,
                (filters.types, filters.sources, filters.interventions, filters.conditions, filters.statuses),
                strict=True,
            )
        )
        grouped = self.grouped(records)
        reviews = Path(self.services.settings.reviews)
        return render_template(
            "conflicts.html",
            records=records,
            disagreements=grouped,
            reviewing=bool(self.services.settings.review_token),
            histories={d.id: history(reviews, {p.id for p in d.pairs}) for d in grouped},
            label=self.labelling(),
            filters=filters,
            choices=choices,
            selected=selected,
            query=request.query_string,
        )

    def grouped(self, records: list[ConflictRecord]) -> list[Disagreement]:
        """The selected findings as disagreements."""
        return disagreements(records, self.services.read(), self.services.iris)

    def pairs_view(self) -> bool:
        """Whether the request asks for one item per pair (`?view=pairs`) instead of per disagreement."""
        view = request.args.get("view", "disagreements")
        if view not in VIEWS:
            raise BadRequest(f"unknown view {view!r}: use one of {', '.join(VIEWS)}")
        return view == "pairs"

    def conflicts_json(self) -> Response:
        records = self.selected()[1]
        text = to_json(records) if self.pairs_view() else disagreements_json(self.grouped(records))
        return Response(text, content_type="application/json")

    def conflicts_csv(self) -> Response:
        records = self.selected()[1]
        text = to_csv(records) if self.pairs_view() else disagreements_csv(self.grouped(records))
        response = Response(text, content_type="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = 'attachment; filename="conflicts.csv"'
        return response

    def matrix(self) -> str:
        names = self.names()
        return render_template(
            "matrix.html",
            matrix=self.stance_matrix(),
            names=names,
            query=request.query_string,
            base=self.services.iris.base,
        )

    def matrix_csv(self) -> Response:
        response = Response(stance.to_csv(self.stance_matrix(), self.names()), content_type="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = 'attachment; filename="stance-matrix.csv"'
        return response

    def stance_matrix(self) -> stance.Matrix:
        """The matrix as the page's filters select it, classes above members, flagged cells linked."""
        filters, records = self.selected()
        store = self.services.read()
        disagreement_of = {c.iri: d.id for d in self.grouped(records) for c in d.claims}
        rows = solutions(store.query(self.services.pages.resolve("stance-matrix").text, hints=True))
        built = stance.build(rows, self.selection(filters), disagreement_of)
        return stance.by_hierarchy(built, hierarchy(store, self.services.iris, built.labels))

    def selection(self, filters: Filters) -> stance.Selection:
        """The sources, interventions and conditions the filters keep (narrower terms included)."""
        store, iris = self.services.read(), self.services.iris

        def covered(terms: tuple[str, ...]) -> frozenset[str] | None:
            return frozenset(covered_terms(store, iris, terms)) if terms else None

        sources = frozenset(filters.sources) if filters.sources else None
        return stance.Selection(sources, covered(filters.interventions), covered(filters.conditions))
