"""`referrals attribution export` on both stores: numbers, formats and repeatability."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from click.testing import CliRunner

from cli import cli
from graph.contract import Store
from graph.neo4j_store import Neo4jStore
from graph.sqlite_store import SqliteStore
from referrals.model import ChannelInput, ClientInput, DealInput, ReferralInput, SourceKind, SourceRef
from referrals.money import Money


def url_of(store: Store) -> str:
    if isinstance(store, SqliteStore):
        return f"sqlite:///{store.path}"
    assert isinstance(store, Neo4jStore)
    return store.uri


@pytest.fixture
def export(store: Store):
    ws = store.create_workspace("books").id
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


def test_first_and_last_touch(export) -> None:
    rows = json.loads(export("--month", "2024-05", "--model", "first_touch", "--format", "json").stdout)
    assert {r["source_name"]: r["amount"] for r in rows} == {"Blog": "1250.00"}
    june = json.loads(export("--month", "2024-06", "--model", "last_touch", "--format", "json").stdout)
    assert [(r["source_name"], r["amount"]) for r in june] == [("Bruno", "1000.00")]


def test_commission_plan_keeps_the_house_line(export) -> None:
    rows = json.loads(export("--month", "2024-05", "--model", "unilevel", "--format", "json").stdout)
    assert sum(r["amount_minor"] for r in rows) == 125000
    assert any(r["source_type"] == "house" for r in rows)
    assert all(r["source_type"] != "channel" for r in rows)


def test_export_is_byte_identical_across_runs(export, tmp_path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    assert export("--month", "2024-05", "--output", str(first)).exit_code == 0
    assert export("--month", "2024-05", "--output", str(second)).exit_code == 0
    assert first.read_bytes() == second.read_bytes() and first.read_bytes().startswith(b"source_type,")


def test_bad_month_and_parameters(export) -> None:
    assert export("--month", "May").exit_code == 1
    assert export("--month", "2024-05", "--ratio", "2").exit_code == 1
    table = export("--month", "2024-05")
    assert table.exit_code == 0 and "linear credits for 2024-05" in table.output
