"""Access matrices over every operation the OpenAPI document lists, on both stores.

* another workspace's token gets 404 for every record of this workspace, read or write;
* a viewer gets 403 on every write, an editor on every token operation;
* no token at all gets 401 everywhere but the health check.
"""

from __future__ import annotations

from typing import Any

import pytest

from api import auth
from referrals.access import hash_secret
from tests.api.conftest import Api

WRITE_METHODS = {"post", "put", "patch", "delete"}

# A body each write needs to get past validation, so the status shows the access decision.
BODIES: dict[tuple[str, str], Any] = {
    ("post", "/clients"): {"name": "X"},
    ("post", "/imports"): {"files": [{"name": "c.csv", "content": "name\nX\n"}], "dry_run": True},
    ("patch", "/clients/{client_id}"): {"name": "X"},
    ("post", "/channels"): {"name": "Y"},
    ("patch", "/channels/{channel_id}"): {"name": "Y"},
    ("post", "/referrals"): {"source_id": "{source_id}", "client_id": "{client_id}", "referred_on": "2024-01-01"},
    ("put", "/clients/{client_id}/source"): {"source_id": "{source_id}", "referred_on": "2024-01-01"},
    ("post", "/deals"): {"client_id": "{client_id}", "amount": "1", "currency": "EUR", "closed_on": "2024-01-01"},
    ("patch", "/deals/{deal_id}"): {"amount": "2"},
    ("post", "/tokens"): {"role": "viewer"},
    ("post", "/network/integrity/dismissals"): {"key": "{key}", "note": "not yours"},
}


# Query strings an operation needs to get past validation.
QUERIES: dict[tuple[str, str], str] = {
    ("get", "/clients/{client_id}/credits"): "?from=2024-01-01&to=2024-12-31",
    ("get", "/attribution"): "?month=2024-01",
}


def operations(api: Api) -> list[tuple[str, str]]:
    doc = api.client.get("/api/v1/openapi.json").json
    ops = []
    for path, item in doc["paths"].items():
        for method in item:
            if method in {"get", "post", "put", "patch", "delete"}:
                ops.append((method, path.removeprefix("/api/v1")))
    assert len(ops) >= 20
    return ops


def seed(api: Api, token: str) -> dict[str, str]:
    """One record of every kind in the workspace of `token`."""
    a = api.ok(api.post("/clients", {"name": "A", "phone": "+7 916 123-45-67"}, token=token), 201)["id"]
    b = api.ok(api.post("/clients", {"name": "B", "phone": "8 916 123 45 67"}, token=token), 201)["id"]
    ch = api.ok(api.post("/channels", {"name": "Blog"}, token=token), 201)["id"]
    ref = api.ok(
        api.post("/referrals", {"source_id": a, "client_id": b, "referred_on": "2024-01-01"}, token=token), 201
    )["id"]
    deal = api.ok(
        api.post("/deals", {"client_id": b, "amount": "5", "currency": "EUR", "closed_on": "2024-01-02"}, token=token),
        201,
    )["id"]
    tok = api.ok(api.post("/tokens", {"role": "viewer"}, token=token), 201)["id"]
    batch = api.ok(api.post("/imports", {"files": [{"name": "c.csv", "content": "name\nC\n"}]}, token=token))["batch"]
    finding = api.ok(api.get("/network/integrity", token=token))["findings"][0]  # A and B share a phone
    api.ok(api.post("/network/integrity/dismissals", {"key": finding["key"], "note": "one family"}, token=token), 201)
    return {
        "key": finding["key"],
        "client_id": b,
        "source_id": a,
        "channel_id": ch,
        "referral_id": ref,
        "deal_id": deal,
        "token_id": tok,
        "batch_id": batch,
    }


def fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    return value


def test_another_workspace_gets_404_on_every_record(api: Api) -> None:
    theirs = seed(api, "owner")
    probed = 0
    for method, path in operations(api):
        body_refs = [v for v in (BODIES.get((method, path)) or {}).values() if isinstance(v, str) and "{" in v]
        if "{" not in path and not body_refs:
            continue  # no record of theirs named: listings are checked below
        body = fill(BODIES.get((method, path)), theirs)
        query = QUERIES.get((method, path), "")
        resp = api.call(method.upper(), path.format(**theirs) + query, token="other", json=body)
        assert resp.status_code == 404, (method, path, resp.status_code, resp.get_data(as_text=True))
        probed += 1
    assert probed >= 14
    for listing in ("/clients", "/channels", "/referrals", "/deals", "/tokens", "/imports"):
        items = api.ok(api.get(listing, token="other"))["items"]
        assert not set(theirs.values()) & {i["id"] for i in items}, listing
    # and nothing of theirs changed
    assert api.ok(api.get(f"/clients/{theirs['client_id']}", token="owner"))["name"] == "B"
    assert api.ok(api.get(f"/deals/{theirs['deal_id']}", token="owner"))["amount"] == "5.00"


@pytest.mark.parametrize(("role", "denied"), [("viewer", "writes"), ("editor", "tokens")])
def test_roles_are_enforced_on_every_operation(api: Api, role: str, denied: str) -> None:
    mine = seed(api, "owner")
    before = {p: api.ok(api.get(p, token="owner")) for p in ("/clients", "/channels", "/referrals", "/deals")}
    checked = 0
    for method, path in operations(api):
        is_token_op = path.startswith("/tokens")
        if (denied == "writes" and method in WRITE_METHODS) or (denied == "tokens" and is_token_op):
            body = fill(BODIES.get((method, path)), mine)
            resp = api.call(method.upper(), path.format(**mine), token=role, json=body)
            assert resp.status_code == 403, (role, method, path, resp.status_code)
            assert resp.mimetype == "application/problem+json"
            checked += 1
    assert checked >= (14 if denied == "writes" else 3)
    after = {p: api.ok(api.get(p, token="owner")) for p in before}
    assert after == before


def test_every_operation_but_health_needs_a_token(api: Api) -> None:
    ids = seed(api, "owner")
    for method, path in operations(api):
        resp = api.call(method.upper(), path.format(**ids), token=None, json=fill(BODIES.get((method, path)), ids))
        expected = 200 if path == "/health" else 401
        assert resp.status_code == expected, (method, path, resp.status_code)


def test_a_token_revoked_after_use_is_refused_on_every_read_at_once(api: Api) -> None:
    """A read by a token this process saw valid leaves the check to its own statements (api/auth.py).
    Revoked, the token gets 401 on every read at once: also where the read alone would answer 404 or
    422 or would read nothing at all, and never a byte of the workspace. (The first refusal makes the
    process forget where the token belonged; each request here is made as if it were still remembered.)"""
    ids = seed(api, "owner")
    made = api.ok(api.post("/tokens", {"role": "viewer", "name": "leaving"}, token="owner"), 201)
    reads = [path for method, path in operations(api) if method == "get" and path != "/health"]
    assert len(reads) >= 25
    missing = {k: v[:3] + "0" * (len(v) - 3) for k, v in ids.items()}
    for path in reads:  # seen valid by this process
        resp = api.get(path.format(**ids) + QUERIES.get(("get", path), ""), token=made["token"])
        assert resp.status_code < 500, (path, resp.status_code)  # 403 for an owner's reads, 422 without arguments
    assert api.delete(f"/tokens/{made['id']}", token="owner").status_code == 204
    refused = 0
    for path in reads:
        for url in (
            path.format(**ids) + QUERIES.get(("get", path), ""),  # would be 200
            path.format(**missing) + QUERIES.get(("get", path), ""),  # would be 404
            path.format(**ids) + "?depth=-3&no_such_argument=1",  # would be 422
        ):
            auth._homes[hash_secret(made["token"])] = api.ws  # as remembered before the token was revoked
            resp = api.get(url, token=made["token"])
            assert resp.status_code == 401, (url, resp.status_code, resp.get_data(as_text=True)[:200])
            assert resp.mimetype == "application/problem+json" and ids["client_id"] not in resp.get_data(as_text=True)
            refused += 1
    assert refused == 3 * len(reads)


def test_a_response_refused_at_the_last_check_is_closed_unsent(api: Api) -> None:
    """`finish` is the check of last resort (a view that read nothing before returning, as a streamed
    file does): the response it refuses is closed, so what it holds (a heavy turn) is given back."""
    from flask import Response, g

    from referrals.access import CallerCheck, new_secret

    closed: list[bool] = []
    unknown = hash_secret(new_secret())
    with api.app.test_request_context("/api/v1/network/export?format=graphml"):
        g.pending = CallerCheck(unknown, api.ws, lambda found: auth._admit(unknown, found, None, api.ws))
        made = Response(iter([b"<?xml"]))
        made.call_on_close(lambda: closed.append(True))
        sent = auth.finish(made)
    assert sent.status_code == 401 and sent.mimetype == "application/problem+json" and closed == [True]
