"""GET /attribution (JSON and files), /attribution/sources/{id}, /attribution/months and
/clients/{id}/credits on both stores."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli import cli
from tests.api.conftest import Api
from tests.cli.test_attribution_cli import url_of


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


def cli_export(api: Api, *args: str) -> bytes:
    """`referrals attribution export` over the same store, its bytes on stdout."""
    result = CliRunner().invoke(
        cli,
        ["--database-url", url_of(api.store), "attribution", "export", "--workspace", api.ws, *args],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_the_statement_file_is_the_clis_bytes(api: Api, fmt: str) -> None:
    seed(api)
    api.store.close_month(api.ws, "2024-05")
    for query, args in (
        ("month=2024-05&model=linear", ["--month", "2024-05", "--model", "linear"]),
        ("month=2024-06&model=geometric", ["--month", "2024-06", "--model", "geometric"]),
        (
            "from=2024-05-01&to=2024-06-30&model=time_decay",
            ["--from", "2024-05-01", "--to", "2024-06-30", "--model", "time_decay"],
        ),
        ("month=2024-05&all_models=true", ["--month", "2024-05", "--all-models"]),
    ):
        resp = api.get(f"/attribution/export?{query}&format={fmt}")
        assert resp.status_code == 200, resp.get_data(as_text=True)
        assert resp.data == cli_export(api, *args, "--format", fmt), query
    resp = api.get(f"/attribution/export?month=2024-05&model=position_based&format={fmt}")
    assert resp.headers["Content-Disposition"] == f'attachment; filename="attribution-2024-05-position-based.{fmt}"'
    ranged = api.get(f"/attribution/export?from=2024-05-01&to=2024-06-30&format={fmt}")
    assert 'filename="attribution-2024-05-01_to_2024-06-30-linear.' in ranged.headers["Content-Disposition"]


def test_statement_file_refusals_name_the_field(api: Api) -> None:
    seed(api)
    for query, field in (
        ("month=2024-05&format=pdf", "format"),
        ("month=2024-05&from=2024-05-01&to=2024-05-31", "month"),
        ("from=2024-05-01", "to"),
        ("", "month"),
        ("month=2024-05&model=magic", "model"),
    ):
        resp = api.get(f"/attribution/export?{query}")
        assert resp.status_code == 422, query
        assert [e["field"] for e in resp.get_json()["errors"]] == [field], query


def test_one_sources_deals_and_credit_per_level(api: Api) -> None:
    ids = seed(api)
    carla = api.client_id("Carla")
    api.ok(api.post("/deals", {"client_id": carla, "amount": "7", "currency": "USD", "closed_on": "2024-05-09"}), 201)
    body = api.ok(api.get(f"/attribution/sources/{ids['ana']}?month=2024-05&model=linear"))
    assert (body["source_type"], body["name"], body["month"]) == ("client", "Ana", "2024-05")
    assert [(x["payer"], x["level"], x["deal_amount"], x["credit"]) for x in body["lines"]] == [
        ("Bruno", 1, "100.01", "50.01")
    ]
    assert body["levels"] == [{"level": 1, "currency": "EUR", "amount": "50.01", "amount_minor": 5001}]
    # the totals are the source's rows of the statement, per currency
    rows = api.ok(api.get("/attribution?month=2024-05&model=linear"))["rows"]
    for source in (ids["ana"], ids["blog"], "(direct)"):
        body = api.ok(api.get(f"/attribution/sources/{source}?month=2024-05&model=linear"))
        want = {r["currency"]: r["amount_minor"] for r in rows if r["source_id"] == source and r["currency"]}
        assert {t["currency"]: t["amount_minor"] for t in body["totals"]} == want, source
        for r in rows:
            if r["source_id"] == source and r["currency"]:
                by_level = {x["level"]: x["amount"] for x in body["levels"] if x["currency"] == r["currency"]}
                assert all(by_level.get(n, r[f"level_{n}"]) == r[f"level_{n}"] for n in range(1, 8))
    blog = api.ok(api.get(f"/attribution/sources/{ids['blog']}?month=2024-05"))
    assert blog["source_type"] == "channel" and [x["level"] for x in blog["levels"]] == [2]
    direct = api.ok(api.get("/attribution/sources/(direct)?month=2024-05"))
    assert direct["source_type"] == "direct" and [x["payer"] for x in direct["lines"]] == ["Carla"]
    assert direct["levels"] == [{"level": None, "currency": "USD", "amount": "7.00", "amount_minor": 700}]
    house = api.ok(api.get("/attribution/sources/(house)?month=2024-05&model=unilevel"))
    assert house["totals"] == [
        {"currency": "EUR", "amount": "90.01", "amount_minor": 9001},
        {"currency": "USD", "amount": "7.00", "amount_minor": 700},
    ]
    assert api.get("/attribution/sources/cl_ghost?month=2024-05").status_code == 404
    assert api.get("/attribution/sources/ch_ghost?month=2024-05").status_code == 404
    assert api.get(f"/attribution/sources/{ids['ana']}?month=2024-05", token="other").status_code == 404


def test_closed_months_are_listed_with_their_checksums(api: Api) -> None:
    seed(api)
    assert api.ok(api.get("/attribution/months")) == {"items": []}
    may = api.store.close_month(api.ws, "2024-05")
    items = api.ok(api.get("/attribution/months"))["items"]
    assert [(m["month"], m["deals"], m["checksum"]) for m in items] == [("2024-05", 1, may.checksum)]
    assert api.ok(api.get("/workspace"))["models"][:3] == [
        {"name": "first_touch", "commission": False},
        {"name": "last_touch", "commission": False},
        {"name": "linear", "commission": False},
    ]
