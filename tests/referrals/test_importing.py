"""Reading CSV/JSON files and planning an import: every bad file gets a clear report line, none crashes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from referrals.importing import Changes, Parsed, View, cell_amount, plan, read_file

TODAY = date(2024, 6, 30)
NOW = datetime(2024, 6, 30, 12, tzinfo=UTC)
EMPTY = View((), (), (), ())


def run(*files: tuple[str, bytes], view: View = EMPTY) -> tuple[Parsed, Changes]:
    parsed = Parsed()
    for name, data in files:
        one = read_file(name, data)
        parsed.rows += one.rows
        parsed.problems += one.problems
    return parsed, plan(parsed.rows, view, TODAY, NOW)


def lines(parsed: Parsed, changes: Changes) -> list[tuple[str, int, str, str, str]]:
    return [(p.file, p.row, p.column, p.value, p.reason) for p in parsed.problems + changes.problems]


def test_a_spreadsheet_with_bom_semicolons_and_aliases() -> None:
    data = (
        "\ufeffFull Name;E-Mail;Recommended by;Client since\nAna;ana@x.org;;2024-01-02\nBruno;;ana@x.org;2024-02-01\n"
    )
    parsed, changes = run(("clients.csv", data.encode()))
    assert lines(parsed, changes) == []
    assert [c.name for c in changes.new_clients] == ["Ana", "Bruno"]
    (ref,) = changes.new_referrals
    assert ref.primary and ref.referred_on == date(2024, 2, 1)  # referred_on defaults to client since
    assert changes.summary["clients"]["created"] == 2 and changes.summary["referrals"]["created"] == 1


def test_a_phone_column_in_russian_or_english_is_read_as_e164() -> None:
    data = "Name,Телефон\nАнна,8 916 123-45-67\nБорис,+44 20 7946 0958\nВера,позвоните мне\n"
    parsed, changes = run(("contacts.csv", data.encode()))
    assert [(c.name, c.phone) for c in changes.new_clients] == [("Анна", "+79161234567"), ("Борис", "+442079460958")]
    assert [(row, column) for _, row, column, _, _ in lines(parsed, changes)] == [(4, "phone")]


def test_bad_files_each_get_a_clear_line() -> None:
    latin1 = "name,email\nJosé,jose@x.org\n".encode("latin-1")
    parsed, changes = run(("latin1.csv", latin1))
    ((file, row, column, _, reason),) = lines(parsed, changes)
    assert (file, row, column) == ("latin1.csv", 2, "(file)") and "not valid utf-8" in reason and "--encoding" in reason

    clients = (
        "name,email,referred by,referred on\n"
        "Ana,ana@x.org,Bruno,2024-01-01\n"
        "Bruno,bruno@x.org,Ana,2024-01-02\n"  # with the row above: a cycle inside the file
        "Carla,,Zed,2024-01-03\n"  # nobody called Zed
        "Dora,dora@x.org,,\n"
        "Dora again,dora@x.org,,\n"  # the same email twice
        "Eve,,Ana,2031-01-01\n"  # a date in the future
    )
    deals = (
        "client,amount,currency,date\n"
        'Ana,"1,234.50",EUR,2024-05-01\n'
        'Ana,"12.345,00",EUR,2024-05-01\n'
        "Ana,12.50,EUR,2024-05-01\n"
        "Ana,12.50,EUR,2024-05-01\n"  # a duplicate row
        "Ana,5,XYZ,2024-05-01\n"
        "Ana,5,EUR,31/05/2024\n"
        "Nobody,5,EUR,2024-05-01\n"
    )
    parsed, changes = run(("clients.csv", clients.encode()), ("deals.csv", deals.encode()))
    got = {(f, r, c): reason for f, r, c, _, reason in lines(parsed, changes)}
    assert "would close a cycle" in got[("clients.csv", 3, "referred_by")]
    assert "no client or channel" in got[("clients.csv", 4, "referred_by")]
    assert got[("clients.csv", 6, "email")] == "repeats row 5"
    assert "in the future" in got[("clients.csv", 7, "referred_on")]
    assert "thousands separators" in got[("deals.csv", 2, "amount")]
    assert "thousands separators" in got[("deals.csv", 3, "amount")]
    assert got[("deals.csv", 5, "amount")] == "repeats row 4"
    assert "ISO 4217" in got[("deals.csv", 6, "currency")]
    assert "ISO 8601" in got[("deals.csv", 7, "closed_on")]
    assert "no client" in got[("deals.csv", 8, "client")]
    assert len(got) == 10
    values = {(f, r, c): v for f, r, c, v, _ in lines(parsed, changes)}
    assert values[("deals.csv", 2, "amount")] == "1,234.50" and values[("clients.csv", 4, "referred_by")] == "Zed"


def test_unknown_columns_ragged_rows_and_broken_json() -> None:
    parsed, changes = run(("c.csv", b"name,shoe size\nAna,42\nBruno,41,extra\n"))
    got = [(r, c, reason) for _, r, c, _, reason in lines(parsed, changes)]
    assert (1, "shoe size", "unknown column; see the README for the columns read") in got
    assert (3, "(row)", "3 cells for 2 columns") in got
    parsed, _ = run(("x.json", b'{"clients": [{"name": "Ana"},'))
    assert parsed.problems[0].column == "(file)" and "not JSON" in parsed.problems[0].reason
    parsed, _ = run(("empty.csv", b""))
    assert parsed.problems[0].reason == "the file is empty"


def test_json_sections() -> None:
    doc = {
        "channels": [{"name": "Blog", "kind": "blog"}],
        "clients": [{"name": "Ana", "email": "ana@x.org", "tags": ["vip", "b2b"]}],
        "referrals": [{"client": "Ana", "referred_by": "Blog", "referred_on": "2024-01-01"}],
        "deals": [{"client": "ana@x.org", "amount": "10.00", "currency": "EUR", "closed_on": "2024-05-01"}],
    }
    parsed, changes = run(("all.json", json.dumps(doc).encode()))
    assert lines(parsed, changes) == []
    assert changes.new_clients[0].tags == ("b2b", "vip")
    assert changes.new_referrals[0].source.id == changes.new_channels[0].id
    assert changes.new_deals[0].amount.minor == 1000


def test_rerunning_an_import_plans_nothing() -> None:
    files = (
        ("clients.csv", b"name,external id,referred by,referred on\nAna,a1,,\nBruno,b1,a1,2024-01-01\n"),
        ("deals.csv", b"client,amount,currency,date,invoice\na1,10,EUR,2024-05-01,inv-1\nb1,5,EUR,2024-05-02,\n"),
    )
    _, first = run(*files)
    view = View(first.new_clients, first.new_channels, first.new_referrals, first.new_deals)
    _, second = run(*files, view=view)
    assert second.writes == 0 and second.problems == []
    assert second.summary["clients"]["unchanged"] == 2 and second.summary["deals"]["unchanged"] == 2
    changed = (("clients.csv", b"name,external id,notes\nAna,a1,moved to Lyon\n"),)
    _, third = run(*changed, view=view)
    assert [c.notes for c in third.updated_clients] == ["moved to Lyon"] and third.summary["clients"]["updated"] == 1


@pytest.mark.parametrize(
    ("text", "minor"),
    [("1234.50", 123450), ("-20", -2000), ("0.5", 50), (" 7 ", 700)],
)
def test_plain_amounts(text: str, minor: int) -> None:
    assert cell_amount(text, "EUR") == minor


def test_hostile_json_is_reported_not_crashed_on() -> None:
    parsed, _ = run(("deep.json", b"[" * 100_000 + b"]" * 100_000))
    assert parsed.problems[0].reason == "JSON nested too deeply"
    parsed, changes = run(("odd.json", b'[{"name": 5, "tags": [1, 2]}, 7, {"amount": {"x": 1}}]'))
    assert [p.reason for p in parsed.problems] == ["expected an object"]
    assert changes.problems  # the deal row has no client and an unreadable amount
