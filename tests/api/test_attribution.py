"""GET /attribution and /clients/{id}/credits on both stores."""

from __future__ import annotations

from tests.api.conftest import Api


def seed(api: Api) -> dict[str, str]:
    blog = api.ok(api.post("/channels", {"name": "Blog"}), 201)["id"]
    ana, bruno = api.client_id("Ana"), api.client_id("Bruno")
    api.ok(
        api.post(
            "/referrals", {"source_kind": "channel", "source_id": blog, "client_id": ana, "referred_on": "2024-01-01"}
        ),
        201,
    )
    api.ok(api.post("/referrals", {"source_id": ana, "client_id": bruno, "referred_on": "2024-02-01"}), 201)
    api.ok(
        api.post("/deals", {"client_id": bruno, "amount": "100.01", "currency": "EUR", "closed_on": "2024-05-02"}), 201
    )
    api.ok(api.post("/deals", {"client_id": bruno, "amount": "40", "currency": "EUR", "closed_on": "2024-06-02"}), 201)
    return {"blog": blog, "ana": ana, "bruno": bruno}


def test_month_statement(api: Api) -> None:
    ids = seed(api)
    body = api.ok(api.get("/attribution?month=2024-05&model=linear"))
    assert body["month"] == "2024-05" and body["model"] == "linear"
    assert [(r["source_id"], r["amount"], r["level_1"], r["level_2"]) for r in body["rows"]] == [
        (ids["ana"], "50.01", "50.01", "0.00"),
        (ids["blog"], "50.00", "0.00", "50.00"),
    ]
    assert api.get("/attribution?month=2024-13").status_code == 422
    assert api.get("/attribution?month=2024-05&model=magic").status_code == 422
    unilevel = api.ok(api.get("/attribution?month=2024-05&model=unilevel"))["rows"]
    assert {r["source_type"]: r["amount"] for r in unilevel} == {"house": "90.01", "client": "10.00"}


def test_client_credits(api: Api) -> None:
    ids = seed(api)
    body = api.ok(api.get(f"/clients/{ids['ana']}/credits?from=2024-01-01&to=2024-12-31&model=last_touch"))
    assert body["totals"] == [{"currency": "EUR", "amount": "140.01", "amount_minor": 14001}]
    assert [line["level"] for line in body["lines"]] == [1, 1]
    assert api.get(f"/clients/{ids['ana']}/credits?from=2024-12-31&to=2024-01-01").status_code == 422
    assert api.get("/clients/cl_ghost/credits?from=2024-01-01&to=2024-12-31").status_code == 404
    assert api.get(f"/clients/{ids['ana']}/credits?from=2024-01-01&to=2024-12-31", token="other").status_code == 404


def test_closed_month_is_frozen_and_its_deals_refused(api: Api) -> None:
    ids = seed(api)
    before = api.ok(api.get("/attribution?month=2024-05&model=linear"))
    assert before["closed"] is False and before["checksum"] is None
    closed = api.store.close_month(api.ws, "2024-05")
    carla = api.client_id("Carla")
    api.ok(api.put(f"/clients/{ids['ana']}/source", {"source_id": carla, "referred_on": "2023-01-01"}))
    after = api.ok(api.get("/attribution?month=2024-05&model=linear"))
    assert after["closed"] is True and after["checksum"] == closed.checksum
    assert after["rows"] == before["rows"]
    refused = api.post(
        "/deals", {"client_id": ids["bruno"], "amount": "1", "currency": "EUR", "closed_on": "2024-05-09"}
    )
    assert refused.status_code == 409
    assert refused.get_json()["errors"][0]["field"] == "closed_on"
    assert "2024-05 is closed" in refused.get_json()["errors"][0]["reason"]
    june = api.ok(api.get("/attribution?month=2024-06&model=linear"))  # open: follows the graph
    assert {r["source_name"] for r in june["rows"]} == {"Ana", "Carla"}


def test_a_date_range_adds_up_its_months_and_reads_closed_months_frozen(api: Api) -> None:
    ids = seed(api)

    def amounts(body: dict) -> dict[str, str]:
        return {r["source_id"]: r["amount"] for r in body["rows"]}

    both = api.ok(api.get("/attribution?from=2024-05-01&to=2024-06-30"))
    assert both["month"] is None and (both["from"], both["to"]) == ("2024-05-01", "2024-06-30")
    assert amounts(both) == {ids["ana"]: "70.01", ids["blog"]: "70.00"}  # 50.01 + 20, 50 + 20
    assert both["closed_months"] == []
    api.store.close_month(api.ws, "2024-05")
    referral = api.ok(api.get(f"/referrals?client_id={ids['bruno']}"))["items"][0]
    assert api.delete(f"/referrals/{referral['id']}").status_code == 204  # Bruno is nobody's now
    after = api.ok(api.get("/attribution?from=2024-05-01&to=2024-06-30"))
    assert amounts(after)[ids["ana"]] == "50.01"  # May frozen as it was closed; June follows the graph
    assert [m["month"] for m in after["closed_months"]] == ["2024-05"]
    credits = api.ok(api.get(f"/clients/{ids['ana']}/credits?from=2024-05-01&to=2024-06-30"))
    assert [(t["currency"], t["amount_minor"]) for t in credits["totals"]] == [("EUR", 5001)]  # the same frozen May
    assert api.get("/attribution").status_code == 422
    assert api.get("/attribution?month=2024-05&from=2024-05-01&to=2024-05-02").status_code == 422
    assert api.get("/attribution?from=2024-05-02&to=2024-05-01").status_code == 422
