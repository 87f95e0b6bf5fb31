"""`referrals attribution export` on both stores: numbers, formats and repeatability."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import select
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from graph.neo4j import Neo4jStore
from graph.sqlite import SqliteStore
from referrals import clock
from referrals.errors import Conflict
from referrals.model import ChannelInput, ClientInput, ClientQuery, DealInput, ReferralInput, SourceKind, SourceRef
from referrals.money import Money
from referrals.store import Store
from tests.conftest import unique


def url_of(store: Store) -> str:
    if isinstance(store, SqliteStore):
        return f"sqlite:///{store.path}"
    assert isinstance(store, Neo4jStore)
    return store.uri


@pytest.fixture
def export(store: Store):
    ws = store.create_workspace(unique("books")).id
    blog = store.create_channel(ws, ChannelInput(name="Blog"))
    a, b, c = (store.create_client(ws, ClientInput(name=n)) for n in ("Ana", "Bruno", "Carla"))
    store.add_referrals(
        ws,
        [
            ReferralInput(SourceRef(SourceKind.CHANNEL, blog.id), a.id, date(2024, 1, 1)),
            ReferralInput(SourceRef(SourceKind.CLIENT, a.id), b.id, date(2024, 2, 1)),
            ReferralInput(SourceRef(SourceKind.CLIENT, b.id), c.id, date(2024, 5, 20)),
        ],
    )
    for who, amount, on in (
        (c, "999.99", "2024-05-21"),
        (c, "-99.99", "2024-05-30"),
        (b, "300", "2024-05-02"),
        (a, "50", "2024-05-03"),
        (c, "1000", "2024-06-01"),
    ):
        store.create_deal(ws, DealInput(who.id, Money.parse(amount, "EUR"), date.fromisoformat(on)))

    def run(*args: str):
        return CliRunner().invoke(
            cli,
            ["--database-url", url_of(store), "attribution", "export", "--workspace", ws, *args],
            catch_exceptions=False,
        )

    return run


def test_linear_month_export(export) -> None:
    out = export("--month", "2024-05", "--model", "linear", "--format", "csv")
    assert out.exit_code == 0, out.output
    rows = {r["source_name"]: r for r in csv.DictReader(io.StringIO(out.stdout))}
    # Carla's 900.00 net over Bruno, Ana, Blog (300.00 each); Bruno's 300 over Ana, Blog; Ana's 50 to Blog
    assert rows["Bruno"]["amount"] == "300.00" and rows["Bruno"]["level_1"] == "300.00"
    assert rows["Ana"]["amount"] == "450.00" and rows["Ana"]["level_2"] == "300.00"
    assert rows["Blog"]["amount"] == "500.00" and rows["Blog"]["deals"] == "4"
    assert sum(int(r["amount_minor"]) for r in rows.values()) == 125000
    # Carla came in on 2024-05-20 (recommended by Bruno, below Ana, below Blog)
    counts = {name: (r["new_clients_level_1"], r["new_clients"]) for name, r in rows.items()}
    assert counts == {"Bruno": ("1", "1"), "Ana": ("0", "1"), "Blog": ("0", "1")}
    june = {
        r["source_name"]: r for r in csv.DictReader(io.StringIO(export("--month", "2024-06", "--format", "csv").stdout))
    }
    assert {name: r["new_clients"] for name, r in june.items()} == {"Bruno": "0", "Ana": "0", "Blog": "0"}


def test_first_and_last_touch(export) -> None:
    rows = json.loads(export("--month", "2024-05", "--model", "first_touch", "--format", "json").stdout)
    assert {r["source_name"]: r["amount"] for r in rows if r["currency"]} == {"Blog": "1250.00"}
    # Ana and Bruno earned nothing under first_touch but brought Carla in: rows that only count
    assert [(r["source_name"], r["currency"], r["amount"]) for r in rows if not r["currency"]] == [
        ("Ana", None, "0"),  # ties in new clients go by source id: Ana was recorded first
        ("Bruno", None, "0"),
    ]
    june = json.loads(export("--month", "2024-06", "--model", "last_touch", "--format", "json").stdout)
    assert [(r["source_name"], r["amount"]) for r in june] == [("Bruno", "1000.00")]


def test_commission_plan_keeps_the_house_line(export) -> None:
    rows = json.loads(export("--month", "2024-05", "--model", "unilevel", "--format", "json").stdout)
    assert sum(r["amount_minor"] for r in rows) == 125000
    assert any(r["source_type"] == "house" for r in rows)
    assert all(r["amount_minor"] == 0 and r["currency"] is None for r in rows if r["source_type"] == "channel")


def test_export_is_byte_identical_across_runs(export, tmp_path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    assert export("--month", "2024-05", "--output", str(first)).exit_code == 0
    assert export("--month", "2024-05", "--output", str(second)).exit_code == 0
    assert first.read_bytes() == second.read_bytes() and first.read_bytes().startswith(b"source_type,")


def test_bad_month_and_parameters(export) -> None:
    assert export("--month", "May").exit_code == 1
    assert export("--month", "2024-05", "--ratio", "2").exit_code == 1
    table = export("--month", "2024-05")
    assert table.exit_code == 0 and "linear 2024-05" in table.output and "Bruno" in table.output
    assert export("--month", "2024-05", "--format", "pdf").exit_code == 2


def test_xlsx_is_a_statement_an_accountant_can_open(export, tmp_path) -> None:
    import time

    from openpyxl import load_workbook

    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert export("--month", "2024-05", "--output", str(first)).exit_code == 0
    time.sleep(2.1)  # zip entries keep time to two seconds: a clock in the file would show here
    assert export("--month", "2024-05", "--format", "xlsx", "--output", str(second)).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    book = load_workbook(first)
    assert book.sheetnames == ["EUR", "New clients", "Deals", "Parameters"]
    eur = book["EUR"]
    head = [c.value for c in eur[1]]
    assert head[:4] == ["Source", "Type", "Credit (EUR)", "Deals"] and "Level 1" in head and "Above level 7" in head
    body = list(eur.iter_rows(2, values_only=True))
    rows = {r[0]: dict(zip(head, r, strict=True)) for r in body[:-1]}
    assert rows["Ana"]["Credit (EUR)"] == 450 and rows["Ana"]["Type"] == "Client" and rows["Blog"]["Deals"] == 4
    assert eur.cell(2, 3).number_format == '#,##0.00 "EUR"' and eur.freeze_panes == "A2"
    assert eur.auto_filter.ref == f"A1:{eur.cell(1, len(head)).column_letter}{len(body)}"
    csv_total = sum(
        Decimal(r["amount"])
        for r in csv.DictReader(io.StringIO(export("--month", "2024-05", "--format", "csv").stdout))
    )
    total = body[-1]
    assert total[0] == "Total" and Decimal(str(total[2])) == csv_total == Decimal(
        "1250.00"
    )  # 999.99 - 99.99 + 300 + 50
    deals = list(book["Deals"].iter_rows(2, values_only=True))
    assert sum(Decimal(str(r[8])) for r in deals) == csv_total  # the deal lines add up to the statement
    assert {r[2] for r in deals} == {"Ana", "Bruno", "Carla"} and {r[5] for r in deals} == {"linear"}
    assert sorted({r[0]: r[3] for r in deals}.values()) == [-99.99, 50, 300, 999.99]
    new_clients = list(book["New clients"].iter_rows(2, values_only=True))
    assert new_clients[-1][:3] == ("Total new clients", None, 1)  # Carla came in in May
    params = dict(book["Parameters"].iter_rows(2, values_only=True))
    assert params["Model"] == "linear" and params["Credit depth (levels)"] == 7 and params["Period"] == "2024-05"
    assert params["Numbers from"].startswith("the current graph")
    assert book.properties.title == "Attribution statement 2024-05 (linear)"
    assert book.properties.created.date() == date(2024, 5, 31)  # the data's date, not the export's


def test_all_models_side_by_side(export) -> None:
    out = export("--month", "2024-05", "--all-models", "--format", "csv")
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert list(rows[0])[6:] == [
        "first_touch",
        "last_touch",
        "linear",
        "position_based",
        "time_decay",
        "geometric",
        "unilevel",
        "unilevel_compressed",
    ]
    by_name = {r["source_name"]: r for r in rows}
    linear = {
        r["source_name"]: r["amount"]
        for r in csv.DictReader(io.StringIO(export("--month", "2024-05", "--format", "csv").stdout))
    }
    assert {name: r["linear"] for name, r in by_name.items() if name != "(house)"} == linear
    assert by_name["Blog"]["first_touch"] == "1250.00" and by_name["Blog"]["unilevel"] == "0.00"
    assert by_name["(house)"]["linear"] == "0.00" and by_name["(house)"]["unilevel"] != "0.00"
    for model in ("first_touch", "linear", "position_based", "time_decay", "geometric"):
        assert sum(float(r[model]) for r in rows) == pytest.approx(1250.00)
    table = export("--month", "2024-05", "--all-models")
    assert table.exit_code == 0 and "compressed" in table.output and "1,250.00" in table.output


def test_closed_month_export_never_changes(export, store: Store, tmp_path) -> None:
    ws = store.list_workspaces()[-1].id
    before = export("--month", "2024-05", "--format", "json").stdout

    def run(*args: str):
        return CliRunner().invoke(cli, ["--database-url", url_of(store), "attribution", *args, "--workspace", ws])

    closed = run("close", "--month", "2024-05")
    assert closed.exit_code == 0, closed.output
    assert "closed 2024-05: 4 deals, 1 new client, sha256:" in closed.output
    assert run("close", "--month", "2024-05").exit_code == 4  # already closed
    running = run("close", "--month", clock.earliest_today().strftime("%Y-%m"))
    assert running.exit_code == 1 and "is not over yet" in running.stderr  # today's deals stay open
    people = {c.name: c for c in store.list_clients(ws, ClientQuery()).items}
    dora = store.create_client(ws, ClientInput(name="Dora"))
    store.reattribute(ws, ReferralInput(SourceRef(SourceKind.CLIENT, dora.id), people["Ana"].id, date(2023, 1, 1)))
    assert export("--month", "2024-05", "--format", "json").stdout == before
    with pytest.raises(Conflict):
        store.create_deal(ws, DealInput(people["Carla"].id, Money(5, "EUR"), date(2024, 5, 5)))
    listing = run("months")
    assert listing.exit_code == 0 and "2024-05" in listing.output
    assert run("reopen", "--month", "2024-05").exit_code == 0
    assert export("--month", "2024-05", "--format", "json").stdout != before  # Dora now tops the chain
    assert run("reopen", "--month", "2024-05").exit_code == 3


def test_a_workbook_never_lands_in_a_csv_file_nor_on_a_terminal(export, store: Store, tmp_path) -> None:
    wrong = tmp_path / "may.csv"
    out = export("--month", "2024-05", "--format", "xlsx", "--output", str(wrong))
    assert out.exit_code == 1 and "names a csv file" in out.stderr and not wrong.exists()
    right = tmp_path / "may.xlsx"
    assert export("--month", "2024-05", "--output", str(right)).exit_code == 0  # the suffix picks xlsx
    assert right.read_bytes()[:2] == b"PK"
    # on a terminal: refused with what to do, and no binary bytes written to it
    ws = store.list_workspaces()[-1].id
    primary, replica = pty.openpty()
    referrals = str(Path(sys.executable).parent / "referrals")
    done = subprocess.run(
        [referrals, "--database-url", url_of(store), "attribution", "export", "--workspace", ws]
        + ["--month", "2024-05", "--format", "xlsx"],
        stdout=replica,
        stderr=subprocess.PIPE,
        timeout=60,
        check=False,
    )
    os.close(replica)
    try:
        shown = os.read(primary, 4096) if select.select([primary], [], [], 0.5)[0] else b""
    except OSError:  # EIO: the terminal was closed with nothing written to it
        shown = b""
    os.close(primary)
    assert done.returncode == 1 and b"give --output FILE.xlsx" in done.stderr and b"PK" not in shown


def _credits(text: str) -> dict[tuple[str, str], Decimal]:
    return {(r["source_name"], r["currency"]): Decimal(r["amount"]) for r in csv.DictReader(io.StringIO(text))}


def test_a_date_range_adds_up_its_months_and_keeps_closed_ones_frozen(store: Store) -> None:
    ws = store.create_workspace(unique("range")).id
    blog = store.create_channel(ws, ChannelInput(name="Blog"))
    ana, bo = (store.create_client(ws, ClientInput(name=n)) for n in ("Ana", "Bo"))
    store.record_referral(ws, ReferralInput(SourceRef(SourceKind.CHANNEL, blog.id), ana.id, date(2024, 1, 1)))
    ref = store.record_referral(ws, ReferralInput(SourceRef(SourceKind.CLIENT, ana.id), bo.id, date(2024, 2, 1)))
    for amount, on in (("100", "2024-03-10"), ("40", "2024-03-31"), ("60", "2024-04-01"), ("7", "2024-04-20")):
        store.create_deal(ws, DealInput(bo.id, Money.parse(amount, "EUR"), date.fromisoformat(on)))

    def invoke(*args: str):
        return CliRunner().invoke(cli, ["--database-url", url_of(store), "attribution", "export", "-w", ws, *args])

    def run(*args: str) -> str:
        out = invoke("--format", "csv", *args)
        assert out.exit_code == 0, out.output
        return out.stdout

    def added(*texts: str) -> dict[tuple[str, str], Decimal]:
        total: dict[tuple[str, str], Decimal] = {}
        for text in texts:
            for key, amount in _credits(text).items():
                total[key] = total.get(key, Decimal(0)) + amount
        return total

    march, april = run("--month", "2024-03"), run("--month", "2024-04")
    assert _credits(run("--from", "2024-03-01", "--to", "2024-04-30")) == added(march, april)
    assert _credits(run("--from", "2024-03-31", "--to", "2024-04-01")) == {
        ("Ana", "EUR"): Decimal("50.00"),
        ("Blog", "EUR"): Decimal("50.00"),
    }
    store.close_month(ws, "2024-03")  # frozen: Ana shares March's credit with the blog
    store.delete_referral(ws, ref.id)  # the graph changes: Bo is nobody's now
    assert _credits(run("--from", "2024-03-01", "--to", "2024-04-30")) == added(march, run("--month", "2024-04"))
    assert ("Ana", "EUR") in _credits(run("--from", "2024-03-15", "--to", "2024-04-30"))  # March 31 stays frozen
    bad = CliRunner().invoke(
        cli,
        [
            "--database-url",
            url_of(store),
            "attribution",
            "export",
            "-w",
            ws,
            "--from",
            "2024-05-02",
            "--to",
            "2024-05-01",
        ],
    )
    assert bad.exit_code == 1 and "before the first day of the range" in bad.stderr
    both = CliRunner().invoke(
        cli,
        [
            "--database-url",
            url_of(store),
            "attribution",
            "export",
            "-w",
            ws,
            "--month",
            "2024-03",
            "--from",
            "2024-03-01",
            "--to",
            "2024-03-02",
        ],
    )
    assert both.exit_code == 1 and "not both" in both.stderr


def test_a_source_statement_adds_up_to_its_rows_of_the_export(export, store: Store, tmp_path) -> None:
    from openpyxl import load_workbook

    ws = store.list_workspaces()[-1].id
    rows = list(csv.DictReader(io.StringIO(export("--month", "2024-05", "--format", "csv").stdout)))
    ana = {r["currency"]: Decimal(r["amount"]) for r in rows if r["source_name"] == "Ana"}

    def statement(*args: str):
        return CliRunner().invoke(
            cli, ["--database-url", url_of(store), "attribution", "statement", "-w", ws, *args], catch_exceptions=False
        )

    shown = statement("Ana", "--month", "2024-05")
    assert shown.exit_code == 0 and "total" in shown.stdout and f"€{ana['EUR']:,.2f}" in shown.stdout
    page = tmp_path / "ana.html"
    assert statement("Ana", "--month", "2024-05", "-o", str(page)).exit_code == 0
    html = page.read_text()
    assert "Referral credits for Ana" in html and f"€{ana['EUR']:,.2f}" in html and "Carla" in html
    book = tmp_path / "ana.xlsx"
    assert statement("Ana", "--month", "2024-05", "--format", "xlsx", "-o", str(book)).exit_code == 0
    sheet = load_workbook(book)["Statement"]
    lines = [r for r in sheet.iter_rows(5, values_only=True) if r[0] is not None]
    total = next(r for r in lines if r[0] == "Total")
    assert Decimal(str(total[6])) == ana["EUR"]
    assert sum(Decimal(str(r[6])) for r in lines if r[0] != "Total" and r[4] == "EUR") == ana["EUR"]
    assert statement("Ana", "--month", "2024-05", "-o", str(tmp_path / "ana.pdf")).exit_code == 1
    nobody = statement("Blog", "--month", "2023-01")
    assert nobody.exit_code == 0 and "credited nothing" in nobody.stdout


def test_a_statement_page_escapes_every_name() -> None:
    from datetime import date as _date

    from referrals.attribution import DealFacts, Model, Params, PeriodFacts, Step
    from referrals.source_statement import source_statement, to_html

    evil = Step(SourceRef(SourceKind.CLIENT, "cl_x"), "<script>alert(1)</script> & Co", _date(2024, 1, 1), True)
    facts = PeriodFacts(
        _date(2024, 6, 1), _date(2024, 6, 30), ((DealFacts("dl_1", "cl_p", 1000, "EUR", _date(2024, 6, 2)), (evil,)),)
    )
    page = to_html(
        source_statement(
            facts, evil.source, evil.name, Model.LINEAR, Params(), "2024-06", payers={"cl_p": '"Pay" <er>'}
        )
    ).decode()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page
    assert "&#34;Pay&#34; &lt;er&gt;" in page and "€10.00" in page
