"""Do heavy reads starve light ones? Chain throughput under gunicorn, alone and beside key-clients callers.

A 20,000-client forest (bench/forest.py) is loaded into an embedded store; gunicorn serves it with the
project's config (4 workers, 2 threads). For `--seconds` each:

* **alone**: `--chain-callers` threads ask for chains of random clients as fast as they can;
* **beside heavy**: the same, while 10 more threads ask for /network/key-clients in a loop.

It reports chain requests per second, p50/p99 latency, and how many key-clients answers came back.
`--repo DIR` serves the same database file from another checkout (a baseline commit) in the same go.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from bench.forest import generate
from bench.traversals import load
from graph.sqlite import SqliteStore
from referrals.access import Role, hash_secret, new_secret
from tools.neo4j_server import free_port

ROOT = Path(__file__).resolve().parents[1]


def _get(port: int, path: str, token: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp.status


def _loop(stop: threading.Event, call: Callable[[], object], out: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        call()
        out.append(time.perf_counter() - started)


def measure(repo: Path, db: Path, token: str, ids: list[str], seconds: float, callers: int) -> dict[str, object]:
    """Serve `db` from `repo` with gunicorn and run both phases."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(repo),
        "REFERRALS_DATABASE_URL": f"sqlite:///{db}",
        "REFERRALS_BIND": f"127.0.0.1:{port}",
        "REFERRALS_WORKERS": "4",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=repo,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(port, "/api/v1/health", token) == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        rng = random.Random(1)
        result: dict[str, object] = {}
        for phase, heavy in (("alone", 0), ("beside heavy", 10)):
            stop, chains, heavies = threading.Event(), [], []  # type: ignore[var-annotated]
            threads = [
                threading.Thread(
                    target=_loop,
                    args=(stop, lambda: _get(port, f"/api/v1/clients/{rng.choice(ids)}/chain", token), chains),
                )
                for _ in range(callers)
            ] + [
                threading.Thread(
                    target=_loop, args=(stop, lambda: _get(port, "/api/v1/network/key-clients", token), heavies)
                )
                for _ in range(heavy)
            ]
            for t in threads:
                t.start()
            time.sleep(seconds)
            stop.set()
            for t in threads:
                t.join(120)
            lat = sorted(chains)
            result[phase] = {
                "chain_rps": round(len(lat) / seconds, 1),
                "chain_p50_ms": round(lat[len(lat) // 2] * 1000, 1),
                "chain_p99_ms": round(lat[int(len(lat) * 0.99)] * 1000, 1),
                "key_clients_answers": len(heavies),
            }
        return result
    finally:
        proc.terminate()
        proc.wait(30)


def main() -> None:
    """Load once, then measure the current checkout and, with --repo, the baseline on copies of the file."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--chain-callers", type=int, default=4)
    parser.add_argument("--repo", type=Path)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="referrals-heavy-"))
    store = SqliteStore(tmp / "bench.db")
    store.init_schema()
    ws, ids, _, _ = load(store, generate(args.clients))
    token = new_secret()
    store.create_token(ws, Role.VIEWER, "bench", hash_secret(token))
    store.close()
    for label, repo in (("baseline", args.repo), ("current", ROOT)):
        if repo is None:
            continue
        copy = tmp / f"{label}.db"
        shutil.copy(tmp / "bench.db", copy)
        print(label, measure(repo, copy, token, ids, args.seconds, args.chain_callers), flush=True)


if __name__ == "__main__":
    main()
