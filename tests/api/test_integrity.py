"""/network/integrity over HTTP: findings with their rule, people and numbers; thresholds refused by name;
dismissals that stay, need an editor, and are refused clearly when they name nothing."""

from __future__ import annotations

from referrals.model import ClientInput
from tests.api.conftest import Api


def _twins(api: Api) -> None:
    for name in ("Ana", "Anya"):
        api.store.create_client(api.ws, ClientInput.parse({"name": name, "phone": "+7 916 123-45-67"}))


def test_findings_and_their_dismissal_over_http(api: Api) -> None:
    assert api.ok(api.get("/network/integrity"))["findings"] == []
    _twins(api)
    body = api.ok(api.get("/network/integrity"))
    assert (body["open"], body["dismissed"], body["thresholds"]["burst_count"]) == (1, 0, 5)
    assert [r["id"] for r in body["rules"]] == [
        "shared_contact",
        "self_referral",
        "burst",
        "hollow_cluster",
        "dated_early",
        "ring",
    ]
    (f,) = body["findings"]
    assert f["rule"] == "shared_contact" and sorted(p["name"] for p in f["people"]) == ["Ana", "Anya"]
    assert f["numbers"]["shared"] == [{"field": "phone", "value": "+79161234567", "clients": 2}]
    assert f["dismissed"] is None and "+79161234567" in f["summary"]
    # a viewer cannot dismiss; an editor must give a note; an unknown key is a 404 naming `key`
    assert api.post("/network/integrity/dismissals", {"key": f["key"], "note": "x"}, token="viewer").status_code == 403
    no_note = api.post("/network/integrity/dismissals", {"key": f["key"], "note": "  "})
    assert no_note.status_code == 422 and no_note.get_json()["errors"][0]["field"] == "note"
    unknown = api.post("/network/integrity/dismissals", {"key": "ring-0123456789abcdef", "note": "x"})
    assert unknown.status_code == 404 and unknown.get_json()["errors"][0]["field"] == "key"
    made = api.post("/network/integrity/dismissals", {"key": f["key"], "note": "Twins, one phone"})
    assert made.status_code == 201 and made.get_json()["note"] == "Twins, one phone"
    after = api.ok(api.get("/network/integrity"))
    assert (after["open"], after["dismissed"]) == (0, 1)
    assert after["findings"][0]["dismissed"]["note"] == "Twins, one phone"
    assert after["rules"][0] | {"title": "", "description": ""} == {
        "id": "shared_contact",
        "title": "",
        "description": "",
        "open": 0,
        "dismissed": 1,
    }
    # shown again once undismissed; a second undismiss is a 404
    assert api.call("DELETE", f"/network/integrity/dismissals/{f['key']}").status_code == 204
    assert api.ok(api.get("/network/integrity"))["open"] == 1
    assert api.call("DELETE", f"/network/integrity/dismissals/{f['key']}").status_code == 404


def test_a_limit_lists_the_first_findings_and_counts_the_rest(api: Api) -> None:
    for name, phone in (
        ("Ana", "+79161234567"),
        ("Anya", "+79161234567"),
        ("Bo", "+79160000001"),
        ("Bob", "+79160000001"),
    ):
        api.store.create_client(api.ws, ClientInput.parse({"name": name, "phone": phone}))
    body = api.ok(api.get("/network/integrity?limit=1"))
    assert (len(body["findings"]), body["not_listed"], body["open"]) == (1, 1, 2)
    assert api.ok(api.get("/network/integrity"))["not_listed"] == 0


def test_thresholds_are_query_arguments_refused_by_name(api: Api) -> None:
    body = api.ok(api.get("/network/integrity?burst_count=2&burst_days=30&hollow_size=2&lead_days=0"))
    assert body["thresholds"] == {"burst_count": 2, "burst_days": 30, "hollow_size": 2, "lead_days": 0}
    assert "more than 2 clients within 30 days" in body["rules"][2]["description"]
    for query, field in (("burst_count=0", "burst_count"), ("hollow_size=1", "hollow_size"), ("lead=3", "lead")):
        bad = api.get(f"/network/integrity?{query}")
        assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == field, query


def test_another_workspace_sees_nothing_of_these_findings(api: Api) -> None:
    _twins(api)
    (f,) = api.ok(api.get("/network/integrity"))["findings"]
    assert api.ok(api.get("/network/integrity", token="other"))["findings"] == []
    refused = api.post("/network/integrity/dismissals", {"key": f["key"], "note": "not mine"}, token="other")
    assert refused.status_code in (403, 404)
    assert api.ok(api.get("/network/integrity"))["open"] == 1
