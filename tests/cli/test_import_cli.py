"""`referrals import` on both stores: all or nothing at 10,000 rows, idempotent, and safe to kill."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from cli import cli
from graph.neo4j import Neo4jStore
from graph.sqlite import SqliteStore
from referrals.model import ClientQuery, DealQuery
from referrals.store import Store
from tests.cli.test_attribution_cli import url_of
from tests.conftest import unique

ROOT = Path(__file__).resolve().parents[2]


def clients_csv(n: int, bad: int | None = None) -> str:
    """A binary tree of n clients, each recommended by client i // 2, as a freelancer's sheet might be."""
    lines = ["Name,E-mail,External ID,Referred by,Referred on"]
    for i in range(n):
        email = "not-an-email" if i == bad else f"c{i}@example.org"
        lines.append(f"Client {i},{email},e{i},{'' if i == 0 else f'e{i // 2}'},2024-01-01")
    return "\n".join(lines) + "\n"


def test_one_bad_row_among_10000_writes_nothing(store: Store, tmp_path: Path) -> None:
    ws = store.create_workspace(unique("import")).id
    path = tmp_path / "clients.csv"
    path.write_text(clients_csv(10_000, bad=5_000))

    def run(*args: str):
        return CliRunner().invoke(cli, ["--database-url", url_of(store), "import", "--workspace", ws, *args])

    out = run(str(path))
    assert out.exit_code == 1
    assert "5002" in out.stderr and "not-an-email" in out.stderr  # the header is line 1
    assert "1 problem," in out.stderr
    assert store.list_clients(ws, ClientQuery(limit=5)).items == ()
    path.write_text(clients_csv(10_000))
    dry = run(str(path), "--dry-run")
    assert dry.exit_code == 0 and "would be written" in dry.stdout
    assert store.list_clients(ws, ClientQuery(limit=5)).items == ()
    done = run(str(path))
    assert done.exit_code == 0, done.output
    assert "imported: 19,999 records written" in done.stdout
    chain = store.chain(ws, store.list_clients(ws, ClientQuery(text="Client 9999", limit=1)).items[0].id)
    assert [s.name for s in chain.steps][:3] == ["Client 4999", "Client 2499", "Client 1249"]
    again = run(str(path))
    assert again.exit_code == 0 and "imported: nothing written" in again.stdout


def _sqlite_busy(path: Path) -> bool:
    probe = sqlite3.connect(path, timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.rollback()
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


def _neo4j_importing(store: Neo4jStore) -> bool:
    with store._driver.session() as s:
        rows = s.run("SHOW TRANSACTIONS YIELD currentQuery RETURN currentQuery").data()
    return any("UNWIND $rows" in (r["currentQuery"] or "") for r in rows)


def test_killing_an_import_midway_leaves_the_store_as_it_was(store: Store, tmp_path: Path) -> None:
    ws = store.create_workspace(unique("killed")).id
    path = tmp_path / "big.csv"
    path.write_text(clients_csv(60_000))
    env = {**os.environ, "REFERRALS_DATABASE_URL": url_of(store)}
    log = tmp_path / "import.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "referrals"), "import", "--workspace", ws, str(path)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    busy = (lambda: _sqlite_busy(store.path)) if isinstance(store, SqliteStore) else (lambda: _neo4j_importing(store))
    deadline = time.monotonic() + 120
    while not busy():
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "the import never started writing"
        time.sleep(0.02)
    if isinstance(store, SqliteStore):
        time.sleep(2.0)  # well into the transaction: the 60,000 rows are planned and being written
    assert proc.poll() is None, "the import ended before it could be killed"  # still inside its transaction
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 30
    while isinstance(store, Neo4jStore) and _neo4j_importing(store) and time.monotonic() < deadline:
        time.sleep(0.1)  # the server rolls back when it sees the connection close
    assert store.list_clients(ws, ClientQuery(limit=5)).items == ()
    assert store.list_referrals(ws) == []
    if isinstance(store, SqliteStore):
        assert not _sqlite_busy(store.path)


def test_a_50000_client_import_fits_the_project_servers_defaults(neo4j_store: Neo4jStore, tmp_path: Path) -> None:
    """The suite's Neo4j runs with tools/neo4j_server.py's defaults: 50,000 clients with their
    recommendations go in as one transaction (512 MiB of heap failed from 25,000)."""
    ws = neo4j_store.create_workspace(unique("fifty thousand")).id
    path = tmp_path / "clients.csv"
    path.write_text(clients_csv(50_000))
    result = CliRunner().invoke(cli, ["--database-url", neo4j_store.uri, "import", "--workspace", ws, str(path)])
    assert result.exit_code == 0, result.output
    assert "imported: 99,999 records written" in result.stdout
    chain = neo4j_store.chain(ws, neo4j_store.list_clients(ws, ClientQuery(text="Client 49999", limit=1)).items[0].id)
    assert [s.name for s in chain.steps][:2] == ["Client 24999", "Client 12499"]


def test_an_import_too_big_for_the_servers_memory_is_refused_as_such(tmp_path: Path) -> None:
    """On a server with little heap the import fails at once with what to do, not "busy, retry"."""
    from tools.neo4j_server import Neo4jServer

    server = Neo4jServer(heap="256m").start()
    store = Neo4jStore(server.url)
    try:
        store.init_schema()
        ws = store.create_workspace(unique("too big")).id
        path = tmp_path / "clients.csv"
        path.write_text(clients_csv(40_000))
        started = time.monotonic()
        result = CliRunner().invoke(cli, ["--database-url", server.url, "import", "--workspace", ws, str(path)])
        assert result.exit_code == 1, result.output  # invalid input, not 5 (database unavailable)
        assert "too large for one transaction" in result.stderr and "Split the file" in result.stderr
        assert "busy" not in result.stderr
        assert time.monotonic() - started < 60
        assert store.list_clients(ws, ClientQuery(limit=5)).items == ()
    finally:
        store.close()
        server.stop()


def test_a_freelancers_own_sheet_imports_with_the_options_it_needs(tmp_path: Path) -> None:
    """No dates, a Phone and a City column, day-first dates, amounts with ₽: read as written, reported in groups."""
    url = f"sqlite:///{tmp_path}/own.db"
    run = CliRunner().invoke
    assert run(cli, ["--database-url", url, "db", "init"]).exit_code == 0
    assert run(cli, ["--database-url", url, "workspace", "create", "Мои клиенты"]).exit_code == 0
    sheet = tmp_path / "clients.csv"
    sheet.write_text(
        "Имя;Email;Телефон;Кто порекомендовал;Город\n"
        "Анна;anna@x.ru;8 916 123-45-67;;Москва\n" + "".join(f"Клиент {i};;;Анна;Тула\n" for i in range(299)),
        encoding="utf-8",
    )
    deals = tmp_path / "deals.csv"
    deals.write_text("Клиент;Сумма;Дата\nКлиент 7;1 250,00 ₽;03/04/2024\nКлиент 8;900 ₽;13/04/2024\n", encoding="utf-8")
    base = ["--database-url", url, "import", str(sheet), str(deals), "--workspace", "мои клиенты"]
    report = tmp_path / "problems.csv"
    refused = run(cli, [*base, "--report", str(report)])
    assert refused.exit_code == 1, refused.output
    err = " ".join(refused.stderr.split())
    assert "299 problems, nothing was written:" in err
    assert "- clients.csv: referred_on required: give referred_on (or acquired_on), or choose --undated" in err
    assert "acquired or before-first-deal — rows 3–301 (299 rows)" in err
    assert "note: clients.csv: 'Город': not a field: kept in each row's notes" in err
    assert report.read_text(encoding="utf-8").count("\n") == 300  # the header and every problem
    dry = run(cli, [*base, "--undated", "before-first-deal", "--dry-run"])
    assert dry.exit_code == 1  # 297 clients have no deal to date them by
    ok = run(cli, [*base, "--undated", "before-first-deal", "--map", "Кто порекомендовал=ignore", "--dry-run"])
    assert ok.exit_code == 0, ok.output + ok.stderr
    assert "dry run: 302 records would be written" in ok.output  # 300 clients and 2 deals
    two = tmp_path / "two.csv"
    two.write_text("Имя;Кто порекомендовал\nВера;Анна\nГлеб;Анна\n", encoding="utf-8")
    done = run(
        cli,
        [
            *base[:4],
            str(sheet),
            str(deals),
            str(two),
            *base[5:],
            "--undated",
            "before-first-deal",
            "--map",
            "Кто порекомендовал=ignore",
            "--strict",
        ],
    )
    assert done.exit_code == 1 and "unknown column; see the README, or --map it" in done.stderr  # Город, now
    done = run(
        cli, [*base, "--undated", "before-first-deal", "--map", "Кто порекомендовал=ignore", "--map", "Город=notes"]
    )
    assert done.exit_code == 0, done.output + done.stderr
    store = SqliteStore(tmp_path / "own.db")
    try:
        ws = store.find_workspace("Мои клиенты").id
        anna = store.list_clients(ws, ClientQuery(text="Анна")).items[0]
        assert (anna.phone, anna.notes) == ("+79161234567", "Москва")
        paid = sorted((d.amount.minor, d.closed_on.isoformat()) for d in store.list_deals(ws, DealQuery()).items)
        assert paid == [(90000, "2024-04-13"), (125000, "2024-04-03")]  # 13/04 showed the column is day first
    finally:
        store.close()
    day = run(cli, [*base[:4], str(deals), *base[5:], "--month-first", "--dry-run"])
    assert day.exit_code == 1 and "is not a day of the calendar" in day.stderr  # 13/04 read month first


def test_broken_files_of_every_format_are_reported_in_one_line_each_and_write_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/bad.db"
    run = CliRunner().invoke
    assert run(cli, ["--database-url", url, "db", "init"]).exit_code == 0
    assert run(cli, ["--database-url", url, "workspace", "create", "Bad files"]).exit_code == 0
    files = {
        "book.xlsx": b"PK\x03\x04 this zip was cut short",
        "old.xls": bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 64,
        "phone.vcf": b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Cut short\r\n",
        "result.json": b'{"contacts": {"list": [{"first_name": "A"}, 5]}}',
        "cp1251.csv": "Имя\nАнна\n".encode("cp1251"),
    }
    paths = []
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    out = run(cli, ["--database-url", url, "import", *paths, "--workspace", "bad files"])
    assert out.exit_code == 1, out.output
    err = " ".join(out.stderr.split())
    assert "Traceback" not in out.output + out.stderr
    assert "book.xlsx: (file) not a spreadsheet this tool reads" in err
    assert "old.xls: (file) not a spreadsheet this tool reads" in err
    assert "phone.vcf: (file)" in err
    assert "result.json: (row) a contact with no name and no phone — row 2" in err
    assert "cp1251.csv: (file) not valid utf-8" in err and "--encoding" in err
    store = SqliteStore(tmp_path / "bad.db")
    try:
        assert not store.snapshot(store.find_workspace("Bad files").id).clients
    finally:
        store.close()


def test_import_list_and_undo(store: Store, tmp_path: Path) -> None:
    ws = store.create_workspace(unique("undo")).id
    path = tmp_path / "clients.csv"
    path.write_text(clients_csv(5))
    later = tmp_path / "later.csv"
    later.write_text("Name,Referred by,Referred on\nDora,e1,2024-02-01\n")

    def run(*args: str):
        return CliRunner().invoke(cli, ["--database-url", url_of(store), "import", *args, "--workspace", ws])

    assert "no imports yet" in run("list").stdout
    first = run(str(path))
    assert first.exit_code == 0, first.output
    batch = next(w for w in first.stdout.split() if w.startswith("im_"))
    assert f"referrals import undo {batch}" in first.stdout
    second = run("files", str(later))  # `import files FILE` is the long form of `import FILE`
    assert second.exit_code == 0, second.output
    listed = run("list")
    assert listed.exit_code == 0 and batch in listed.stdout and "clients.csv" in listed.stdout
    assert "5 clients, 4 recommendations" in listed.stdout and "later.csv" in listed.stdout

    refused = run("undo", batch)
    assert refused.exit_code == 4 and "cannot be undone" in refused.stderr and "Dora" in refused.stderr
    assert len(store.list_clients(ws, ClientQuery(limit=10)).items) == 6

    newest = next(w for w in second.stdout.split() if w.startswith("im_"))
    assert run("undo", newest).exit_code == 0
    undone = run("undo", batch)
    assert undone.exit_code == 0, undone.output
    assert "removed 5 clients, 4 recommendations" in undone.stdout
    assert store.list_clients(ws, ClientQuery(limit=10)).items == ()
    assert run("undo", batch).exit_code == 4  # once only
    assert run("undo", "im_00000000000000000000000000").exit_code == 3
    assert "undo" in CliRunner().invoke(cli, ["import", "--help"]).stdout
