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
    bad = DEALS + "Ana;12 EUR;USD;2024-05-03;inv-2\n"
    resp = api.post("/imports", body(deals=bad))
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    problem = resp.get_json()
    (err,) = problem["errors"]
    assert err["field"] == "deals.csv:3:amount" and err["reason"] == "'12 EUR': '12 EUR' is in EUR, the row says USD"
    (g,) = problem["groups"]
    assert (g["file"], g["column"], g["rows"], g["count"]) == ("deals.csv", "amount", "3", 1)
    assert api.ok(api.get("/clients"))["items"] == []
    assert api.post("/imports", body(), token="viewer").status_code == 403


def test_a_problem_repeated_on_many_rows_is_one_group(api: Api) -> None:
    rows = "".join(f"C{i},,Nobody\n" for i in range(300))
    resp = api.post("/imports", {"files": [{"name": "c.csv", "content": "name,email,referred by\n" + rows}]})
    assert resp.status_code == 422
    problem = resp.get_json()
    assert len(problem["errors"]) == 300 and problem["detail"].startswith("300 problems of 1 kind")
    (g,) = problem["groups"]
    assert (g["column"], g["rows"], g["count"]) == ("referred_by", "2–301", 300)
    assert [e["row"] for e in g["examples"]] == [2, 3, 4]
    assert g["text"].startswith("c.csv: referred_by no client or channel with this name")
    assert "rows 2–301 (300 rows); e.g. row 2 'Nobody'" in g["text"]


def test_a_spreadsheet_in_base64_with_options(api: Api) -> None:
    import base64
    import io
    from datetime import date

    import openpyxl

    book = openpyxl.Workbook()
    people = book.active
    people.title = "Клиенты"
    people.append(["Имя", "Фамилия", "Почта", "Откуда пришёл", "Размер обуви"])
    people.append(["Анна", "Иванова", "anna@x.ru", None, 38])
    people.append(["Борис", "Петров", None, "anna@x.ru", 44])
    deals = book.create_sheet("Сделки")
    deals.append(["Клиент", "Сумма", "Дата"])
    deals.append(["Борис Петров", "1 250,00 ₽", "15.03.2024"])
    deals.append(["Борис Петров", 99.9, date(2024, 4, 1)])
    buf = io.BytesIO()
    book.save(buf)
    files = [{"name": "list.xlsx", "content_base64": base64.b64encode(buf.getvalue()).decode()}]
    refused = api.post("/imports", {"files": files})  # Борис's recommendation has no date
    groups = refused.get_json()["groups"]
    assert refused.status_code == 422 and [(g["file"], g["column"]) for g in groups] == [
        ("list.xlsx[Сделки]", "currency"),  # 99.9 names no currency; the first row's ₽ does
        ("list.xlsx[Клиенты]", "referred_on"),
    ]
    deals.cell(row=3, column=4, value="RUB")
    deals.cell(row=1, column=4, value="Валюта")
    buf = io.BytesIO()
    book.save(buf)
    files = [{"name": "list.xlsx", "content_base64": base64.b64encode(buf.getvalue()).decode()}]
    done = api.ok(api.post("/imports", {"files": files, "undated": "before-first-deal"}))
    assert done["summary"]["clients"]["created"] == 2 and done["dated"] == {"first deal": 1}
    assert done["warnings"] == [
        "list.xlsx[Клиенты]: 'Размер обуви': not a field: kept in each row's notes;"
        " --map 'Header=field' reads it, --strict refuses"
    ]
    boris = api.ok(api.get("/clients?q=Борис"))["items"][0]
    assert boris["name"] == "Борис Петров" and boris["notes"] == "Размер обуви: 44"
    chain = api.ok(api.get(f"/clients/{boris['id']}/chain"))
    assert chain["steps"][0]["name"] == "Анна Иванова" and chain["steps"][0]["referred_on"] == "2024-03-15"
    paid = sorted(d["amount"] for d in api.ok(api.get(f"/deals?client_id={boris['id']}"))["items"])
    assert paid == ["1250.00", "99.90"]
    both = api.post("/imports", {"files": [{"name": "x.csv", "content": "a", "content_base64": "YQ=="}]})
    assert both.status_code == 422 and both.get_json()["errors"][0]["field"] == "files.0.content"


def test_content_base64_that_is_not_base64_is_named(api: Api) -> None:
    """Non-ASCII text in content_base64 is a 422 naming the field, never a 500."""
    for text in ("Ÿ0", "not base64!", "\u009e\u0b93"):
        r = api.post("/imports", {"files": [{"name": "x.csv", "content_base64": text}]})
        assert r.status_code == 422, (text, r.status_code)
        err = r.get_json()["errors"][0]
        assert err["field"] == "files.0.content_base64" and err["reason"] == "not base64"


def test_imports_are_listed_and_undone(api: Api) -> None:
    done = api.ok(api.post("/imports", body()))
    assert done["batch"].startswith("im_")
    (listed,) = api.ok(api.get("/imports", token="viewer"))["items"]
    assert listed["id"] == done["batch"] and listed["files"] == ["clients.csv", "deals.csv"]
    assert listed["summary"]["clients"] == {"created": 2, "updated": 0} and listed["undone_at"] is None
    ana = api.ok(api.get("/clients?q=Ana"))["items"][0]
    later = api.post(
        "/referrals",
        {
            "source_id": ana["id"],
            "client_id": api.ok(api.post("/clients", {"name": "Cy"}), 201)["id"],
            "referred_on": "2024-03-01",
        },
    )
    assert later.status_code == 201, later.get_json()
    refused = api.post(f"/imports/{done['batch']}/undo")
    assert refused.status_code == 409 and "Cy" in refused.get_json()["errors"][0]["reason"]
    assert api.post(f"/imports/{done['batch']}/undo", token="viewer").status_code == 403
    assert api.delete(f"/referrals/{later.get_json()['id']}").status_code == 204
    undone = api.ok(api.post(f"/imports/{done['batch']}/undo"))
    assert undone["removed"] == {"channels": 0, "clients": 2, "referrals": 1, "deals": 1}
    assert sorted(c["name"] for c in api.ok(api.get("/clients"))["items"]) == ["Cy"]
    assert api.ok(api.get("/imports"))["items"][0]["undone_at"] is not None
    assert api.post(f"/imports/{done['batch']}/undo").status_code == 409
    assert api.post("/imports/im_00000000000000000000000000/undo").status_code == 404
    assert api.ok(api.post("/imports", body()))["written"] == 4  # the same files redo it
