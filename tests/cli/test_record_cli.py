"""Recording from the terminal: clients, channels, recommendations and deals, by name as people say them."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from graph.sqlite import SqliteStore
from referrals.model import ClientQuery, DealQuery


@pytest.fixture
def run(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/r.db"

    def invoke(*args: str):
        return CliRunner().invoke(cli, ["--database-url", url, *args])

    assert invoke("workspace", "create", "Design Studio").exit_code == 0
    return invoke


def test_a_network_recorded_from_the_terminal_alone(run, tmp_path: Path) -> None:
    assert run("channel", "add", "Telegram", "--kind", "SOCIAL").exit_code == 0  # choices ignore case
    ana = run("client", "add", "Ana Lima", "--phone", "8 916 123-45-67", "--tag", "vip", "--acquired-on", "01.02.2025")
    assert ana.exit_code == 0 and ana.stdout.startswith("cl_")
    assert run("client", "add", "Bruno Costa", "--email", "bruno@example.com").exit_code == 0
    first = run("refer", "telegram", "ana lima", "--on", "01.02.2025")
    assert first.exit_code == 0 and "Telegram → Ana Lima\tprimary source" in first.stdout
    second = run("refer", "+7 916 123 45 67", "bruno@example.com", "--on", "2025-03-02")  # by phone and email
    assert second.exit_code == 0 and "Ana Lima → Bruno Costa" in second.stdout
    paid = run("deal", "add", "Ana Lima", "15 000", "--currency", "rub", "--on", "05.03.2025")
    assert paid.exit_code == 0 and "15000.00 RUB\t2025-03-05" in paid.stdout
    again = run("deal", "add", "Bruno Costa", "99.90")  # the workspace's usual currency, today
    assert again.exit_code == 0 and f"99.90 RUB\t{date.today().isoformat()}" in again.stdout
    assert run("client", "edit", "Bruno Costa", "--status", "Inactive").exit_code == 0
    listed = run("client", "list", "--search", "lima")
    assert "Ana Lima" in listed.stdout and "+79161234567" in listed.stdout and "Bruno" not in listed.stdout
    assert "Telegram\tsocial" in run("channel", "list").stdout
    store = SqliteStore(tmp_path / "r.db")
    ws = store.find_workspace("Design Studio").id
    people = {c.name: c for c in store.list_clients(ws, ClientQuery()).items}
    assert people["Bruno Costa"].status.value == "inactive" and people["Ana Lima"].acquired_on == date(2025, 2, 1)
    assert [s.name for s in store.chain(ws, people["Bruno Costa"].id).steps] == ["Ana Lima", "Telegram"]
    deals = store.list_deals(ws, DealQuery()).items
    assert sorted(d.amount.minor for d in deals) == [9990, 1500000]
    store.close()


def test_near_misses_get_a_suggestion_and_bad_values_name_their_field(run) -> None:
    run("client", "add", "Ana Lima")
    run("client", "add", "Bruno Costa")
    first_name = run("refer", "Ana", "Bruno Costa")
    assert first_name.exit_code == 3 and "did you mean 'Ana Lima'?" in first_name.stderr
    typo = run("deal", "add", "Bruno Cotsa", "10", "--currency", "EUR")
    assert typo.exit_code == 3 and "did you mean 'Bruno Costa'?" in typo.stderr
    assert "did you mean" not in run("deal", "add", "Zed", "10", "--currency", "EUR").stderr
    no_currency = run("deal", "add", "Ana Lima", "10")
    assert no_currency.exit_code == 1 and "currency" in no_currency.stderr
    comma = run("deal", "add", "Ana Lima", "10,50", "--currency", "EUR")
    assert comma.exit_code == 1 and "amount" in comma.stderr
    bad_day = run("refer", "Ana Lima", "Bruno Costa", "--on", "31.02.2025")
    assert bad_day.exit_code == 1 and "on: '31.02.2025' is not a date" in bad_day.stderr
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    future = run("refer", "Ana Lima", "Bruno Costa", "--on", tomorrow)
    assert future.exit_code == 1 and "is in the future" in future.stderr
    ring = run("refer", "Ana Lima", "Bruno Costa")
    assert ring.exit_code == 0
    back = run("refer", "Bruno Costa", "Ana Lima")
    assert back.exit_code == 4 and "Ana Lima (cl_" in back.stderr and "Bruno Costa (cl_" in back.stderr
    assert run("client", "edit", "Ana Lima").exit_code == 1  # nothing to change
