"""The production server as users run it: gunicorn with several workers, over real sockets.

What only shows there: gunicorn's own refusals (a request line over its cap) carry the API's
problem+json envelope, the access log keeps no query string, and the body limit holds on a socket.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.sqlite import SqliteStore
from referrals.access import Role, hash_secret, new_secret
from referrals.model import ClientQuery
from tests.serving import ROOT, gunicorn


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str, Path]]:
    """gunicorn on an embedded store with a 64 KiB body limit; its port, an editor token and its log."""
    tmp = tmp_path_factory.mktemp("gunicorn")
    store = SqliteStore(tmp / "referrals.db")
    store.init_schema()
    ws = store.create_workspace("served").id
    secret = new_secret()
    store.create_token(ws, Role.EDITOR, "test", hash_secret(secret))
    store.close()
    log = tmp / "gunicorn.log"
    with gunicorn(f"sqlite:///{tmp / 'referrals.db'}", log, REFERRALS_MAX_BODY_BYTES="65536") as port:
        yield port, secret, log


def _call(
    port: int, method: str, path: str, token: str | None = None, body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    out = resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    conn.close()
    return out


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(request)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_a_url_over_gunicorns_cap_gets_problem_json(server: tuple[int, str, Path]) -> None:
    port, _, _ = server
    answer = _raw(port, b"GET /api/v1/clients?q=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414"), head
    assert b"Content-Type: application/problem+json" in head
    assert json.loads(body)["status"] == 414


def test_a_url_over_the_apps_cap_gets_problem_json(server: tuple[int, str, Path]) -> None:
    port, token, _ = server
    status, headers, body = _call(port, "GET", "/api/v1/clients?q=" + "a" * 5000, token)
    assert status == 414 and headers["content-type"] == "application/problem+json"
    assert "4096" in json.loads(body)["detail"]


def test_a_body_over_the_limit_is_refused_with_413(server: tuple[int, str, Path]) -> None:
    port, token, _ = server
    content = "name\n" + "x" * 70_000
    body = json.dumps({"files": [{"name": "big.csv", "content": content}], "dry_run": True}).encode()
    status, headers, answer = _call(port, "POST", "/api/v1/imports", token, body)
    assert status == 413 and headers["content-type"] == "application/problem+json"
    assert "65536" in json.loads(answer)["detail"]


def test_a_workbook_reaching_the_last_cell_is_a_422_and_the_worker_lives_on(
    server: tuple[int, str, Path], tmp_path: Path
) -> None:
    """A 5 KB workbook whose sheet reaches XFD1048576 would make the reader ask for hundreds of GB and abort
    the worker; it is refused by name, nothing is written, and the same worker answers the next request."""
    import base64

    from tests.referrals.test_importing import _far_cell_workbook

    port, token, _ = server
    data = _far_cell_workbook(tmp_path / "far.xlsx")
    body = json.dumps({"files": [{"name": "far.xlsx", "content_base64": base64.b64encode(data).decode()}]}).encode()
    status, _, answer = _call(port, "POST", "/api/v1/imports", token, body)
    assert status == 422, answer
    (error,) = json.loads(answer)["errors"]
    assert error["field"].startswith("far.xlsx") and "would take more than 1 GiB to open" in error["reason"]
    for _ in range(4):  # both workers, twice
        assert _call(port, "GET", "/api/v1/clients?q=Ana", token)[0] == 200


def test_api_answers_are_not_cached_nor_sniffed(server: tuple[int, str, Path]) -> None:
    port, token, _ = server
    status, headers, _ = _call(port, "GET", "/api/v1/clients", token)
    assert status == 200
    assert headers["x-content-type-options"] == "nosniff" and headers["cache-control"] == "no-store"


def test_the_access_log_keeps_no_query_string(server: tuple[int, str, Path]) -> None:
    port, token, log = server
    status, _, _ = _call(port, "GET", "/api/v1/clients?q=secret.person%40example.com", token)
    assert status == 200
    deadline = time.monotonic() + 10
    while '"GET /api/v1/clients HTTP/1.1" 200' not in (text := log.read_text()):
        assert time.monotonic() < deadline, text
        time.sleep(0.1)
    assert "secret.person" not in text and "example.com" not in text


def test_the_whole_network_file_arrives_in_chunks_as_it_is_written(server: tuple[int, str, Path]) -> None:
    """Over a socket the GraphML comes chunked (no length known ahead: it is sent as it is written), and
    reads back whole."""
    import networkx as nx

    port, token, _ = server
    for name in ("Ana", "Bruno"):
        assert _call(port, "POST", "/api/v1/clients", token, json.dumps({"name": name}).encode())[0] == 201
    status, headers, body = _call(port, "GET", "/api/v1/network/export?format=graphml", token)
    assert status == 200 and headers.get("transfer-encoding") == "chunked" and "content-length" not in headers
    assert headers["content-disposition"].endswith('.graphml"')
    names = {a["name"] for _, a in nx.read_graphml(io.BytesIO(body)).nodes(data=True)}
    assert {"Ana", "Bruno"} <= names


def test_the_master_upgrades_an_older_store_once_before_any_worker_starts(tmp_path: Path) -> None:
    from graph.schema import SCHEMA_VERSION
    from tests.graph.test_schema_upgrades import _old_fair_ana_bo, _sqlite_file_of_version

    conn = _sqlite_file_of_version(tmp_path / "old.db", 11)
    _old_fair_ana_bo(conn, "ws_old")
    conn.commit()
    conn.close()
    log = tmp_path / "gunicorn.log"
    with gunicorn(f"sqlite:///{tmp_path / 'old.db'}", log, workers=3) as port:
        status, _, body = _call(port, "GET", "/api/v1/health")
    assert status == 200 and json.loads(body)["schema_version"] == SCHEMA_VERSION
    lines = log.read_text().splitlines()
    said = [i for i, line in enumerate(lines) if f"upgraded the store from schema 11 to {SCHEMA_VERSION}" in line]
    booted = [i for i, line in enumerate(lines) if "Booting worker" in line]
    assert len(said) == 1 and len(booted) == 3, lines
    # said by the master (gunicorn's own log line, its pid) before it started a worker
    assert said[0] < booted[0], lines
    master = next(line for line in lines if "Starting gunicorn" in line).split("] [")[1]
    assert lines[said[0]].split("] [")[1] == master, lines
    store = SqliteStore(tmp_path / "old.db")
    try:
        assert store.schema_version() == SCHEMA_VERSION
        assert {c.name for c in store.list_clients("ws_old", ClientQuery(limit=10)).items} == {"Ana", "Bo"}
    finally:
        store.close()


def test_a_bad_database_url_stops_gunicorn_with_one_line_saying_why(tmp_path: Path) -> None:
    env = {**os.environ, "REFERRALS_DATABASE_URL": "postgres://db/referrals", "REFERRALS_BIND": "127.0.0.1:0"}
    done = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "cannot start: REFERRALS_DATABASE_URL: unknown scheme 'postgres'" in done.stderr
    assert "Traceback" not in done.stderr and "Booting worker" not in done.stderr
