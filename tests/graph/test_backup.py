"""Backups: lossless round trips on both stores, byte-identical exports across stores, damaged files."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from neo4j.exceptions import Neo4jError

from graph.neo4j import Neo4jStore
from graph.sqlite import SqliteStore
from referrals import analysis
from referrals.access import Role, hash_secret
from referrals.attribution import Model, Params, statement
from referrals.backup import Reader, write
from referrals.errors import Conflict, Invalid, NotFound
from referrals.exports import GraphFormat, export
from referrals.model import (
    ChannelInput,
    ChannelKind,
    ClientInput,
    ClientPatch,
    ClientQuery,
    DealInput,
    ReferralInput,
    SourceKind,
    SourceRef,
)
from referrals.money import Money
from referrals.reports import render, side_by_side, statement_rows
from referrals.store import Store
from referrals.usecases.transfer import backup, fingerprint, migrate, restore
from tests.cli.test_attribution_cli import url_of
from tests.cli.test_import_cli import _sqlite_busy
from tests.conftest import make_sqlite_store, unique
from tools.neo4j_server import Neo4jServer

NAMES = ["Ana", "Bruno", 'Zoë "Z" Ñúñez', "李雷", "O'Brien, Pat", "Émile\nNewline", "🙂 Smiley", "Plain"]


def build(store: Store, seed: int) -> str:
    """A random workspace using every kind of record: secondary recommendations, re-attributions,
    deleted recommendations, refunds in three currencies, a closed month, dismissed findings and tokens."""
    rng = random.Random(seed)
    dial = random.Random(-seed)  # phones from a stream of their own: the rest is drawn as before
    ws = store.create_workspace(f"random {seed}").id
    channels = [
        store.create_channel(ws, ChannelInput(name=f"Channel {i}", kind=rng.choice(list(ChannelKind)), url=u))
        for i, u in enumerate([None, "https://example.org/a?b=1", None])
    ]
    clients = []
    for i in range(40):
        data = {
            "name": f"{rng.choice(NAMES)} {i}",
            "email": f"c{i}@example.org" if rng.random() < 0.6 else None,
            "phone": f"8 916 {dial.randrange(1_000_000, 10_000_000)}" if dial.random() < 0.4 else None,
            "status": "inactive" if rng.random() < 0.15 else "active",
            "tags": rng.sample(["vip", "b2b", "dormant", "ünï"], rng.randrange(3)),
            "external_id": f"crm-{i}" if rng.random() < 0.5 else None,
            "notes": "line one\nline two" if rng.random() < 0.2 else None,
            "acquired_on": (date(2024, 1, 1) + timedelta(days=rng.randrange(180))).isoformat()
            if rng.random() < 0.5
            else None,
        }
        clients.append(store.create_client(ws, ClientInput.parse({k: v for k, v in data.items() if v is not None})))
    start = date(2023, 6, 1)
    for i, c in enumerate(clients[1:], 1):
        if rng.random() < 0.2:
            source = SourceRef(SourceKind.CHANNEL, rng.choice(channels).id)
        else:
            source = SourceRef(SourceKind.CLIENT, clients[rng.randrange(i)].id)
        store.record_referral(
            ws, ReferralInput(source, c.id, start + timedelta(days=3 * i), note=rng.choice([None, "met at a fair"]))
        )
    for _ in range(12):  # secondary recommendations (from earlier clients: never a cycle)
        i = rng.randrange(2, 40)
        j = rng.randrange(i)
        with contextlib.suppress(Conflict):  # the pair may exist already
            store.record_referral(ws, ReferralInput(SourceRef(SourceKind.CLIENT, clients[j].id), clients[i].id, start))
    for i in rng.sample(range(5, 40), 4):  # re-attributions: logged in the source history
        store.reattribute(
            ws, ReferralInput(SourceRef(SourceKind.CLIENT, clients[rng.randrange(i)].id), clients[i].id, start), "fixed"
        )
    store.update_client(ws, clients[3].id, ClientPatch.parse({"name": "Renamed Three"}))
    for i in (5, 6):  # two clients on one phone: a finding of the integrity check, dismissed below
        store.update_client(ws, clients[i].id, ClientPatch.parse({"phone": "+7 916 555-00-00"}))
    for _ in range(60):
        cur = rng.choice(["EUR", "JPY", "KWD"])
        amount = rng.randrange(1, 500_000) * (-1 if rng.random() < 0.1 else 1)
        on = date(2024, rng.randrange(3, 8), rng.randrange(1, 29))
        store.create_deal(
            ws, DealInput(rng.choice(clients).id, Money(amount, cur), on, title=rng.choice([None, "Café"]))
        )
    store.close_month(ws, "2024-04")
    for f in store.integrity_check(ws).findings:
        store.dismiss_finding(ws, f.key, f"looked at: {f.rule}")
    store.create_token(ws, Role.OWNER, "laptop", hash_secret(f"secret-{seed}-1"))
    store.create_token(ws, Role.VIEWER, "accountant", hash_secret(f"secret-{seed}-2"))
    return ws


def backup_bytes(store: Store, ws: str) -> bytes:
    out = io.BytesIO()
    backup(store, ws, out)
    return out.getvalue()


@pytest.fixture
def empty(store: Store, tmp_path: Path) -> Iterator[Callable[[str], Store]]:
    """Makes an empty store of the same kind as `store` for a workspace id."""
    made: list[Store] = []

    def make(ws: str) -> Store:
        if isinstance(store, SqliteStore):
            fresh = make_sqlite_store(tmp_path / f"empty-{len(made)}.db")
            made.append(fresh)
            return fresh
        assert isinstance(store, Neo4jStore)
        store._purge(ws)  # the shared server holds other tests' workspaces: remove only this one
        return store

    yield make
    for s in made:
        s.close()


@pytest.mark.parametrize("seed", [1, 2])
def test_round_trip_gives_identical_bytes(store: Store, empty, seed: int) -> None:
    ws = build(store, seed)
    first = backup_bytes(store, ws)
    history = {c.id: store.source_history(ws, c.id) for c in store.list_clients(ws, ClientQuery(limit=100)).items}
    target = empty(ws)
    with pytest.raises(NotFound):
        target.get_workspace(ws)
    workspace, counts = restore(target, io.BytesIO(first))
    assert workspace.id == ws and counts["client"] == 40 and counts["token"] == 2 and counts["closed_chunk"] >= 1
    assert counts["source_change"] >= 4 and counts["referral"] > 39 and counts["dismissal"] >= 1
    assert backup_bytes(target, ws) == first
    assert target.integrity_check(ws).open == []  # the dismissals came along
    # the restored workspace works: tokens by their hash, history, frozen month, rules still enforced
    token = target.find_token(hash_secret(f"secret-{seed}-1"))
    assert token is not None and token.workspace_id == ws and token.role is Role.OWNER
    assert {c: target.source_history(ws, c) for c in history} == history
    assert [m.month for m in target.list_closed_months(ws)] == ["2024-04"]
    assert target.month_facts(ws, "2024-04")[1] is not None
    with pytest.raises(Conflict):
        restore(target, io.BytesIO(first))  # the workspace exists now


@pytest.mark.parametrize("version", [1, 2])
def test_an_older_backup_is_still_restored(store: Store, empty, version: int) -> None:
    """Version 2 files hold no dismissals; version 1 files no phones either."""
    ws = build(store, 6 if version == 1 else 16)  # a seed each: workspace names are unique per store
    lines = backup_bytes(store, ws).splitlines(keepends=True)
    assert json.loads(lines[0])["version"] == 3
    assert any(json.loads(x).get("phone") for x in lines[1:-1])
    assert any(json.loads(x)["type"] == "dismissal" for x in lines[1:-1])
    old: list[bytes] = []
    for raw in lines[:-1]:
        obj = json.loads(raw)
        if obj.get("type") == "dismissal":
            continue
        if len(old) == 0:
            obj["version"] = version
        if version == 1:
            obj.pop("phone", None)
        old.append((json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode())
    trailer = json.loads(lines[-1])
    del trailer["counts"]["dismissal"]
    trailer["sha256"] = hashlib.sha256(b"".join(old)).hexdigest()
    old.append((json.dumps(trailer, separators=(",", ":")) + "\n").encode())
    target = empty(ws)
    workspace, counts = restore(target, old)
    assert counts == trailer["counts"]
    clients = target.snapshot(ws).clients
    assert len(clients) == 40
    assert all(c.phone is None for c in clients) == (version == 1)
    assert target.integrity_check(ws).open != []  # the finding is back: its dismissal was not in the file


def test_damaged_or_truncated_files_write_nothing(store: Store, empty) -> None:
    ws = build(store, 3)
    good = backup_bytes(store, ws)
    lines = good.splitlines(keepends=True)
    altered = b"".join(lines[:5] + [lines[5].replace(b'"name":"', b'"name":"X', 1)] + lines[6:])
    truncated = b"".join(lines[:-4])
    target = empty(ws)
    for bad, field in ((altered, "sha256"), (truncated, f"line {len(lines) - 3}")):
        with pytest.raises(Invalid) as err:
            restore(target, io.BytesIO(bad))
        assert err.value.errors[0].field == field
        with pytest.raises(NotFound):
            target.get_workspace(ws)
        assert target.list_clients(ws, ClientQuery()).items == ()
        assert target.find_token(hash_secret("secret-3-1")) is None
    # a line that is not JSON, or not UTF-8, even with the checksum made to match: refused by its number
    for damaged in (lines[5][:-3] + b"\n", lines[5].replace(b'"name":"', b'"name":"\xff', 1)):
        target = empty(ws)
        with pytest.raises(Invalid) as err:
            restore(target, io.BytesIO(_resealed([*lines[:5], damaged, *lines[6:]])))
        assert err.value.errors[0].field == "line 6" and "not JSON" in str(err.value.errors[0].reason)
        with pytest.raises(NotFound):
            target.get_workspace(ws)
    with pytest.raises(Invalid) as err:
        Reader([b'{"format": "something else"}\n'])
    assert err.value.errors[0].field == "line 1"
    with pytest.raises(Invalid) as err:
        Reader([good.splitlines(keepends=True)[0].replace(b'"version":3', b'"version":9')])
    assert err.value.errors[0].field == "version"


def _resealed(lines: list[bytes]) -> bytes:
    """The lines with the end line's checksum made to match them, as a tool rewriting the file would."""
    end = json.loads(lines[-1])
    end["sha256"] = hashlib.sha256(b"".join(lines[:-1])).hexdigest()
    return b"".join(lines[:-1]) + json.dumps(end, separators=(",", ":")).encode() + b"\n"


def test_times_are_kept_in_utc_and_need_an_offset(store: Store, empty) -> None:
    """A time written with another offset is the same instant, kept in UTC on both stores (so a backup of
    the restore equals the original); a time without an offset cannot be placed and is refused."""
    ws = build(store, 7)
    good = backup_bytes(store, ws)
    lines = good.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if json.loads(line).get("type") == "client")
    client = json.loads(lines[at])
    when = datetime.fromisoformat(client["created_at"])
    moscow = when.astimezone(timezone(timedelta(hours=3))).isoformat(timespec="microseconds")
    assert moscow.endswith("+03:00") and moscow != client["created_at"]
    for value, refused in ((moscow, False), (moscow[: -len("+03:00")], True)):
        changed = lines.copy()
        changed[at] = json.dumps({**client, "created_at": value}, separators=(",", ":"), ensure_ascii=False).encode()
        changed[at] += b"\n"
        target = empty(ws)
        if refused:
            with pytest.raises(Invalid) as err:
                restore(target, io.BytesIO(_resealed(changed)))
            assert err.value.errors[0].field == f"line {at + 1}"
            assert "offset" in str(err.value.errors[0].reason)
            with pytest.raises(NotFound):
                target.get_workspace(ws)
        else:
            restore(target, io.BytesIO(_resealed(changed)))
            assert target.get_client(ws, client["id"]).created_at == when
            assert backup_bytes(target, ws) == good


def test_a_closed_month_whose_lines_do_not_match_its_checksum_is_refused(store: Store, empty) -> None:
    ws = build(store, 5)
    lines = backup_bytes(store, ws).splitlines(keepends=True)
    # change one frozen line and re-seal the file, as a tool rewriting the file would: only the month's
    # own checksum can tell
    at = next(i for i, line in enumerate(lines) if json.loads(line).get("type") == "closed_chunk")
    chunk = json.loads(lines[at])
    chunk["body"] = chunk["body"].replace("2024-04", "2024-03", 1)
    lines[at] = json.dumps(chunk, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
    end = json.loads(lines[-1])
    end["sha256"] = hashlib.sha256(b"".join(lines[:-1])).hexdigest()
    lines[-1] = json.dumps(end, separators=(",", ":")).encode() + b"\n"
    target = empty(ws)
    with pytest.raises(Invalid) as err:
        restore(target, io.BytesIO(b"".join(lines)))
    assert err.value.errors[0].field == "closed_month 2024-04"
    with pytest.raises(NotFound):
        target.get_workspace(ws)
    assert target.list_clients(ws, ClientQuery()).items == ()


def test_backup_streams_in_flat_memory(tmp_path: Path) -> None:
    store = make_sqlite_store(tmp_path / "big.db")
    ws = store.create_workspace(unique("big")).id
    for start in range(0, 40_000, 10_000):
        rows = [ClientInput(name=f"client {i} " + "x" * 60, external_id=str(i)) for i in range(start, start + 10_000)]
        store.upsert_clients(ws, rows)
    out = tmp_path / "big.jsonl"
    tracemalloc.start()
    with out.open("wb") as f:
        backup(store, ws, f)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = out.stat().st_size
    assert size > 10_000_000
    assert peak < size / 10, f"peak {peak} bytes for a {size}-byte backup: not streamed"
    store.close()


def exports(store: Store, ws: str, month: str) -> list[bytes]:
    facts, _ = store.month_facts(ws, month)
    out = []
    for model in Model:
        columns, rows = statement_rows(statement(facts, model, Params()))
        out += [render(columns, rows, fmt) for fmt in ("csv", "json", "xlsx")]
    columns, rows = side_by_side({m: statement(facts, m, Params()) for m in Model})
    out.append(render(columns, rows, "csv"))
    network = analysis.network_graph(store.snapshot(ws))  # and every graph file of the whole network
    out += [export(network, fmt) for fmt in GraphFormat]
    return out


def test_same_data_gives_byte_identical_exports_on_both_stores(neo4j_store: Neo4jStore, tmp_path: Path) -> None:
    lite = make_sqlite_store(tmp_path / "source.db")
    ws = build(lite, 4)
    neo4j_store._purge(ws)
    digest, counts = migrate(lite, neo4j_store, ws)
    assert counts["client"] == 40
    assert fingerprint(neo4j_store, ws)[0] == digest == fingerprint(lite, ws)[0]
    for month in ("2024-03", "2024-04", "2024-05", "2024-06"):  # 2024-04 is closed: frozen facts
        here, there = exports(lite, ws, month), exports(neo4j_store, ws, month)
        assert len(here) == 25 + len(GraphFormat) and here == there, month
    back = make_sqlite_store(tmp_path / "back.db")
    assert migrate(neo4j_store, back, ws)[0] == digest  # and back again
    # The embedded store walks by numbers that backups do not carry: the copy's writes made them anew,
    # and its months and trees are the original's.
    for month in ("2024-03", "2024-06"):
        assert exports(back, ws, month) == exports(lite, ws, month), month
    walked = 0
    for channel in lite.list_channels(ws, limit=100).items:
        root = SourceRef(SourceKind.CHANNEL, channel.id)
        tree = lite.tree(ws, root)
        assert back.tree(ws, root) == tree == neo4j_store.tree(ws, root)
        walked += len(tree.nodes)
    assert walked >= 20
    for s in (lite, back):
        s.close()


def test_whole_workspace_reads_go_page_by_page(neo4j_store: Neo4jStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Neo4j reads a workspace's clients, channels, recommendations and deals a page at a time: with
    pages of two records the backup is the same bytes as with one page for all, from many more
    statements (every record once, in id order, across every page boundary)."""
    import graph.neo4j.db

    ws = build(neo4j_store, 11)
    before = neo4j_store._db.sent
    whole = backup_bytes(neo4j_store, ws)
    unpaged = neo4j_store._db.sent - before
    monkeypatch.setattr(graph.neo4j.db, "PAGE", 2)
    before = neo4j_store._db.sent
    assert backup_bytes(neo4j_store, ws) == whole
    paged = neo4j_store._db.sent - before
    kinds = [json.loads(line).get("type") for line in whole.splitlines()]
    records = sum(kind in ("client", "channel", "referral", "deal") for kind in kinds)
    assert records > 100 and paged - unpaged >= records // 2 - 4  # a statement per page of two of each kind


def _nodes_of(store: Neo4jStore, ws: str) -> int:
    """Every node carrying the workspace id, whatever its label (what an interrupted restore may leave)."""
    with store._driver.session() as s:  # a test-only look beneath the contract
        rows = s.run("MATCH (n) WHERE n.workspace = $ws RETURN count(n) AS n", ws=ws).data()
    return int(rows[0]["n"])


def test_a_restore_killed_midway_leaves_nothing_once_swept(store: Store, tmp_path: Path) -> None:
    source = SqliteStore(tmp_path / "source.db")
    source.init_schema()
    ws = source.create_workspace(unique("big")).id
    source.upsert_clients(ws, [ClientInput(name=f"client {i}", external_id=f"e{i}") for i in range(40_000)])
    source.create_token(ws, Role.OWNER, "laptop", hash_secret("secret-killed"))
    path = tmp_path / "big.jsonl"
    with path.open("wb") as out:
        backup(source, ws, out)
    source.close()
    env = {**os.environ, "REFERRALS_DATABASE_URL": url_of(store)}
    referrals = str(Path(sys.executable).parent / "referrals")
    proc = subprocess.Popen([referrals, "restore", str(path)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    if isinstance(store, Neo4jStore):
        while _nodes_of(store, ws) < 5_000:  # batches are being committed
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the restore never started writing"
            time.sleep(0.05)
    else:
        while not _sqlite_busy(store.path):  # inside its one write transaction
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the restore never started writing"
            time.sleep(0.01)
    assert proc.poll() is None, "the restore ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    with pytest.raises(NotFound):
        store.get_workspace(ws)
    assert store.find_token(hash_secret("secret-killed")) is None  # no way in to a half-restored workspace
    if isinstance(store, Neo4jStore):
        assert _nodes_of(store, ws) >= 5_000  # the committed batches are there, unreachable
    swept = subprocess.run([referrals, "db", "init"], env=env, capture_output=True, text=True, timeout=120)
    assert swept.returncode == 0, swept.stderr
    if isinstance(store, Neo4jStore):
        assert f"interrupted restore of {ws}" in swept.stdout
        assert _nodes_of(store, ws) == 0
    assert store.list_clients(ws, ClientQuery(limit=5)).items == ()
    # and the same file restores whole afterwards
    done = subprocess.run([referrals, "restore", str(path)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert store.find_token(hash_secret("secret-killed")) is not None
    assert len(store.list_clients(ws, ClientQuery(limit=500)).items) == 500


def test_a_backup_outlives_the_servers_limit_for_transactions(tmp_path: Path) -> None:
    """A backup reads the whole workspace in one transaction, which takes minutes at a million clients: it
    sets its own limit, so the server's default one (60 s on the project's server) does not cut it off.
    The server here looks for transactions past their limit every 100 ms (2 s by default, when a 4 s limit
    could end a transaction only after 6 s, later than the 5 s pauses below)."""
    with (
        Neo4jServer(heap="256m", transaction_timeout="4s", timeout_check="100ms") as server,
        contextlib.closing(Neo4jStore(server.url)) as store,
    ):
        store.init_schema()
        ws = build(store, 8)
        # the server's limit holds for an ordinary transaction left open as long as the slow backup below
        with store._driver.session() as s, pytest.raises(Neo4jError) as err, s.begin_transaction() as tx:
            tx.run("RETURN 1").consume()
            time.sleep(5)
            tx.run("RETURN 1").consume()
        assert "Timed" in (err.value.code or "")
        out = io.BytesIO()
        lines = 0

        def slowly() -> Iterator[Any]:
            nonlocal lines
            for record in store.dump(ws):  # a reader that takes its time, as a slow disk would
                if lines == 3:
                    time.sleep(5)
                lines += 1
                yield record

        counts = write(store.get_workspace(ws), slowly(), out)
        assert counts["client"] == 40 and lines == sum(counts.values())
        assert out.getvalue() == backup_bytes(store, ws)
