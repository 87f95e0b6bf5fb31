"""`referrals serve` as a child process on a free loopback port, for tests that talk to it."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from tools.neo4j_server import free_port

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def serve(db: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Start `referrals serve` on an embedded store at `db`; yield its port and what its banner printed,
    keyed by each line's label (e.g. "local owner token", "network page") with the line's last word."""
    port = free_port()
    env = {**os.environ, "REFERRALS_DATABASE_URL": f"sqlite:///{db}"}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from cli import main; main()", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        banner: dict[str, str] = {}
        while not banner.keys() & {"try"}:
            line = proc.stdout.readline()
            assert line, "referrals serve stopped before printing its banner"
            label, _, _ = line.partition(":")
            banner[label.strip()] = line.split()[-1]
        yield port, banner
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout:
            proc.stdout.close()
