"""Idempotency-Key: a repeated POST replays the first answer and writes nothing new."""

from __future__ import annotations

from tests.api.conftest import Api


def test_repeat_replays_the_first_response(api: Api) -> None:
    headers = {"Idempotency-Key": "create-ana-1"}
    first = api.post("/clients", {"name": "Ana"}, headers=headers)
    again = api.post("/clients", {"name": "Ana"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Location"] == first.headers["Location"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(api.ok(api.get("/clients"))["items"]) == 1


def test_refusals_are_replayed_too(api: Api) -> None:
    headers = {"Idempotency-Key": "bad-deal"}
    body = {"client_id": "cl_ghost", "amount": "1", "currency": "EUR", "closed_on": "2024-01-01"}
    first = api.post("/deals", body, headers=headers)
    again = api.post("/deals", body, headers=headers)
    assert first.status_code == again.status_code == 404
    assert again.mimetype == "application/problem+json" and again.json == first.json


def test_a_key_reused_for_another_request_is_refused(api: Api) -> None:
    headers = {"Idempotency-Key": "k-1"}
    api.ok(api.post("/clients", {"name": "Ana"}, headers=headers), 201)
    resp = api.post("/clients", {"name": "Bob"}, headers=headers)
    assert resp.status_code == 422 and resp.json["errors"][0]["field"] == "Idempotency-Key"
    assert [c["name"] for c in api.ok(api.get("/clients"))["items"]] == ["Ana"]


def test_keys_belong_to_one_workspace(api: Api) -> None:
    headers = {"Idempotency-Key": "same-key"}
    mine = api.ok(api.post("/clients", {"name": "Ana"}, headers=headers), 201)
    theirs = api.ok(api.post("/clients", {"name": "Ana"}, headers=headers, token="other"), 201)
    assert mine["id"] != theirs["id"]


def test_malformed_keys_are_refused(api: Api) -> None:
    for key in ("", "x" * 201, "ключ"):
        resp = api.post("/clients", {"name": "Ana"}, headers={"Idempotency-Key": key})
        assert resp.status_code == 400, key
    assert api.ok(api.get("/clients"))["items"] == []


def test_without_a_key_posts_are_not_deduplicated(api: Api) -> None:
    api.ok(api.post("/clients", {"name": "Ana"}), 201)
    api.ok(api.post("/clients", {"name": "Ana"}), 201)
    assert len(api.ok(api.get("/clients"))["items"]) == 2
