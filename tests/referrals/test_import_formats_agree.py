"""Property: one table written as CSV (day-first dates, grouped amounts with ₽/€), as XLSX (typed number and
date cells) and as JSON (ISO text) imports into the same store content, and importing it again changes nothing."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from datetime import date, timedelta
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.sqlite import SqliteStore
from referrals.importing import Parsed, plan_files, read_file
from referrals.model import DealQuery
from referrals.money import format_amount
from referrals.usecases.transfer import backup

NAMES = ["Анна", "Борис", "Вера", "Глеб", "Ana", "Bruno", "Carla", "Dora", "Ёжик", "Zoë"]
START = date(2023, 1, 1)
SYMBOL = {"RUB": "₽", "EUR": "€"}


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[dict], list[dict]]:
    n = draw(st.integers(1, 8))
    clients = []
    for i in range(n):
        client = {
            "name": f"{NAMES[i % len(NAMES)]} {i}",
            "email": draw(st.one_of(st.none(), st.just(f"c{i}@example.org"))),
            "phone": draw(st.one_of(st.none(), st.just(f"+7 916 000-00-{i:02d}"))),
            "tags": draw(st.lists(st.sampled_from(["vip", "опт", "b2b"]), max_size=2, unique=True)),
            "acquired_on": START + timedelta(days=draw(st.integers(0, 500))),
            "referred_by": None,
        }
        if i and draw(st.booleans()):
            client["referred_by"] = clients[draw(st.integers(0, i - 1))]["name"]
        clients.append(client)
    deals = [
        {
            "client": clients[draw(st.integers(0, n - 1))]["name"],
            "amount": draw(st.integers(-50_000, 10**9)),
            "currency": draw(st.sampled_from(["RUB", "EUR"])),
            "closed_on": START + timedelta(days=draw(st.integers(0, 600))),
            "title": f"invoice {j}",
        }
        for j in range(draw(st.integers(0, 6)))
    ]
    return clients, deals


def grouped(minor: int, currency: str) -> str:
    """1234567.89 as "1 234 567,89 ₽" (spaces between thousands, a decimal comma, the symbol after)."""
    text = format_amount(abs(minor), currency)
    whole, _, cents = text.partition(".")
    spaced = f"{int(whole):,}".replace(",", "\u00a0")
    return f"{'-' if minor < 0 else ''}{spaced},{cents} {SYMBOL[currency]}"


def as_csv(clients: list[dict], deals: list[dict]) -> list[tuple[str, bytes]]:
    out = io.StringIO()
    w = csv.writer(out, delimiter=";")
    w.writerow(["Имя", "Почта", "Телефон", "Теги", "Клиент с", "Кто порекомендовал"])
    for c in clients:
        w.writerow(
            [
                c["name"],
                c["email"] or "",
                c["phone"] or "",
                "|".join(c["tags"]),
                c["acquired_on"].strftime("%d.%m.%Y"),
                c["referred_by"] or "",
            ]
        )
    d = io.StringIO()
    w = csv.writer(d)
    w.writerow(["Клиент", "Сумма", "Дата", "Название"])
    for deal in deals:
        w.writerow(
            [
                deal["client"],
                grouped(deal["amount"], deal["currency"]),
                deal["closed_on"].strftime("%d.%m.%Y"),
                deal["title"],
            ]
        )
    return [("clients.csv", out.getvalue().encode()), ("deals.csv", d.getvalue().encode())]


def as_xlsx(clients: list[dict], deals: list[dict]) -> list[tuple[str, bytes]]:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Clients"
    sheet.append(["Name", "E-mail", "Phone", "Tags", "Client since", "Referred by"])
    for c in clients:
        sheet.append(
            [c["name"], c["email"], c["phone"], ";".join(c["tags"]) or None, c["acquired_on"], c["referred_by"]]
        )
    sheet = book.create_sheet("Deals")
    sheet.append(["Client", "Amount", "Currency", "Date", "Title"])
    for deal in deals:
        # a typed number cell: the shortest decimal that is the double, as the spreadsheet shows it
        sheet.append(
            [
                deal["client"],
                float(format_amount(deal["amount"], deal["currency"])),
                deal["currency"],
                deal["closed_on"],
                deal["title"],
            ]
        )
    buf = io.BytesIO()
    book.save(buf)
    return [("network.xlsx", buf.getvalue())]


def as_json(clients: list[dict], deals: list[dict]) -> list[tuple[str, bytes]]:
    doc = {
        "clients": [
            {
                "name": c["name"],
                "email": c["email"],
                "phone": c["phone"],
                "tags": c["tags"],
                "acquired_on": c["acquired_on"].isoformat(),
                "referred_by": c["referred_by"],
            }
            for c in clients
        ],
        "deals": [
            {
                "client": d["client"],
                "amount": format_amount(d["amount"], d["currency"]),
                "currency": d["currency"],
                "closed_on": d["closed_on"].isoformat(),
                "title": d["title"],
            }
            for d in deals
        ],
    }
    return [("network.json", json.dumps(doc, ensure_ascii=False).encode())]


def content(store: SqliteStore, ws: str) -> tuple:
    """What a workspace holds, without ids and times."""
    snap = store.snapshot(ws)
    names = {c.id: c.name for c in snap.clients}
    clients = sorted((c.name, c.email, c.phone, c.tags, c.acquired_on, c.notes) for c in snap.clients)
    refs = sorted((names[r.source.id], names[r.client_id], r.referred_on, r.primary) for r in snap.referrals)
    deals = sorted(
        (names[d.client_id], d.amount.minor, d.amount.currency, d.closed_on, d.title)
        for d in store.list_deals(ws, DealQuery(limit=500)).items
    )
    return clients, refs, deals


def imported(store: SqliteStore, ws: str, files: list[tuple[str, bytes]]) -> int:
    parsed = Parsed()
    for name, data in files:
        parsed.add(read_file(name, data))
    changes = store.run_import(ws, lambda view: plan_files(parsed, view))
    assert changes.problems == [], [str(p) for p in changes.problems]
    return changes.writes


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_csv_xlsx_and_json_of_one_table_import_alike_and_once(table: tuple[list[dict], list[dict]]) -> None:
    clients, deals = table
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(str(Path(tmp) / "agree.db"))
        try:
            store.init_schema()
            got = []
            for name, write in (("csv", as_csv), ("xlsx", as_xlsx), ("json", as_json)):
                ws = store.create_workspace(name).id
                files = write(clients, deals)
                assert imported(store, ws, files) > 0
                got.append(content(store, ws))
                assert imported(store, ws, files) == 0  # again: nothing to write
                assert content(store, ws) == got[-1]
            assert got[0] == got[1] == got[2]
            expected_refs = sum(1 for c in clients if c["referred_by"])
            assert len(got[0][1]) == expected_refs and len(got[0][2]) == len(
                {(d["client"], d["closed_on"], d["amount"], d["currency"], d["title"]) for d in deals}
            )
        finally:
            store.close()


def backup_bytes(store: SqliteStore, ws: str) -> bytes:
    out = io.BytesIO()
    backup(store, ws, out)
    return out.getvalue()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.sampled_from([as_csv, as_xlsx, as_json]))
def test_import_then_undo_gives_back_the_exact_backup(table: tuple[list[dict], list[dict]], write) -> None:
    """Half the clients are known already (by name and email, without phone, tags or recommender);
    importing the whole table fills them in and adds the rest, and undoing that import gives back the
    backup of before, byte for byte."""
    clients, deals = table
    known = [{**c, "phone": None, "tags": [], "referred_by": None} for c in clients[: len(clients) // 2]]
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(str(Path(tmp) / "undo.db"))
        try:
            store.init_schema()
            ws = store.create_workspace("undo").id
            if known:
                imported(store, ws, as_json(known, []))
            before = backup_bytes(store, ws)
            parsed = Parsed()
            for name, data in write(clients, deals):
                parsed.add(read_file(name, data))
            changes = store.run_import(ws, lambda view: plan_files(parsed, view))
            assert changes.problems == [] and changes.batch
            after = content(store, ws)
            store.undo_import(ws, changes.batch)
            assert backup_bytes(store, ws) == before
            imported(store, ws, write(clients, deals))  # the same files redo it
            assert content(store, ws) == after
        finally:
            store.close()
