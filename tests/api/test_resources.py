"""Every endpoint, on both stores: what it answers, and what it refuses with which problem."""

from __future__ import annotations

import json
from datetime import timedelta

from referrals import clock
from tests.api.conftest import Api

PROBLEM = "application/problem+json"


def problem(resp, status: int, field: str | None = None) -> dict:
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True))
    assert resp.mimetype == PROBLEM
    body = resp.json
    assert body["status"] == status and body["title"]
    if field is not None:
        assert field in [e["field"] for e in body.get("errors", [])], body
    return body


# -- clients ---------------------------------------------------------------------------


def test_client_crud(api: Api) -> None:
    resp = api.post("/clients", {"name": " Ana ", "email": "Ana@X.com", "tags": ["VIP"], "acquired_on": "2024-03-01"})
    ana = api.ok(resp, 201)
    assert resp.headers["Location"].endswith(f"/api/v1/clients/{ana['id']}")
    assert (ana["name"], ana["email"], ana["tags"], ana["status"]) == ("Ana", "ana@x.com", ["vip"], "active")
    assert api.ok(api.get(f"/clients/{ana['id']}")) == ana
    changed = api.ok(api.patch(f"/clients/{ana['id']}", {"status": "inactive", "email": None}))
    assert (changed["status"], changed["email"], changed["name"]) == ("inactive", None, "Ana")
    assert api.delete(f"/clients/{ana['id']}").status_code == 204
    problem(api.get(f"/clients/{ana['id']}"), 404)


def test_client_listing_filters_and_pages(api: Api) -> None:
    ids = [api.client_id(f"Person {i}", tags=["even"] if i % 2 == 0 else []) for i in range(5)]
    api.client_id("Zoë", email="zoe@ex.com", status="lead", acquired_on="2024-06-01")
    page = api.ok(api.get("/clients?limit=2"))
    assert [c["id"] for c in page["items"]] == ids[:2] and page["next_after"] == ids[1]
    rest = api.ok(api.get(f"/clients?limit=10&after={page['next_after']}"))
    assert [c["id"] for c in rest["items"]][:3] == ids[2:] and rest["next_after"] is None
    assert [c["name"] for c in api.ok(api.get("/clients?q=ZOË"))["items"]] == ["Zoë"]
    assert len(api.ok(api.get("/clients?tag=even"))["items"]) == 3
    assert [c["name"] for c in api.ok(api.get("/clients?status=lead"))["items"]] == ["Zoë"]
    assert [
        c["name"] for c in api.ok(api.get("/clients?acquired_from=2024-01-01&acquired_to=2024-12-31"))["items"]
    ] == ["Zoë"]
    problem(api.get("/clients?limit=0"), 422, "limit")
    problem(api.get("/clients?status=vip"), 422, "status")
    problem(api.get("/clients?acquired_from=yesterday"), 422, "acquired_from")


def test_client_refusals_name_the_field(api: Api) -> None:
    api.client_id("A", email="a@x.com")
    problem(api.post("/clients", {"name": "B", "email": "A@X.COM"}), 409, "email")
    problem(api.post("/clients", {"name": "   "}), 422, "name")
    problem(api.post("/clients", {"email": "x@y.z"}), 422, "name")
    problem(api.post("/clients", {"name": "B", "email": "nope"}), 422, "email")
    problem(api.post("/clients", {"name": "B", "favourite": "blue"}), 422, "favourite")
    problem(api.post("/clients", {"name": 5}), 422, "name")
    problem(api.post("/clients", [1, 2]), 422)
    problem(api.post("/clients", data="{not json", headers={"Content-Type": "application/json"}), 400)
    problem(api.patch("/clients/cl_nobody", {"name": "x"}), 404)
    assert len(api.ok(api.get("/clients"))["items"]) == 1  # nothing was written


def test_client_upsert_by_external_id(api: Api) -> None:
    first = api.post("/clients", {"name": "Ana", "external_id": "crm-7"})
    again = api.post("/clients", {"name": "Ana Lima", "external_id": "crm-7"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["id"] == again.json["id"] and again.json["name"] == "Ana Lima"
    assert len(api.ok(api.get("/clients"))["items"]) == 1


def test_client_phone_as_written_in_and_e164_out(api: Api) -> None:
    ana = api.ok(api.post("/clients", {"name": "Ana", "phone": "8 (916) 123-45-67"}), 201)
    assert ana["phone"] == "+79161234567"
    assert api.ok(api.get("/clients?q=%2B7%20916%20123-45-67"))["items"] == [ana]
    body = problem(api.post("/clients", {"name": "Bo", "phone": "not a number"}), 422, "phone")
    assert "phone" in body["detail"] or any("phone" in e["reason"] or e["field"] == "phone" for e in body["errors"])
    assert api.ok(api.patch(f"/clients/{ana['id']}", {"phone": None}))["phone"] is None
    again = api.post("/clients", {"name": "Ana", "external_id": "crm-1", "phone": "+44 20 7946 0958"})
    assert (again.status_code, again.json["phone"]) == (201, "+442079460958")
    same = api.post("/clients", {"name": "Ana", "external_id": "crm-1", "phone": "+442079460958"})
    assert (same.status_code, same.json) == (200, again.json)  # unchanged: the stored record as it is


def test_deleting_a_client_with_a_branch(api: Api) -> None:
    top, mid, leaf = api.client_id("Top"), api.client_id("Mid"), api.client_id("Leaf")
    api.ok(api.post("/referrals", {"source_id": top, "client_id": mid, "referred_on": "2024-01-01"}), 201)
    api.ok(api.post("/referrals", {"source_id": mid, "client_id": leaf, "referred_on": "2024-02-01"}), 201)
    problem(api.delete(f"/clients/{mid}"), 409, "policy")
    problem(api.delete(f"/clients/{mid}?on_branch=explode"), 422, "on_branch")
    assert api.delete(f"/clients/{mid}?on_branch=relink").status_code == 204
    source = api.ok(api.get(f"/clients/{leaf}/source"))
    assert source["current"]["source_id"] == top
    assert source["history"][-1]["previous_id"] == mid
    refs = api.ok(api.get("/referrals"))["items"]
    assert all(mid not in (r["source_id"], r["client_id"]) for r in refs)


# -- channels --------------------------------------------------------------------------


def test_channel_crud(api: Api) -> None:
    blog = api.ok(api.post("/channels", {"name": "Pricing post", "kind": "blog", "url": "https://x.test/p"}), 201)
    problem(api.post("/channels", {"name": "PRICING POST"}), 409, "name")
    problem(api.post("/channels", {"name": "x", "kind": "billboard"}), 422, "kind")
    assert api.ok(api.get(f"/channels/{blog['id']}")) == blog
    assert api.ok(api.patch(f"/channels/{blog['id']}", {"kind": "social"}))["kind"] == "social"
    assert [c["id"] for c in api.ok(api.get("/channels"))["items"]] == [blog["id"]]
    a = api.client_id("A")
    ref = api.ok(
        api.post(
            "/referrals",
            {"source_kind": "channel", "source_id": blog["id"], "client_id": a, "referred_on": "2024-01-01"},
        ),
        201,
    )
    problem(api.delete(f"/channels/{blog['id']}"), 409)
    assert api.delete(f"/referrals/{ref['id']}").status_code == 204
    assert api.delete(f"/channels/{blog['id']}").status_code == 204
    problem(api.get(f"/channels/{blog['id']}"), 404)


# -- referrals and sources -------------------------------------------------------------


def test_referrals_primary_secondary_and_reattribution(api: Api) -> None:
    a, b, c = api.client_id("A"), api.client_id("B"), api.client_id("C")
    first = api.ok(
        api.post("/referrals", {"source_id": a, "client_id": c, "referred_on": "2024-01-01", "note": "lunch"}), 201
    )
    second = api.ok(api.post("/referrals", {"source_id": b, "client_id": c, "referred_on": "2024-02-01"}), 201)
    assert first["primary"] and not second["primary"] and first["note"] == "lunch"
    assert api.ok(api.get(f"/referrals/{first['id']}")) == first
    listed = api.ok(api.get(f"/referrals?client_id={c}"))["items"]
    assert [r["id"] for r in listed] == [first["id"], second["id"]]
    assert [r["id"] for r in api.ok(api.get(f"/referrals?source_id={b}"))["items"]] == [second["id"]]
    problem(api.get("/referrals?source_kind=channel"), 422, "source_id")
    moved = api.ok(api.put(f"/clients/{c}/source", {"source_id": b, "referred_on": "2024-02-01", "reason": "fix"}))
    assert moved["id"] == second["id"] and moved["primary"]
    source = api.ok(api.get(f"/clients/{c}/source"))
    assert source["current"]["source_id"] == b
    assert [(h["previous_id"], h["current_id"], h["reason"]) for h in source["history"]] == [(a, b, "fix")]
    explicit = api.ok(
        api.post(
            "/referrals",
            {"source_id": a, "client_id": c, "referred_on": "2024-01-01", "primary": True, "reason": "back"},
        ),
        201,
    )
    assert explicit["primary"] and explicit["source_id"] == a
    problem(
        api.post("/referrals", {"source_id": a, "client_id": b, "referred_on": "2024-01-01", "reason": "x"}),
        422,
        "reason",
    )


def test_referral_refusals(api: Api) -> None:
    a, b = api.client_id("A"), api.client_id("B")
    api.ok(api.post("/referrals", {"source_id": a, "client_id": b, "referred_on": "2024-01-01"}), 201)
    problem(api.post("/referrals", {"source_id": b, "client_id": a, "referred_on": "2024-01-01"}), 409, "source_id")
    problem(api.post("/referrals", {"source_id": a, "client_id": a, "referred_on": "2024-01-01"}), 422, "source_id")
    problem(api.post("/referrals", {"source_id": a, "client_id": b, "referred_on": "2024-01-01"}), 409, "source_id")
    problem(
        api.post("/referrals", {"source_id": "cl_ghost", "client_id": b, "referred_on": "2024-01-01"}), 404, "source_id"
    )
    problem(api.post("/referrals", {"source_id": a, "client_id": b, "referred_on": "2024-13-01"}), 422, "referred_on")
    problem(
        api.post("/referrals", {"source_kind": "friend", "source_id": a, "client_id": b, "referred_on": "2024-01-01"}),
        422,
        "source_kind",
    )
    problem(api.put(f"/clients/{a}/source", {"source_id": b, "referred_on": "2024-01-01"}), 409, "source_id")
    problem(api.get("/clients/cl_ghost/source"), 404)
    assert len(api.ok(api.get("/referrals"))["items"]) == 1


# -- deals -----------------------------------------------------------------------------


def test_deal_crud(api: Api) -> None:
    a = api.client_id("A")
    deal = api.ok(
        api.post(
            "/deals",
            {"client_id": a, "amount": "1234.50", "currency": "eur", "closed_on": "2024-03-10", "title": "Logo"},
        ),
        201,
    )
    assert (deal["amount"], deal["amount_minor"], deal["currency"]) == ("1234.50", 123450, "EUR")
    assert api.ok(api.get(f"/deals/{deal['id']}")) == deal
    assert api.ok(api.patch(f"/deals/{deal['id']}", {"amount": "99.9"}))["amount"] == "99.90"
    refund = api.ok(
        api.post("/deals", {"client_id": a, "amount": "-20", "currency": "JPY", "closed_on": "2024-04-01"}), 201
    )
    assert refund["amount"] == "-20" and refund["amount_minor"] == -20
    assert [d["id"] for d in api.ok(api.get("/deals?closed_from=2024-04-01"))["items"]] == [refund["id"]]
    assert len(api.ok(api.get(f"/deals?client_id={a}"))["items"]) == 2
    assert api.delete(f"/deals/{deal['id']}").status_code == 204
    problem(api.get(f"/deals/{deal['id']}"), 404)


def test_deal_refusals(api: Api) -> None:
    a = api.client_id("A")
    base = {"client_id": a, "currency": "EUR", "closed_on": "2024-03-10"}
    problem(api.post("/deals", {**base, "amount": 12.5}), 422, "amount")  # floats never
    problem(api.post("/deals", {**base, "amount": "1,234.50"}), 422, "amount")
    problem(api.post("/deals", {**base, "amount": "1.234"}), 422, "amount")
    problem(api.post("/deals", {**base, "amount": "1", "currency": "XYZ"}), 422, "currency")
    problem(api.post("/deals", {**base, "amount": "1", "client_id": "cl_ghost"}), 404, "client_id")
    assert api.ok(api.get("/deals"))["items"] == []


def test_deal_upsert_by_external_id(api: Api) -> None:
    a = api.client_id("A")
    body = {"client_id": a, "amount": "10", "currency": "EUR", "closed_on": "2024-03-10", "external_id": "INV-1"}
    first, again = api.post("/deals", body), api.post("/deals", {**body, "amount": "11"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"] and again.json["amount"] == "11.00"
    assert len(api.ok(api.get("/deals"))["items"]) == 1


# -- workspace and tokens --------------------------------------------------------------


def test_workspace_and_tokens(api: Api) -> None:
    me = api.ok(api.get("/workspace", token="viewer"))
    assert me["id"] == api.ws and me["role"] == "viewer"
    assert (me["max_depth"], me["credit_depth"], me["draw_limit"], me["webgl_from"]) == (50, 7, 100_000, 10_000)
    made = api.ok(api.post("/tokens", {"role": "viewer", "name": "accountant"}, token="owner"), 201)
    assert made["token"].startswith("rfk_")
    listed = api.ok(api.get("/tokens", token="owner"))["items"]
    assert made["id"] in [t["id"] for t in listed] and all("token" not in t for t in listed)
    assert api.ok(api.get("/workspace", token=made["token"]))["role"] == "viewer"
    assert api.delete(f"/tokens/{made['id']}", token="owner").status_code == 204
    problem(api.get("/workspace", token=made["token"]), 401)
    problem(api.get("/tokens", token="editor"), 403)


def test_authentication_is_required(api: Api) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer rfk_wrong"},
    ):
        resp = api.call("GET", "/clients", token=None, headers=headers)
        problem(resp, 401)
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert api.call("GET", "/health", token=None).status_code == 200


def test_a_channel_id_says_its_kind_and_the_api_refuses_what_the_import_refuses(api: Api) -> None:
    blog = api.ok(api.post("/channels", {"name": "Blog"}), 201)["id"]
    ana, bruno = api.client_id("Ana Lima"), api.client_id("Bruno Costa")
    ref = api.ok(api.post("/referrals", {"source_id": blog, "client_id": ana, "referred_on": "2024-01-01"}), 201)
    assert (ref["source_kind"], ref["source_id"]) == ("channel", blog)  # no source_kind needed: the id says it
    body = problem(
        api.post(
            "/referrals", {"source_kind": "client", "source_id": blog, "client_id": bruno, "referred_on": "2024-01-01"}
        ),
        422,
        "source_id",
    )
    assert "is a channel id, but source_kind says client" in json.dumps(body)
    tomorrow = (clock.latest_today() + timedelta(days=1)).isoformat()
    future = problem(
        api.post("/referrals", {"source_id": ana, "client_id": bruno, "referred_on": tomorrow}), 422, "referred_on"
    )
    assert "is in the future" in json.dumps(future)
    problem(
        api.post("/deals", {"client_id": ana, "amount": "1", "currency": "EUR", "closed_on": tomorrow}),
        422,
        "closed_on",
    )
    api.ok(api.post("/referrals", {"source_id": ana, "client_id": bruno, "referred_on": "2024-02-01"}), 201)
    ring = problem(api.post("/referrals", {"source_id": bruno, "client_id": ana, "referred_on": "2024-03-01"}), 409)
    assert f"Ana Lima ({ana}) already brought in Bruno Costa ({bruno})" in json.dumps(ring)


def test_every_export_answers_what_its_documentation_says(api: Api) -> None:
    """The JSON statement export is the statement's rows (an array of objects), and is documented so;
    the other formats are files (strings). Checked against the served OpenAPI document."""
    import jsonschema_rs

    doc = api.client.get("/api/v1/openapi.json").json
    content = doc["paths"]["/api/v1/attribution/export"]["get"]["responses"]["200"]["content"]
    for fmt, media in (("json", "application/json"), ("csv", "text/csv; charset=utf-8")):
        got = api.get(f"/attribution/export?month=2024-05&format={fmt}")
        assert got.status_code == 200 and got.mimetype == media.split(";")[0]
        body = got.json if fmt == "json" else got.get_data(as_text=True)
        assert jsonschema_rs.validator_for(content[media]["schema"]).is_valid(body), (fmt, content[media])
