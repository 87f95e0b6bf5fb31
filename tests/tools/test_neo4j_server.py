"""The Neo4j server script: loopback config, clean stop, and no orphan JVM when its parent dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tools.neo4j_server import Neo4jServer, lib_dir, neo4j_version

ROOT = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0); read its state
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_config_is_loopback_only(tmp_path: Path) -> None:
    server = Neo4jServer(home=tmp_path, port=17999)
    server.write_config()
    conf = (tmp_path / "conf" / "neo4j.conf").read_text()
    assert "server.bolt.listen_address=127.0.0.1:17999" in conf
    assert "server.default_listen_address=127.0.0.1" in conf
    assert "server.http.enabled=false" in conf
    assert neo4j_version().startswith("5.26.")


def test_jars_are_cached() -> None:
    lib = lib_dir()
    assert (lib / ".complete").exists(), "run: python -m tools.neo4j_server fetch"
    assert any(p.name.startswith("neo4j-5.26") for p in lib.glob("*.jar"))


def test_the_jvm_dies_with_a_killed_parent(tmp_path: Path) -> None:
    script = (
        "import sys, time, pathlib\n"
        "from tools.neo4j_server import Neo4jServer\n"
        "s = Neo4jServer(home=pathlib.Path(sys.argv[1])).start()\n"
        "print(s.process.pid, s.home, flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        line = parent.stdout.readline() if parent.stdout else ""
        assert line, "the server did not start"
        jvm = int(line.split()[0])
        assert _alive(jvm)
    finally:
        parent.send_signal(signal.SIGKILL)  # no finally blocks, no atexit: only the kernel can help
        parent.wait()
        if parent.stdout:
            parent.stdout.close()
    deadline = time.monotonic() + 60
    while _alive(jvm) and time.monotonic() < deadline:
        time.sleep(0.5)
    if _alive(jvm):
        os.kill(jvm, signal.SIGKILL)
        pytest.fail("the Neo4j JVM outlived its parent")


def test_stop_ends_the_process_and_removes_a_temporary_home() -> None:
    with Neo4jServer() as server:
        assert server.process is not None
        pid, home = server.process.pid, server.home
        assert server.startup_seconds is not None
    assert not _alive(pid)
    assert not home.exists()
