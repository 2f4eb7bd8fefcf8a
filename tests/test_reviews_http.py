"""Review decisions over HTTP: `POST /api/conflicts/<id>/review` needs the service's review token,
records a decision on a disagreement for each of its pairs, takes effect at once (no rebuild) and
keeps its history; without a token the route answers 403 and the page shows no buttons."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support import REVIEW_TOKEN, LiveServer, Reply

from kg.sources.reviews import load_reviews_list

BROWSER = "text/html,application/xhtml+xml"


def post_review(server: LiveServer, target: str, body: Any, token: str | None = REVIEW_TOKEN) -> Reply:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    return server.request(
        f"/api/conflicts/{target}/review", method="POST", headers=headers, data=json.dumps(body).encode()
    )


DECISION = {"status": "confirmed", "reviewer": "A. Author", "rationale": "both texts say so"}


def test_without_a_review_token_the_route_is_off_and_the_page_has_no_buttons(live_server: LiveServer) -> None:
    target = live_server.get("/api/conflicts").json()[0]["id"]
    assert post_review(live_server, target, DECISION).status == 403
    assert 'class="review"' not in live_server.get("/conflicts", BROWSER).text


def test_a_review_needs_the_token_a_known_id_and_a_valid_decision(review_server: LiveServer) -> None:
    target = review_server.get("/api/conflicts").json()[0]["id"]
    assert post_review(review_server, target, DECISION, token=None).status == 401
    assert post_review(review_server, target, DECISION, token="wrong").status == 401
    assert post_review(review_server, "0123456789abcdef", DECISION).status == 404
    assert post_review(review_server, target, {**DECISION, "status": "maybe"}).status == 400
    assert post_review(review_server, target, {**DECISION, "extra": 1}).status == 400
    assert post_review(review_server, target, {"status": "confirmed"}).status == 400


def test_a_decision_on_a_disagreement_applies_to_its_pairs_at_once(review_server: LiveServer) -> None:
    (item,) = [d for d in review_server.get("/api/conflicts").json() if d["type"] == "class-vs-member"]
    reply = post_review(review_server, item["id"], {**DECISION, "status": "dismissed"})
    assert reply.status == 200, reply.text
    pairs = sorted(p["id"] for p in item["pairs"])
    assert sorted(reply.json()["pairs"]) == pairs
    recorded = load_reviews_list(Path(review_server.env["EVKG_REVIEWS"]))
    assert {r.conflict for r in recorded} >= set(pairs)
    after = {d["id"]: d for d in review_server.get("/api/conflicts", status="dismissed").json()}
    assert after[item["id"]]["status"] == "dismissed", "in effect without a rebuild"
    history = review_server.get(f"/api/conflicts/{item['id']}/reviews").json()
    assert [h["status"] for h in history][-len(pairs) :] == ["dismissed"] * len(pairs)
    assert 'class="review"' in review_server.get("/conflicts", BROWSER).text
