"""Idempotency-Key: a repeated POST replays the first answer and writes nothing new."""

from __future__ import annotations

from api.idempotency import _fingerprint
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


def test_a_token_secret_is_never_stored_nor_replayed(api: Api) -> None:
    headers = {"Idempotency-Key": "new-token-1"}
    first = api.ok(api.post("/tokens", {"role": "viewer", "name": "laptop"}, token="owner", headers=headers), 201)
    again = api.post("/tokens", {"role": "viewer", "name": "laptop"}, token="owner", headers=headers)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json["id"] == first["id"] and "token" not in again.json
    assert first["token"] not in again.get_data(as_text=True)
    # what the store keeps under the key holds no secret (the stored entry answers any claim of the key)
    stored = api.store.claim_idempotency_key(api.ws, "new-token-1", "another request")
    assert stored is not None and stored.body is not None and stored.status == 201
    assert first["id"] in stored.body and first["token"] not in stored.body
    assert len([t for t in api.ok(api.get("/tokens", token="owner"))["items"] if t["name"] == "laptop"]) == 1


def test_a_claim_left_by_a_dead_request_frees_after_the_lease(api: Api) -> None:
    import time
    from dataclasses import replace

    from api.store import SETTINGS

    api.app.extensions[SETTINGS] = replace(api.app.extensions[SETTINGS], idempotency_lease_seconds=1)
    # a request that claimed the key and died (its worker was killed) never saved nor released it
    with api.app.test_request_context("/api/v1/clients", method="POST", json={"name": "Ana"}):
        fingerprint = _fingerprint()
    api.store.claim_idempotency_key(api.ws, "crashed-1", fingerprint, claim="tk_dead")
    stuck = api.post("/clients", {"name": "Ana"}, headers={"Idempotency-Key": "crashed-1"})
    assert stuck.status_code == 409 and stuck.headers["Retry-After"]
    time.sleep(1.2)
    retried = api.post("/clients", {"name": "Ana"}, headers={"Idempotency-Key": "crashed-1"})
    assert retried.status_code == 201, retried.get_data(as_text=True)
    assert api.post("/clients", {"name": "Ana"}, headers={"Idempotency-Key": "crashed-1"}).json == retried.json
    # the dead request, were it to wake up, cannot overwrite the answer of the one that took over
    api.store.save_idempotent_response(api.ws, "crashed-1", 500, "{}", None, claim="tk_dead")
    assert api.post("/clients", {"name": "Ana"}, headers={"Idempotency-Key": "crashed-1"}).json == retried.json
    assert len(api.ok(api.get("/clients"))["items"]) == 1


def test_stored_answers_expire_after_the_ttl_and_are_swept(api: Api) -> None:
    from datetime import timedelta

    api.ok(api.post("/clients", {"name": "Ana"}, headers={"Idempotency-Key": "old-1"}), 201)
    # a claim made with a TTL of zero sweeps every record older than now, "old-1" included
    assert api.store.claim_idempotency_key(api.ws, "sweeper", "fp", ttl=timedelta(0)) is None
    again = api.post("/clients", {"name": "Ana"}, headers={"Idempotency-Key": "old-1"})
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert len(api.ok(api.get("/clients"))["items"]) == 2
