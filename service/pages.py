"""Pages for people (landing, conflict audit, stance matrix) and the conflicts as JSON and CSV."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from flask import Blueprint, Response, render_template, request

from kg.audit import ConflictRecord, Filters, apply_filters, slug, to_csv, to_json
from kg.store.base import solutions
from service.context import Services
from service.filters import FILTER_PARAMS, Known, filters_from, known_values

STANCES = {"for": "for", "against": "against", "uncertain": "uncertain", "no recommendation": "uncertain"}


def pages_blueprint(services: Services) -> Blueprint:
    """The landing page, /conflicts, /conflicts/matrix, /api/conflicts(.csv)."""
    blueprint = Blueprint("pages", __name__)
    view = PagesView(services)
    blueprint.add_url_rule("/", "index", view.index)
    blueprint.add_url_rule("/conflicts", "conflicts", view.conflicts)
    blueprint.add_url_rule("/conflicts/matrix", "matrix", view.matrix)
    blueprint.add_url_rule("/api/conflicts", "conflicts_json", view.conflicts_json)
    blueprint.add_url_rule("/api/conflicts.csv", "conflicts_csv", view.conflicts_csv)
    return blueprint


@dataclass
class Cell:
    """A stance matrix cell: the directions a source gives an intervention, and its claims."""

    stances: set[str] = field(default_factory=set)
    claims: list[tuple[str, str]] = field(default_factory=list)
    conflicted: bool = False


class PagesView:
    def __init__(self, services: Services) -> None:
        self.services = services

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
        return render_template(
            "conflicts.html",
            records=records,
            filters=filters,
            choices=choices,
            selected=selected,
            query=request.query_string,
        )

    def conflicts_json(self) -> Response:
        return Response(to_json(self.selected()[1]), content_type="application/json")

    def conflicts_csv(self) -> Response:
        response = Response(to_csv(self.selected()[1]), content_type="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = 'attachment; filename="conflicts.csv"'
        return response

    def matrix(self) -> str:
        store = self.services.read()
        rows = solutions(store.query(self.services.pages.resolve("stance-matrix").text, hints=True))
        cells: dict[tuple[str, str], Cell] = defaultdict(Cell)
        labels: dict[str, str] = {}
        for row in rows:
            intervention = slug(row["intervention"].value)
            labels[intervention] = row["interventionLabel"].value if row["interventionLabel"] else intervention
            cell = cells[(row["sourceId"].value, intervention)]
            cell.stances.add(STANCES.get(row["direction"].value, "uncertain"))
            cell.claims.append((row["claimId"].value, row["claim"].value))
            cell.conflicted = cell.conflicted or int(row["conflicts"].value) > 0
        sources = sorted({source for source, _ in cells})
        interventions = sorted(labels, key=lambda i: labels[i].lower())
        return render_template(
            "matrix.html",
            cells=cells,
            sources=sources,
            interventions=interventions,
            labels=labels,
            base=self.services.iris.base,
        )
