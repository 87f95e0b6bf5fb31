"""The embedded store on a disk that fills up or turns read-only: a clear 503, nothing half written,
health says so, and everything works again once the disk is fixed.

The faults are real: the database lives on its own small tmpfs (mounted for the test, as root), which
is filled with a file or remounted read-only. Where mounting is not allowed the same SQLite errors are
raised by SQLite itself (`max_page_count` for a full database, `query_only` for a read-only one).
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.sqlite import SqliteStore
from tests.api.conftest import Api, make_api


@contextlib.contextmanager
def small_disk(path: Path, size: str = "8m") -> Iterator[bool]:
    """Mount a tmpfs of `size` at `path`; yield whether that worked."""
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    try:
        yield mounted.returncode == 0
    finally:
        if mounted.returncode == 0:
            subprocess.run(["umount", "-l", str(path)], check=True)


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[tuple[Api, Path, bool]]:
    """An API on a SQLite file on a small disk of its own; (api, its folder, whether it is a real mount)."""
    with small_disk(tmp_path / "disk") as real:
        store = SqliteStore(tmp_path / "disk" / "referrals.db")
        store.init_schema()
        yield make_api(store), tmp_path / "disk", real
        store.close()


def _big_import(n: int) -> dict[str, object]:
    rows = "\n".join(f"client {i:06d} {'x' * 150},c{i}@example.com" for i in range(n))
    return {"files": [{"name": "clients.csv", "content": "name,email\n" + rows}]}


def test_a_full_disk_answers_503_writes_nothing_and_health_says_why(disk: tuple[Api, Path, bool]) -> None:
    api, folder, real = disk
    api.client_id("Ana")
    if real:  # leave about 600 KiB free: far less than the import below needs
        free = subprocess.run(["df", "--output=avail", "-B1", str(folder)], capture_output=True, text=True)
        room = int(free.stdout.split()[-1]) - 600 * 1024
        (folder / "filler").write_bytes(b"\0" * room)
    else:
        conn = api.store._conn()  # type: ignore[attr-defined]
        conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0] + 20}")
    resp = api.post("/imports", _big_import(8000))
    assert resp.status_code == 503, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json" and "disk is full" in resp.json["detail"]
    assert resp.headers["Retry-After"]
    assert [c["name"] for c in api.ok(api.get("/clients"))["items"]] == ["Ana"]
    health = api.client.get("/api/v1/health")
    assert health.status_code == 503 and "disk is full" in health.json["detail"]
    # space comes back: health recovers and the same import goes through whole
    if real:
        (folder / "filler").unlink()
    else:
        api.store._conn().execute("PRAGMA max_page_count = 1073741823")  # type: ignore[attr-defined]
    assert api.ok(api.post("/imports", _big_import(2000)))["written"] == 2000
    assert api.client.get("/api/v1/health").status_code == 200


def test_a_read_only_database_answers_503_and_health_says_so(disk: tuple[Api, Path, bool]) -> None:
    api, folder, real = disk
    api.client_id("Ana")
    # a connection SQLite itself holds read-only (SQLITE_READONLY on every write)
    api.store._conn().execute("PRAGMA query_only = ON")  # type: ignore[attr-defined]
    health = api.client.get("/api/v1/health")
    assert health.status_code == 503 and "read-only" in health.json["detail"]
    resp = api.post("/clients", {"name": "Bob"})
    assert resp.status_code == 503, resp.get_data(as_text=True)
    assert "read-only" in resp.json["detail"]
    assert [c["name"] for c in api.ok(api.get("/clients"))["items"]] == ["Ana"]
    api.store._conn().execute("PRAGMA query_only = OFF")  # type: ignore[attr-defined]
    api.client_id("Bob")
    assert api.client.get("/api/v1/health").status_code == 200
    if not real:
        return
    # the file system itself turns read-only (remounted while no file is open)
    api.store.close()
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
    try:
        health = api.client.get("/api/v1/health")
        assert health.status_code == 503 and "read-only" in health.json["detail"]
        resp = api.post("/clients", {"name": "Carla"})
        assert resp.status_code == 503 and "read-only" in resp.json["detail"]
    finally:
        api.store.close()
        subprocess.run(["mount", "-o", "remount,rw", str(folder)], check=True)
    assert [c["name"] for c in api.ok(api.get("/clients"))["items"]] == ["Ana", "Bob"]
    assert api.client.get("/api/v1/health").status_code == 200
