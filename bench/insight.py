"""Benchmark the insight views on a big forest: the as-of tree(7) of a ~1,000-client branch against
today's tree(7) of the same branch, and growth over 24 months.

    .venv/bin/python -m bench.insight --clients 1000000 --stores sqlite neo4j

The forest (bench/forest.py: dated recommendations over 3,000 days from 2018-01-01, deals dated with
them) is loaded once per store through the bulk writes. Then, in the same run:
* tree(7) of the branch today and as of a day (as of today, which gives the same tree and is checked,
  and as of the middle of the forest's history): each warmed up until its timings settle (bench/measure.py,
  at most `--warmup` calls), then `--rounds` rounds of `--repeat` calls each, the kinds alternating round
  by round; every round's p50 and p95, their medians and spreads, and the store's settings are reported;
* growth (`Store.network_growth`, 24 months up to the forest's last month), `--growth-runs` times;
* the integrity check (`Store.integrity_check`, default thresholds), `--check-runs` times. Clients carry
  an email and a phone here (every 1,000th shares its phone with the one before it).
Neo4j runs in a server this script starts (heap `--heap`, page cache 4g), as bench.traversals does.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench.forest import branch_near, generate
from bench.measure import pct, settings, settle, spread, timed
from bench.traversals import load
from referrals.growth import month_of
from referrals.model import SourceKind, SourceRef
from referrals.store import Store


def measure(store: Store, n: int, args: argparse.Namespace) -> dict[str, Any]:
    forest = generate(n)
    print(f"{store.kind} {n}: loading ...", file=sys.stderr, flush=True)
    ws, ids, _, load_s = load(store, forest, contacts=True)
    print(f"{store.kind} {n}: loaded in {load_s:.0f} s; finding the branch ...", file=sys.stderr, flush=True)
    branch, reach = branch_near(forest, 1000)
    root = SourceRef(SourceKind.CLIENT, ids[branch])
    today = date.today()
    # halfway between the branch's root coming in and the forest's last day (a root nobody brought in
    # was recorded today, so it has no earlier day: then the middle is today as well)
    start, end = forest.referred_on[branch], max(forest.referred_on)
    mid = start + (end - start) / 2 if forest.parent[branch] is not None else today
    assert store.tree(ws, root, 7, today) == store.tree(ws, root, 7)
    mid_nodes = len(store.tree(ws, root, 7, mid).nodes)
    kinds = {
        "today": lambda: store.tree(ws, root, 7),
        "as_of_today": lambda: store.tree(ws, root, 7, today),
        "as_of_mid": lambda: store.tree(ws, root, 7, mid),
    }
    print(f"{store.kind} {n}: branch of {reach}; timing trees ...", file=sys.stderr, flush=True)
    warmed = {k: settle(fn, max_calls=args.warmup) for k, fn in kinds.items()}
    p50s: dict[str, list[float]] = {k: [] for k in kinds}
    rounds: dict[str, list[float]] = {k: [] for k in kinds}
    for _ in range(args.rounds):  # the kinds alternate round by round, so drift touches them alike
        for k, fn in kinds.items():
            t = timed(fn, args.repeat)
            p50s[k].append(round(pct(t, 50), 2))
            rounds[k].append(round(pct(t, 95), 2))
    print(f"{store.kind} {n}: timing growth ...", file=sys.stderr, flush=True)
    last = month_of(max(forest.referred_on))
    growth_s = []
    for _ in range(args.growth_runs):
        t = time.perf_counter()
        g = store.network_growth(ws, 24, 3, last)
        growth_s.append(round(time.perf_counter() - t, 2))
    print(f"{store.kind} {n}: timing the integrity check ...", file=sys.stderr, flush=True)
    check_s = []
    for _ in range(args.check_runs):
        t = time.perf_counter()
        report = store.integrity_check(ws)
        check_s.append(round(time.perf_counter() - t, 2))
    res: dict[str, Any] = {
        "store": store.kind,
        "clients": n,
        "load_seconds": round(load_s, 1),
        "branch_reach_7": reach,
        "as_of_mid": mid.isoformat(),
        "as_of_mid_nodes": mid_nodes,
        "settings": settings(store),
        "tree7_warmup_calls": warmed,
        "tree7_p50_ms_per_round": p50s,
        "tree7_p95_ms_per_round": rounds,
        "tree7_p95_ms_median": {k: statistics.median(v) for k, v in rounds.items()},
        "tree7_p95_spread": {k: spread(v) for k, v in rounds.items()},
        "growth_24_months_s": growth_s,
        "growth_cohort_clients": sum(c.new_clients for c in g.cohorts),
        "growth_24_months_s_median": statistics.median(growth_s),
        "integrity_check_s": check_s,
        "integrity_check_s_median": statistics.median(check_s),
        "integrity_findings": {rule: c["open"] for rule, c in report.counts().items()},
    }
    med = res["tree7_p95_ms_median"]
    res["as_of_today_over_today"] = round(med["as_of_today"] / med["today"], 2)
    res["as_of_mid_over_today"] = round(med["as_of_mid"] / med["today"], 2)
    return res


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--stores", nargs="+", default=["sqlite", "neo4j"], choices=["sqlite", "neo4j"])
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=100, help="most warm-up calls before the timings settle")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--growth-runs", type=int, default=3)
    parser.add_argument("--check-runs", type=int, default=3)
    parser.add_argument("--heap", default="6g")
    parser.add_argument("--out", type=Path, default=Path("bench/results-insight.json"))
    args = parser.parse_args(argv)
    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "runs": [],
    }
    if args.out.exists():  # earlier runs stay: each run says its commit and day
        results["runs"] = json.loads(args.out.read_text()).get("runs", [])
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    server = None
    try:
        for kind in args.stores:
            if kind == "sqlite":
                from graph.sqlite import SqliteStore

                store: Store = SqliteStore(Path(tempfile.mkdtemp(prefix="referrals-bench-")) / "bench.db")
            else:
                from graph.neo4j import Neo4jStore
                from tools.neo4j_server import Neo4jServer

                os.environ.setdefault("REFERRALS_NEO4J_PAGECACHE", "4g")
                server = Neo4jServer(heap=args.heap).start()
                store = Neo4jStore(server.url)
            store.init_schema()
            res = measure(store, args.clients, args) | {"commit": commit, "date": date.today().isoformat()}
            if kind == "neo4j":
                res["neo4j"] = {"heap": args.heap, "pagecache": os.environ.get("REFERRALS_NEO4J_PAGECACHE")}
            results["runs"].append(res)
            print(json.dumps(res), file=sys.stderr, flush=True)
            store.close()
    finally:
        if server is not None:
            server.stop()
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
