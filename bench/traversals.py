"""Benchmark chain(7) and tree(7) on both stores against a trivial query and against networkx.

    .venv/bin/python -m bench.traversals --sizes 10000 100000 1000000 --stores sqlite neo4j

For each store and size it loads a synthetic forest (bench/forest.py) through the store's bulk
writes, then measures, in the same run:
* chain(client, 7) for a sample of clients, and tree(root, 7) of a branch of about 1,000 clients
  and of random clients;
* (a) the bare round trip of a trivial query through the same read path (same driver, same kind of
  transaction) and, for Neo4j, an auto-commit `RETURN 1` as well;
* (b) the same answers computed by networkx on the graph already in memory.
Each figure is warmed up until its timings settle (at most `--warmup` calls), then timed in `--rounds`
rounds of `--repeat` calls, the figures alternating round by round (bench/measure.py); the medians of
the rounds' p50 and p95 are the figures, with their spreads and the store's settings.
Neo4j runs in a server this script starts with a larger heap than the tests use.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import networkx as nx

from bench.forest import Forest, branch_near, generate
from bench.measure import pct, settings, settle, spread, timed
from referrals.model import ChannelInput, ClientInput, DealInput, ReferralInput, SourceKind, SourceRef
from referrals.money import Money
from referrals.store import Store

CHUNK = 50_000


def _client(i: int, contacts: bool) -> ClientInput:
    """Client i; with `contacts`, an email and a phone each (every 1,000th shares its phone with the one
    before it: findings for the integrity check)."""
    if not contacts:
        return ClientInput(name=f"client {i}", external_id=str(i))
    phone = i - 1 if i % 1000 == 999 else i
    return ClientInput(
        name=f"client {i}", external_id=str(i), email=f"client.{i}@example.org", phone=f"+7916{phone:07d}"
    )


def load(
    store: Store, forest: Forest, chunk: int = CHUNK, contacts: bool = False
) -> tuple[str, list[str], list[str], float]:
    """Write the forest through the bulk paths, in chunks; returns ws, client ids, channel ids, seconds."""
    t = time.perf_counter()
    ws = store.create_workspace(f"bench-{forest.n}").id
    channels = [store.create_channel(ws, ChannelInput(name=f"channel {j}")).id for j in range(20)]
    ids: list[str] = []
    for start in range(0, forest.n, chunk):
        rows = [_client(i, contacts) for i in range(start, min(forest.n, start + chunk))]
        ids += store.upsert_clients(ws, rows).ids
    refs = []
    for i, p in enumerate(forest.parent):
        if p is None:
            continue
        src = (
            SourceRef(SourceKind.CLIENT, ids[p[1]])
            if p[0] == "client"
            else SourceRef(SourceKind.CHANNEL, channels[p[1]])
        )
        refs.append(ReferralInput(src, ids[i], forest.referred_on[i]))
    for start in range(0, len(refs), chunk):  # 50,000 a transaction: Neo4j's test server times out at 60 s
        store.add_referrals(ws, refs[start : start + chunk])
    deals = [
        DealInput(ids[i], Money(m, "EUR"), forest.referred_on[i], external_id=f"d{i}")
        for i, m in enumerate(forest.revenue)
        if m
    ]
    for start in range(0, len(deals), chunk):
        store.upsert_deals(ws, deals[start : start + chunk])
    return ws, ids, channels, time.perf_counter() - t


def trivial_read(store: Store) -> Callable[[], Any]:
    """A trivial query through the same read path the traversals use."""
    from graph.neo4j import Neo4jStore
    from graph.sqlite import SqliteStore

    if isinstance(store, Neo4jStore):
        return lambda: store.query(lambda u: u.workspaces._run("RETURN 1 AS one"))  # type: ignore[attr-defined]
    assert isinstance(store, SqliteStore)
    return lambda: store.query(lambda u: u.workspaces._run("SELECT 1").fetchone())  # type: ignore[attr-defined]


def measure(
    store: Store, forest: Forest, repeat: int, rng: random.Random, rounds: int = 3, warmup: int = 100
) -> dict[str, Any]:
    """All timings for one store and one forest."""
    ws, ids, channels, load_s = load(store, forest)
    g = forest.graph()
    names = {i: ids[i] for i in range(forest.n)}
    sample = rng.sample(range(forest.n), min(repeat, forest.n))
    deep = sample
    branch, branch_size = branch_near(forest, 1000)

    def nx_chain(i: int) -> list[Any]:
        out, node = [], i
        for _ in range(7):
            preds = list(g.predecessors(node))
            if not preds:
                break
            node = preds[0]
            out.append(node)
        return out

    def nx_tree(i: int) -> dict[Any, int]:
        return nx.single_source_shortest_path_length(g, i, cutoff=7)

    def cycling(fn: Callable[[Any], Any], items: list[Any]) -> Callable[[], Any]:
        """A call of `fn` on the next item, round and round."""
        it = itertools.cycle(items)
        return lambda: fn(next(it))

    root = SourceRef(SourceKind.CLIENT, names[branch])
    today = date.today()
    # as of a day: the same branch through the as-of path (every recommendation read, that day's primary
    # sources picked in Python); as of today it is the same tree, which is checked first
    assert store.tree(ws, root, 7, today) == store.tree(ws, root, 7)
    figures: dict[str, tuple[Callable[[], Any], int]] = {
        "trivial": (trivial_read(store), repeat),
        **({"ping": (store.ping, repeat)} if store.kind == "neo4j" else {}),
        "chain": (cycling(lambda i: store.chain(ws, names[i], 7), deep), len(deep)),
        "nx_chain": (cycling(nx_chain, deep), len(deep)),
        "tree_branch": (lambda: store.tree(ws, root, 7), repeat),
        "tree_branch_as_of": (lambda: store.tree(ws, root, 7, today), repeat),
        "chain_as_of": (cycling(lambda i: store.chain(ws, names[i], 7, today), deep), len(deep)),
        "nx_tree_branch": (lambda: nx_tree(branch), repeat),
        "tree_random": (
            cycling(lambda i: store.tree(ws, SourceRef(SourceKind.CLIENT, names[i]), 7), sample),
            len(sample),
        ),
        "nx_tree_random": (cycling(nx_tree, sample), len(sample)),
    }
    res: dict[str, Any] = {"clients": forest.n, "load_seconds": round(load_s, 1), "branch_size": branch_size}
    res["settings"] = settings(store)
    res["warmup_calls"] = {k: settle(fn, max_calls=warmup) for k, (fn, _) in figures.items()}
    for k in figures:
        res[k + "_ms"] = []
    for _ in range(rounds):  # the figures alternate round by round, so drift touches them alike
        for k, (fn, count) in figures.items():
            res[k + "_ms"].append(timed(fn, count))
    sizes = [len(store.tree(ws, SourceRef(SourceKind.CLIENT, names[i]), 7).nodes) for i in sample[:50]]
    res["tree_random_mean_size"] = round(statistics.mean(sizes), 1)
    depth_hist = [len(store.chain(ws, names[i], 7).steps) for i in sample[:200]]
    res["chains_at_cap_share"] = round(sum(1 for d in depth_hist if d == 7) / len(depth_hist), 3)
    return res


def summarize(res: dict[str, Any]) -> dict[str, Any]:
    """Per figure: every round's p50 and p95, their medians (`p50`, `p95`: what targets are judged on) and
    spreads; and the ratios of the medians."""
    out = {k: v for k, v in res.items() if not k.endswith("_ms")}
    med: dict[str, dict[str, float]] = {}
    for k, per_round in res.items():
        if k.endswith("_ms"):
            p50s = [round(pct(v, 50), 3) for v in per_round]
            p95s = [round(pct(v, 95), 3) for v in per_round]
            name = k.removesuffix("_ms")
            med[name] = {"p50": statistics.median(p50s), "p95": statistics.median(p95s)}
            out[name] = {
                **med[name],
                "p50_per_round": p50s,
                "p95_per_round": p95s,
                "p50_spread": spread(p50s),
                "p95_spread": spread(p95s),
            }

    def ratio(a: str, b: str, q: str = "p95", digits: int = 2) -> float:
        return round(med[a][q] / max(med[b][q], 1e-6), digits)

    out["chain_p95_over_trivial_p95"] = ratio("chain", "trivial")
    if "ping" in med:
        out["chain_p95_over_ping_p95"] = ratio("chain", "ping")
    out["chain_p95_over_networkx_p95"] = ratio("chain", "nx_chain", digits=1)
    out["tree_branch_as_of_p95_over_tree_branch_p95"] = ratio("tree_branch_as_of", "tree_branch")
    out["chain_as_of_p95_over_chain_p95"] = ratio("chain_as_of", "chain")
    out["tree_branch_p95_over_networkx_p95"] = ratio("tree_branch", "nx_tree_branch", digits=1)
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print JSON results (also written to --out)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--stores", nargs="+", default=["sqlite", "neo4j"], choices=["sqlite", "neo4j"])
    parser.add_argument("--repeat", type=int, default=300, help="calls per figure and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every figure, alternating")
    parser.add_argument("--warmup", type=int, default=100, help="most warm-up calls before the timings settle")
    parser.add_argument("--neo4j-url", help="use this server instead of starting one")
    parser.add_argument("--heap", default="6g", help="heap of the Neo4j this script starts")
    parser.add_argument("--out", type=Path, default=Path("bench/results-traversals.json"))
    args = parser.parse_args(argv)

    import os

    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "runs": [],
    }
    server = None
    try:
        for store_kind in args.stores:
            for n in args.sizes:
                rng = random.Random(n)
                forest = generate(n)
                if store_kind == "sqlite":
                    from graph.sqlite import SqliteStore

                    tmp = tempfile.mkdtemp(prefix="referrals-bench-")
                    store: Store = SqliteStore(Path(tmp) / "bench.db")
                else:
                    from graph.neo4j import Neo4jStore

                    if args.neo4j_url is None and server is None:
                        from tools.neo4j_server import Neo4jServer

                        os.environ.setdefault("REFERRALS_NEO4J_PAGECACHE", "4g")
                        server = Neo4jServer(heap=args.heap).start()
                    store = Neo4jStore(args.neo4j_url or server.url)  # type: ignore[union-attr]
                store.init_schema()
                print(f"{store_kind} {n}: loading ...", file=sys.stderr, flush=True)
                res = summarize(measure(store, forest, args.repeat, rng, args.rounds, args.warmup))
                res["store"] = store_kind
                if server is not None and store_kind == "neo4j":
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
