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


@contextlib.contextmanager
def gunicorn(url: str, log: Path, workers: int = 2, **env_vars: str) -> Iterator[int]:
    """Run the production server (gunicorn.conf.py, wsgi:app) on `url`'s store; yield its port once it answers.

    Its access and error logs go to `log`. Extra REFERRALS_* settings come as keyword arguments.
    """
    import time
    import urllib.request

    port = free_port()
    env = {
        **os.environ,
        "REFERRALS_DATABASE_URL": url,
        "REFERRALS_BIND": f"127.0.0.1:{port}",
        "REFERRALS_WORKERS": str(workers),
        **env_vars,
    }
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2):
                        break
                except OSError:
                    assert proc.poll() is None, log.read_text()
                    assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
                    time.sleep(0.2)
            yield port
        finally:
            proc.terminate()
            proc.wait(30)
