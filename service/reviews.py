"""Review decisions from the browser: `POST /api/conflicts/<id>/review` with a bearer token.

A decision on a disagreement is recorded for each of its pairs. It is appended to the reviews file
atomically, written into the live conflicts graph at once (a new store generation, no
re-reasoning) under the store's writer lock, and kept by later rebuilds as every review is.
`GET /api/conflicts/<id>/reviews` gives the decision history.
"""

from __future__ import annotations

import datetime as dt
import hmac
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify, request
from pydantic import ValidationError

from kg.conflicts import apply_reviews
from kg.disagreements import review_targets
from kg.sources.reviews import Review, add_reviews, history
from kg.store.lock import WriterBusy, writer_lock
from service.context import Services
from service.errors import BadRequest, Forbidden, NotFound, NotImplementedHere, StoreUnavailable, Unauthorized

FIELDS = ("status", "reviewer", "rationale")


def reviews_blueprint(services: Services) -> Blueprint:
    """The review routes over the services' store and reviews file."""
    blueprint = Blueprint("reviews", __name__)
    view = ReviewView(services)
    blueprint.add_url_rule("/api/conflicts/<conflict>/review", "review", view.review, methods=["POST"])
    blueprint.add_url_rule("/api/conflicts/<conflict>/reviews", "history", view.history)
    return blueprint


class ReviewView:
    """Checks the token and the decision, then records and applies it."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def review(self, conflict: str) -> Response:
        self.authorize()
        pairs = self.targets(conflict)
        decided = self.decision()
        reviews = [Review.model_validate({"conflict": pair, **decided}) for pair in pairs]
        self.record(reviews)
        return jsonify({"id": conflict, "status": reviews[0].status, "pairs": pairs})

    def history(self, conflict: str) -> Response:
        pairs = set(self.targets(conflict))
        entries = history(Path(self.services.settings.reviews), pairs)
        return jsonify([entry.model_dump(mode="json") for entry in entries])

    def authorize(self) -> None:
        """403 when reviews over HTTP are off; 401 without the right bearer token."""
        token = self.services.settings.review_token
        if not token:
            raise Forbidden("reviews from the browser are off: the service has no EVKG_REVIEW_TOKEN")
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise Unauthorized(
                "a review needs `Authorization: Bearer <token>` with the service's EVKG_REVIEW_TOKEN",
                headers={"WWW-Authenticate": 'Bearer realm="review"'},
            )

    def targets(self, conflict: str) -> list[str]:
        """The pair ids the id names (a pair, or a disagreement's pairs); 404 for an unknown id."""
        store, records = self.services.read(), self.services.conflicts()
        pairs = review_targets(conflict, records, store, self.services.iris)
        if not pairs:
            raise NotFound(f"no disagreement or pair {conflict!r}: see /api/conflicts?all=1")
        return pairs

    def decision(self) -> dict[str, Any]:
        """The JSON body's status, reviewer and rationale, stamped with the time; 400 when malformed."""
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or set(body) - set(FIELDS):
            raise BadRequest(f"send a JSON object with {', '.join(FIELDS)} (and nothing else)")
        decided = {**{k: body.get(k) for k in FIELDS}, "at": dt.datetime.now(dt.UTC)}
        try:
            Review.model_validate({"conflict": "0" * 16, **decided})
        except ValidationError as exc:
            raise BadRequest(f"invalid review: {_first_error(exc)}") from exc
        return decided

    def record(self, reviews: list[Review]) -> None:
        """Append to the reviews file and apply to the live store, under the writer lock."""
        if self.services.remote:
            raise NotImplementedHere("reviews from the browser need the embedded store; use `evkg review`")
        store = Path(self.services.settings.store)
        try:
            with writer_lock(store, "POST /api/conflicts/review", self.services.settings.writer_timeout):
                add_reviews(Path(self.services.settings.reviews), reviews)
                apply_reviews(store, self.services.iris, reviews)
        except WriterBusy as exc:
            raise StoreUnavailable(str(exc)) from exc


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    return f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
