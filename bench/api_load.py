"""The API under gunicorn: each endpoint's throughput and latency against a bare twin in the same app.

    .venv/bin/python -m bench.api_load --database-url sqlite:///1m.db --workspace ws_…   # a loaded store
    .venv/bin/python -m bench.api_load --clients 100000 --stores sqlite                  # or load a forest

The server is the production one (gunicorn with gunicorn.conf.py: gthread workers) serving
`bench.bare:app` — the real app plus bare twins (bench/bare.py) that do each endpoint's store query
and answer a few bytes, without token check, schemas or analysis. A closed-loop client on loopback
(asyncio, HTTP/1.1 keep-alive, `--connections` connections each sending its next request as soon as
the last is answered) drives one endpoint at a time for `--seconds`, real and bare alternating, each
pair `--rounds` times; a figure is the median of its rounds. Reported per endpoint: requests/s,
p50/p95/p99 in ms, errors (any answer but the expected status), the real/bare ratio, and the RSS of
every worker at the end. The writes (POST client, POST referral) add clients and recommendations to
the store: measure on a copy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bench.measure import pct, settings, spread
from graph import open_store
from referrals.access import Role, hash_secret, new_secret
from referrals.store import Store
from tools.neo4j_server import free_port

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Call:
    """One request a connection sends: method, path, JSON body, the status that counts as success."""

    method: str
    path: str
    body: dict[str, Any] | None = None
    status: int = 200


@dataclass(frozen=True)
class Endpoint:
    """A figure: the real endpoint and its bare twin, each a source of calls."""

    name: str
    real: Callable[[random.Random], Call]
    bare: Callable[[random.Random], Call]


def endpoints(ids: list[str], month: str, names: Callable[[], str]) -> list[Endpoint]:
    api = "/api/v1"

    def pick(rng: random.Random) -> str:
        return ids[rng.randrange(len(ids))]

    def referral(rng: random.Random, base: str, status: int) -> Call:
        # a new client recommended by a random one: never a ring, always a first (primary) source
        return Call("POST", base, {"source_id": pick(rng), "client_id": "", "referred_on": "2024-06-15"}, status)

    return [
        Endpoint(
            "GET chain",
            lambda r: Call("GET", f"{api}/clients/{pick(r)}/chain"),
            lambda r: Call("GET", f"/bare/chain/{pick(r)}"),
        ),
        Endpoint(
            "GET tree (7 levels)",
            lambda r: Call("GET", f"{api}/clients/{pick(r)}/tree?depth=7"),
            lambda r: Call("GET", f"/bare/tree/{pick(r)}?depth=7"),
        ),
        Endpoint(
            "GET stats",
            lambda r: Call("GET", f"{api}/clients/{pick(r)}/stats"),
            lambda r: Call("GET", f"/bare/stats/{pick(r)}"),
        ),
        Endpoint(
            "GET key clients",
            lambda r: Call("GET", f"{api}/network/key-clients"),
            lambda r: Call("GET", "/bare/revision"),
        ),
        Endpoint(
            "GET attribution (month)",
            lambda r: Call("GET", f"{api}/attribution?month={month}"),
            lambda r: Call("GET", f"/bare/month/{month}"),
        ),
        Endpoint(
            "POST client",
            lambda r: Call("POST", f"{api}/clients", {"name": names()}, 201),
            lambda r: Call("POST", "/bare/clients", {"name": names()}),
        ),
        Endpoint(
            "POST referral",
            lambda r: referral(r, f"{api}/referrals", 201),
            lambda r: referral(r, "/bare/referrals", 200),
        ),
    ]


class Connection:
    """One keep-alive HTTP/1.1 connection: send a request, read the whole answer."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, call: Call) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        body = json.dumps(call.body).encode() if call.body is not None else b""
        head = (
            f"{call.method} {call.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {self.token}\r\n"
            f"Content-Length: {len(body)}\r\n" + ("Content-Type: application/json\r\n" if body else "") + "\r\n"
        )
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length, chunked, close = 0, False, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
        if chunked:
            data = b""
            while size := int((await self.reader.readline()).split(b";")[0], 16):
                data += await self.reader.readexactly(size + 2)
            await self.reader.readline()
        else:
            data = await self.reader.readexactly(length)
        if close:
            self.close()
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def drive(
    port: int, token: str, source: Callable[[random.Random], Call], seconds: float, connections: int
) -> dict[str, Any]:
    """`connections` closed loops for `seconds`: every latency, and the errors."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    samples: dict[str, str] = {}  # the first answer of each unexpected status
    stop = time.perf_counter() + seconds

    async def loop(k: int) -> None:
        conn, rng = Connection(port, token), random.Random(k)
        while time.perf_counter() < stop:
            call = source(rng)
            t = time.perf_counter()
            try:
                status, data = await conn.send(call)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                conn.close()
                continue
            latencies.append((time.perf_counter() - t) * 1000)
            if status != call.status:
                errors[str(status)] = errors.get(str(status), 0) + 1
                samples.setdefault(str(status), data[:200].decode(errors="replace"))
        conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(loop(k) for k in range(connections)))
    took = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / took, 1),
        "p50_ms": round(pct(latencies, 50), 2) if latencies else None,
        "p95_ms": round(pct(latencies, 95), 2) if latencies else None,
        "p99_ms": round(pct(latencies, 99), 2) if latencies else None,
        "errors": errors,
        "error_samples": samples,
    }


def worker_rss(master: int) -> list[int]:
    """Resident memory (KiB) of every worker of the gunicorn master `master`."""
    out = []
    for pid in subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split():
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                out.append(int(line.split()[1]))
    return out


def serve(url: str, ws: str, workers: int, log: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {
        **os.environ,
        "REFERRALS_DATABASE_URL": url,
        "REFERRALS_BIND": f"127.0.0.1:{port}",
        "REFERRALS_WORKERS": str(workers),
        "REFERRALS_BENCH_WORKSPACE": ws,
        "REFERRALS_LOG_LEVEL": "warning",
        "PYTHONPATH": str(ROOT),
    }
    out = log.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null", "bench.bare:app"],
        stdout=out,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2):
                return proc, port
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start: {log.read_text()[-2000:]}") from None
            time.sleep(0.5)


def run(store: Store, url: str, ws: str, args: argparse.Namespace) -> dict[str, Any]:
    ids = random.Random(1).sample(store.read(lambda u: u.graph.client_ids(ws)), 2000)
    secret = new_secret()
    store.create_token(ws, Role.EDITOR, "bench", hash_secret(secret))
    counter = iter(range(10**9))
    stamp = time.strftime("%H%M%S")

    def names() -> str:
        return f"load {stamp} {next(counter)}"

    log = Path(tempfile.mkdtemp(prefix="referrals-load-")) / "gunicorn.log"
    proc, port = serve(url, ws, args.workers, log)
    out: dict[str, Any] = {"settings": settings(store), "workers": args.workers, "threads": 2, "figures": {}}
    try:
        for ep in endpoints(ids, args.month, names):
            if args.only and ep.name not in args.only:
                continue
            real = _with_client(ep.real, store, ws, args.fresh)
            bare = _with_client(ep.bare, store, ws, args.fresh)
            for source in (real, bare):  # warm up: one answer on every connection (a heavy read computes
                asyncio.run(drive(port, secret, source, 0.001, args.connections))  # in every worker), then 2 s
                asyncio.run(drive(port, secret, source, 2, args.connections))
            rounds: dict[str, list[dict[str, Any]]] = {"real": [], "bare": []}
            for _ in range(args.rounds):
                rounds["real"].append(asyncio.run(drive(port, secret, real, args.seconds, args.connections)))
                rounds["bare"].append(asyncio.run(drive(port, secret, bare, args.seconds, args.connections)))
            fig: dict[str, Any] = {}
            for side, runs in rounds.items():
                fig[side] = {
                    k: statistics.median(r[k] for r in runs)
                    for k in ("rps", "p50_ms", "p95_ms", "p99_ms")
                    if runs[0][k] is not None
                }
                fig[side]["rps_spread"] = spread([r["rps"] for r in runs])
                fig[side]["requests"] = sum(r["requests"] for r in runs)
                fig[side]["errors"] = {k: sum(r["errors"].get(k, 0) for r in runs) for r in runs for k in r["errors"]}
                fig[side]["error_samples"] = {k: v for r in runs for k, v in r["error_samples"].items()}
            fig["ratio"] = round(fig["real"]["rps"] / fig["bare"]["rps"], 3) if fig["bare"].get("rps") else None
            out["figures"][ep.name] = fig
            print(ep.name, json.dumps(fig), file=sys.stderr, flush=True)
        out["worker_rss_kib"] = worker_rss(proc.pid)
    finally:
        proc.terminate()
        proc.wait(30)
    return out


def _with_client(
    source: Callable[[random.Random], Call], store: Store, ws: str, count: int
) -> Callable[[random.Random], Call]:
    """A POST referral needs a client nobody recommended yet: `count` of them are made ahead, in bulk
    (not timed), and each call takes the next."""
    probe = source(random.Random(0))
    if not (probe.body and "client_id" in probe.body):
        return source
    from referrals.model import ClientInput

    tag = time.time_ns()
    rows = [ClientInput(name=f"fresh {i}", external_id=f"fresh-{tag}-{i}") for i in range(count)]
    fresh = iter(store.upsert_clients(ws, rows).ids)

    def with_client(rng: random.Random) -> Call:
        call = source(rng)
        assert call.body is not None
        return Call(call.method, call.path, {**call.body, "client_id": next(fresh)}, call.status)

    return with_client


def _url(store: Store) -> str:
    """The REFERRALS_DATABASE_URL of a store a runner opened."""
    from graph.sqlite import SqliteStore

    return f"sqlite:///{store.path}" if isinstance(store, SqliteStore) else store.uri  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a store loaded by a runner of bench/ (with --workspace)")
    parser.add_argument("--workspace")
    parser.add_argument("--clients", type=int, default=100_000, help="else: load a forest of this many clients")
    parser.add_argument("--stores", nargs="+", default=["sqlite"], choices=["sqlite", "neo4j"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--month", default="2024-06")
    parser.add_argument("--only", nargs="+", help="these figures alone (by name, e.g. 'GET chain')")
    parser.add_argument("--fresh", type=int, default=50_000, help="clients made ahead for POST referral, per side")
    parser.add_argument("--out", type=Path, default=Path("bench/results-api-load.json"))
    args = parser.parse_args(argv)
    runs = []
    if args.database_url:
        store = open_store(args.database_url)
        store.init_schema()
        runs.append({"url": args.database_url.split("@")[-1], **run(store, args.database_url, args.workspace, args)})
        store.close()
    else:
        from bench.forest import generate
        from bench.stores import BenchStores
        from bench.traversals import load

        stores = BenchStores()
        try:
            for kind in args.stores:
                store = stores.open(kind)
                ws, _, _, load_s = load(store, generate(args.clients))
                runs.append({"clients": args.clients, "load_s": round(load_s, 1), **run(store, _url(store), ws, args)})
                store.close()
        finally:
            stores.close()
    result = {"date": date.today().isoformat(), "runs": runs}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
