"""Hostile or careless requests get a clear 4xx naming the reason, and change nothing."""

from __future__ import annotations

from referrals.config import CREDIT_DEPTH, MAX_DEPTH
from tests.api.conftest import Api


def test_deeply_nested_json_is_a_400_not_a_crash(api: Api) -> None:
    resp = api.post("/clients", data="[" * 5000 + "]" * 5000, headers={"Content-Type": "application/json"})
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    assert "nested too deeply" in resp.json["detail"]
    ru = api.post(
        "/clients", data="[" * 5000 + "]" * 5000, headers={"Content-Type": "application/json", "Accept-Language": "ru"}
    )
    assert "слишком глубокая вложенность JSON" in ru.json["detail"]


def test_a_key_given_twice_in_a_json_object_is_a_400_naming_it_and_writes_nothing(api: Api) -> None:
    """{"name": "x", "name": "y"}: which one was meant is a guess, and readers of one body disagree on it
    (many keep the last, some the first); the body is refused, whatever its depth, in the caller's language."""
    json_type = {"Content-Type": "application/json"}
    before = api.ok(api.get("/clients"))["items"]
    for body in ('{"name": "Ana", "name": "Bo"}', '{"name": "Ana", "tags": ["a"], "notes": {"x": 1, "x": 2}}'):
        resp = api.post("/clients", data=body, headers=json_type)
        assert resp.status_code == 400 and resp.mimetype == "application/problem+json", resp.get_data(as_text=True)
        assert resp.json["errors"][0]["field"] == "body"
    assert (
        'the key "name" is given twice'
        in api.post("/clients", data='{"name": 1, "name": 2}', headers=json_type).json["detail"]
    )
    ru = api.post("/clients", data='{"name": "Ana", "name": "Bo"}', headers={**json_type, "Accept-Language": "ru"})
    assert ru.status_code == 400 and 'ключ "name" указан в одном объекте дважды' in ru.json["detail"]
    assert api.ok(api.get("/clients"))["items"] == before
    assert api.post("/clients", data='{"name": "Ana", "notes": "x"}', headers=json_type).status_code == 201


def test_a_query_parameter_of_one_value_given_twice_is_a_422_naming_it(api: Api) -> None:
    cid = api.client_id("Ana")
    for path, name in ((f"/clients/{cid}/tree?depth=1&depth=7", "depth"), ("/clients?limit=1&limit=500", "limit")):
        resp = api.get(path)
        assert resp.status_code == 422, resp.get_data(as_text=True)
        assert resp.json["errors"] == [{"field": name, "reason": "given more than once; give it once", "in": "query"}]
    ru = api.get("/attribution?month=2024-01&month=2024-02", headers={"Accept-Language": "ru"})
    assert ru.status_code == 422 and "month: указан больше одного раза" in ru.json["detail"]
    unknown = api.get("/clients?stauts=lead&stauts=active")  # an unknown one is told as unknown
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "stauts"
    assert "more than once" not in unknown.json["detail"]
    assert api.get(f"/clients/{cid}/tree?depth=7").status_code == 200


def test_months_and_days_at_the_calendars_ends_answer_and_never_crash(api: Api) -> None:
    """The last month there is, a span of months reaching before year 1, an as-of day in year 1: each a
    plain answer or a 422 naming the field, never a 500."""
    cid = api.client_id("Ana")
    assert api.ok(api.get("/attribution?month=9999-12"))["to"] == "9999-12-31"
    assert api.ok(api.get("/network/growth?to=9999-12&months=2"))["cohorts"][-1]["month"] == "9999-12"
    early = api.get("/network/growth?to=0001-03&months=24")
    assert early.status_code == 422 and early.json["errors"][0]["field"] == "months", early.get_data(as_text=True)
    assert api.ok(api.get("/network/growth?to=0001-03&months=3"))["cohorts"][0]["month"] == "0001-01"
    assert api.ok(api.get("/network/influence?as_of=0001-02-01&months=24"))["day"] == "0001-02-01"
    assert api.get(f"/clients/{cid}/tree?as_of=9999-12-31").status_code == 200


def test_405_names_the_allowed_methods(api: Api) -> None:
    resp = api.call("PUT", "/clients")
    assert resp.status_code == 405
    assert set(resp.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_a_patch_naming_no_field_is_refused_and_touches_nothing(api: Api) -> None:
    cid = api.client_id("Ana")
    before = api.ok(api.get(f"/clients/{cid}"))
    for resp in (api.patch(f"/clients/{cid}", json={}), api.call("PATCH", f"/clients/{cid}")):
        assert resp.status_code == 422, resp.get_data(as_text=True)
        assert resp.json["errors"][0]["field"] == "body"
    assert api.ok(api.get(f"/clients/{cid}")) == before
    channel = api.ok(api.post("/channels", {"name": "Blog"}), 201)["id"]
    assert api.patch(f"/channels/{channel}", json={}).status_code == 422
    schemas = api.client.get("/api/v1/openapi.json").json["components"]["schemas"]
    assert {schemas[n]["minProperties"] for n in ("ClientPatch", "ChannelPatch", "DealPatch")} == {1}


def test_channel_urls_are_web_addresses_only(api: Api) -> None:
    for bad in ("javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "ftp://example.com/x", "//x"):
        resp = api.post("/channels", {"name": "Blog", "url": bad})
        assert resp.status_code == 422, (bad, resp.get_data(as_text=True))
        assert resp.json["errors"][0]["field"] == "url"
    assert api.ok(api.get("/channels"))["items"] == []
    made = api.ok(api.post("/channels", {"name": "Blog", "url": "https://example.com/post"}), 201)
    resp = api.patch(f"/channels/{made['id']}", json={"url": "javascript:alert(1)"})
    assert resp.status_code == 422
    assert api.ok(api.get(f"/channels/{made['id']}"))["url"] == "https://example.com/post"


def test_an_import_over_the_row_cap_is_refused_with_413_and_writes_nothing(api: Api) -> None:
    api.app.extensions["referrals.settings"] = api.app.extensions["referrals.settings"].__class__(max_import_rows=100)
    rows = "\n".join(f"client {i}" for i in range(60))
    files = [{"name": "a.csv", "content": "name\n" + rows}, {"name": "b.csv", "content": "name\n" + rows}]
    resp = api.post("/imports", {"files": files})
    assert resp.status_code == 413, resp.get_data(as_text=True)
    assert resp.json["errors"][0]["field"] == "files"
    assert "more than 100 rows" in resp.json["detail"] and "referrals import" in resp.json["detail"]
    assert api.ok(api.get("/clients"))["items"] == []
    assert api.ok(api.post("/imports", {"files": files[:1]}))["written"] == 60


def test_the_documented_depth_is_the_depth_the_server_accepts(api: Api) -> None:
    doc = api.client.get("/api/v1/openapi.json").json
    cid = api.client_id("Ana")
    path = "/api/v1/clients/{client_id}/chain"
    (depth,) = [p for p in doc["paths"][path]["get"]["parameters"] if p["name"] == "depth"]
    cap = depth["schema"]["maximum"]
    assert cap == MAX_DEPTH == 50 and depth["schema"].get("default") is None  # no depth: the whole chain
    assert api.get(f"/clients/{cid}/chain?depth={cap}").status_code == 200
    assert api.get(f"/clients/{cid}/chain?depth={cap + 1}").status_code == 422
    (credit,) = [p for p in doc["paths"]["/api/v1/attribution"]["get"]["parameters"] if p["name"] == "depth"]
    assert (credit["schema"]["maximum"], credit["schema"]["default"]) == (MAX_DEPTH, CREDIT_DEPTH)  # one bound
