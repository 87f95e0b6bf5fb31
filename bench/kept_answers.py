"""Heavy answers cold and kept: /network/summary and /network/key-clients computed by one app, then answered
by a second app on the same store (another worker or instance) from the answer kept in the database.

Before that, the computation alone (what a request costs after any change): the store's columnar
answers (referrals/forest.py) `--cold-runs` times, with median and spread; with `--baseline`, once
each the way they were answered before, from the whole snapshot (referrals/analysis.py), and the
two answers compared.

    .venv/bin/python -m bench.kept_answers --clients 1000000 --stores sqlite
    .venv/bin/python -m bench.kept_answers --database-url sqlite:///big.db --workspace ws_...   # a loaded store

Loads the forest of bench/forest.py (clients with contacts, as bench.insight does) unless a loaded store
and workspace are given. The second app's process cache is emptied before every call, so each answer
comes from the database; every answer must be byte-equal to the cold one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from api import create_app
from bench.forest import generate
from bench.measure import pct, settings, spread
from bench.traversals import load
from graph import open_store
from referrals import analysis
from referrals.access import Role, hash_secret, new_secret
from referrals.store import Store

PATHS = ("/api/v1/network/summary", "/api/v1/network/key-clients")


def _key_clients(snap: Any) -> tuple[Any, ...]:
    currency, ranked = analysis.key_clients(snap)
    return currency, analysis.currencies(snap), ranked


def computed(store: Store, ws: str, runs: int, baseline: bool) -> dict[str, Any]:
    """Seconds per computation of each answer (no kept answer involved)."""
    out: dict[str, Any] = {}
    answers = {
        "summary": lambda: store.network_summary(ws),
        "key_clients": lambda: store.key_clients(ws),
    }
    for name, fn in answers.items():
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        out[name] = {"median_s": round(statistics.median(times), 2), "spread": spread(times), "runs": len(times)}
        print(name, out[name], file=sys.stderr, flush=True)
    if baseline:
        for name, answer, check in (
            ("summary", lambda snap: (analysis.summarize(snap), analysis.first_day(snap)), answers["summary"]),
            ("key_clients", _key_clients, answers["key_clients"]),
        ):
            t = time.perf_counter()
            try:
                want = answer(store.snapshot(ws))
            except Exception as exc:  # e.g. the server's transaction time limit: recorded as it is
                out[name]["snapshot_error"] = f"{type(exc).__name__} after {time.perf_counter() - t:.0f} s"
                continue
            out[name]["snapshot_s"] = round(time.perf_counter() - t, 2)
            out[name]["ratio"] = round(out[name]["median_s"] / out[name]["snapshot_s"], 4)
            assert want == check(), f"the columns and the snapshot disagree on {name}"
        print("baseline", {k: out[k].get("snapshot_s", out[k].get("snapshot_error")) for k in answers}, file=sys.stderr)
    return out


def measure(store: Store, ws: str, repeat: int, runs: int = 3, baseline: bool = False) -> dict[str, Any]:
    computed_s = computed(store, ws, runs, baseline)
    secret = new_secret()
    store.create_token(ws, Role.VIEWER, "bench", hash_secret(secret))
    headers = {"Authorization": f"Bearer {secret}"}
    first = create_app({"STORE": store}).test_client()
    second = create_app({"STORE": store}).test_client()
    out: dict[str, Any] = {"settings": settings(store), "computed": computed_s}
    for path in PATHS:
        t = time.perf_counter()
        cold = first.get(path, headers=headers)
        cold_s = time.perf_counter() - t
        assert cold.status_code == 200, cold.data[:300]
        times = []
        for _ in range(repeat):
            second.application.extensions.pop("referrals.heavy", None)  # no process cache: the database
            t = time.perf_counter()
            kept = second.get(path, headers=headers)
            times.append((time.perf_counter() - t) * 1000)
            assert kept.data == cold.data
        out[path] = {
            "cold_s": round(cold_s, 2),
            "kept_ms_p50": round(statistics.median(times), 2),
            "kept_ms_p95": round(pct(times, 95), 2),
            "bytes": len(cold.data),
        }
        print(path, out[path], file=sys.stderr, flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--stores", nargs="+", default=["sqlite"], choices=["sqlite", "neo4j"])
    parser.add_argument("--database-url", help="a loaded store (with --workspace) instead of loading one")
    parser.add_argument("--workspace", help="the workspace of --database-url")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--heap", default="6g")
    parser.add_argument("--cold-runs", type=int, default=3, help="computations of each answer, for the median")
    parser.add_argument("--baseline", action="store_true", help="also answer once from the whole snapshot")
    parser.add_argument("--out", type=Path, default=Path("bench/results-kept-answers.json"))
    args = parser.parse_args(argv)
    runs = []
    if args.database_url:
        store = open_store(args.database_url)
        store.init_schema()
        runs.append(measure(store, args.workspace, args.repeat, args.cold_runs, args.baseline))
        store.close()
    for kind in [] if args.database_url else args.stores:
        server = None
        if kind == "sqlite":
            store = open_store(f"sqlite:///{Path(tempfile.mkdtemp(prefix='referrals-bench-')) / 'bench.db'}")
        else:
            from tools.neo4j_server import Neo4jServer

            os.environ.setdefault("REFERRALS_NEO4J_PAGECACHE", "4g")
            server = Neo4jServer(heap=args.heap).start()
            store = open_store(server.url)
        try:
            store.init_schema()
            ws, _, _, load_s = load(store, generate(args.clients), contacts=True)
            runs.append(
                {
                    "clients": args.clients,
                    "load_s": round(load_s, 1),
                    **measure(store, ws, args.repeat, args.cold_runs, args.baseline),
                }
            )
        finally:
            store.close()
            if server is not None:
                server.stop()
    args.out.write_text(json.dumps({"runs": runs}, indent=2) + "\n")
    print(json.dumps({"runs": runs}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
