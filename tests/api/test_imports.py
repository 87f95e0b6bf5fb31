"""POST /api/v1/imports on both stores: the same rules as the command line."""

from __future__ import annotations

from tests.api.conftest import Api

CLIENTS = "name,email,referred by,referred on\nAna,ana@x.org,,\nBruno,,ana@x.org,2024-02-01\n"
DEALS = "client;amount;currency;date;invoice\nBruno;10.50;EUR;2024-05-02;inv-1\n"


def body(dry_run: bool = False, deals: str = DEALS) -> dict:
    files = [{"name": "clients.csv", "content": CLIENTS}, {"name": "deals.csv", "content": deals}]
    return {"files": files, "dry_run": dry_run}


def test_dry_run_then_import_then_rerun(api: Api) -> None:
    dry = api.ok(api.post("/imports", body(dry_run=True)))
    assert dry["dry_run"] is True and dry["written"] == 0 and dry["summary"]["clients"]["created"] == 2
    assert api.ok(api.get("/clients"))["items"] == []
    done = api.ok(api.post("/imports", body()))
    assert done["written"] == 4 and done["summary"]["referrals"]["created"] == 1
    names = sorted(c["name"] for c in api.ok(api.get("/clients"))["items"])
    assert names == ["Ana", "Bruno"]
    again = api.ok(api.post("/imports", body()))
    assert again["written"] == 0 and again["summary"]["deals"]["unchanged"] == 1


def test_one_bad_row_writes_nothing_and_is_named(api: Api) -> None:
    bad = DEALS + "Ana;1,234.50;EUR;2024-05-03;inv-2\n"
    resp = api.post("/imports", body(deals=bad))
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    (err,) = resp.get_json()["errors"]
    assert err["field"] == "deals.csv:3:amount" and "thousands separators" in err["reason"]
    assert api.ok(api.get("/clients"))["items"] == []
    assert api.post("/imports", body(), token="viewer").status_code == 403
