"""Attribution benchmark: a month with ~100k deals on a synthetic 1M-client graph, on both stores.

For each store, in the same run:
* **export**: what `referrals attribution export` does for an open month: one store query for the
  month's deals, arrivals and uplines, then the statement and the CSV bytes;
* **floor**: the same statement and CSV computed from the same facts already in memory (no store);
* **peer**: a one-query-per-deal implementation: the month's deals listed page by page, then one chain
  query per deal (`store.chain(ws, payer)`, the whole chain) and the same statement;
* **closed**: the export of the same month after `close_month` (frozen facts read back and verified).

All three produce the same credits (checked). Results go to bench/results-attribution.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench.forest import generate
from bench.measure import settings, spread
from bench.stores import BenchStores
from bench.traversals import load
from referrals.attribution import DealFacts, Model, PeriodFacts, Step, month_range, statement
from referrals.model import DealInput, DealQuery
from referrals.money import Money
from referrals.reports import render, statement_rows
from referrals.store import Store

MONTH = "2024-06"
CHUNK = 10_000


def add_month_deals(store: Store, ws: str, ids: list[str], n: int, seed: int) -> float:
    """`n` deals in MONTH for clients drawn at random (some pay several times), some of them refunds."""
    rng = random.Random(seed)
    start, end = month_range(MONTH)
    span = (end - start).days + 1
    rows = []
    for k in range(n):
        amount = rng.randrange(1_000, 200_000) * (-1 if rng.random() < 0.03 else 1)
        day = date.fromordinal(start.toordinal() + rng.randrange(span))
        rows.append(DealInput(ids[rng.randrange(len(ids))], Money(amount, "EUR"), day, external_id=f"m{k}"))
    t = time.perf_counter()
    for i in range(0, n, CHUNK):
        store.upsert_deals(ws, rows[i : i + CHUNK])
    return time.perf_counter() - t


def export_bytes(facts: PeriodFacts) -> bytes:
    """The statement and its CSV bytes, as the CLI export makes them."""
    columns, rows = statement_rows(statement(facts, Model.LINEAR))
    return render(columns, rows, "csv")


def peer(store: Store, ws: str) -> bytes:
    """One query per deal: list the month's deals, then fetch each payer's chain on its own."""
    start, end = month_range(MONTH)
    deals = []
    after = None
    while True:
        page = store.list_deals(ws, DealQuery(closed_from=start, closed_to=end, limit=500, after=after))
        deals += page.items
        if page.next_after is None:
            break
        after = page.next_after
    facts = []
    for d in deals:
        chain = store.chain(ws, d.client_id)
        upline = tuple(Step(s.source, s.name, s.referred_on) for s in chain.steps)
        facts.append((DealFacts(d.id, d.client_id, d.amount.minor, d.amount.currency, d.closed_on), upline))
    return export_bytes(PeriodFacts(start, end, tuple(facts)))


def timed(fn: Any, repeat: int) -> tuple[list[float], Any]:
    """`repeat` timings of `fn` and its last result. The previous call's result is let go before the
    clock starts: freeing it (a month's facts are ~10^6 objects) is not the next call's work."""
    out = None
    times = []
    for _ in range(repeat):
        out = None
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return times, out


def measure(
    store: Store,
    n: int,
    deals: int,
    repeat: int,
    chunk: int = 50_000,
    loaded: str | None = None,
    with_peer: bool = True,
) -> dict[str, Any]:
    """Every figure on one store: a forest of `n` clients loaded first, or the workspace `loaded` holds
    (loaded before by a runner of bench/); the month's deals are upserted either way (same ids, same
    rows), and the month is reopened at the end, so a loaded store can be measured again."""
    if loaded is None:
        print(f"loading {n} clients ...", file=sys.stderr, flush=True)
        ws, ids, _, load_s = load(store, generate(n), chunk)
    else:
        ws, load_s = loaded, 0.0
        ids = store.read(lambda u: u.graph.client_ids(loaded))
        if any(m.month == MONTH for m in store.list_closed_months(ws)):  # left closed by a run cut short
            store.reopen_month(ws, MONTH)
        n = len(ids)
    deals_s = add_month_deals(store, ws, ids, deals, seed=n)
    print(f"loaded in {load_s:.0f} s + {deals_s:.0f} s for the month's deals", file=sys.stderr, flush=True)

    def export() -> bytes:
        facts, closed = store.month_facts(ws, MONTH)
        assert closed is None
        return export_bytes(facts)  # the facts are freed as the call returns, inside its time

    export(), export()  # warm up
    export_t, export_out = timed(export, repeat)
    facts = store.month_facts(ws, MONTH)[0]
    floor_t, floor_out = timed(lambda: export_bytes(facts), repeat)
    query_t, _ = timed(lambda: store.month_facts(ws, MONTH), repeat)
    if with_peer:
        print("peer (one query per deal) ...", file=sys.stderr, flush=True)
        peer_t, peer_out = timed(lambda: peer(store, ws), 1)
        # the peer has no `active` flags and no arrivals: compare the credit columns only
        assert _credits(peer_out) == _credits(export_out), "peer and export disagree"
    else:
        peer_t = []
    assert floor_out == export_out
    t = time.perf_counter()
    closed = store.close_month(ws, MONTH)
    close_s = time.perf_counter() - t
    frozen_t, (frozen_out, _) = timed(lambda: (export_bytes(store.month_facts(ws, MONTH)[0]), None), repeat)
    assert frozen_out == export_out
    store.reopen_month(ws, MONTH)
    med = statistics.median
    figures = {"export": export_t, "export_query": query_t, "floor": floor_t, "closed_export": frozen_t}
    return {
        "clients": n,
        "month_deals": len(facts.deals),
        "month_arrivals": len(facts.arrivals),
        "mean_upline_steps": round(sum(len(u) for _, u in facts.deals) / max(1, len(facts.deals)), 2),
        "load_s": round(load_s, 1),
        "month_deals_load_s": round(deals_s, 1),
        "export_s": round(med(export_t), 3),
        "export_query_s": round(med(query_t), 3),
        "floor_s": round(med(floor_t), 3),
        "peer_s": round(peer_t[0], 1) if peer_t else None,
        "close_s": round(close_s, 2),
        "closed_export_s": round(med(frozen_t), 3),
        "export_over_floor": round(med(export_t) / med(floor_t), 2),
        "peer_over_export": round(peer_t[0] / med(export_t), 1) if peer_t else None,
        "checksum": closed.checksum,
        "repeat": repeat,
        # every run of each figure (the figures above are their medians) and how far the runs are apart
        "runs_s": {name: [round(x, 3) for x in runs] for name, runs in figures.items()},
        "spread": {name: spread(runs) for name, runs in figures.items()},
        "settings": settings(store),
    }


def _credits(data: bytes) -> list[tuple[str, ...]]:
    lines = data.decode().splitlines()
    head = lines[0].split(",")
    keep = [head.index(c) for c in ("source_id", "amount_minor", "deals", "level_1", "level_7", "above_level_7")]
    rows = [line.split(",") for line in lines[1:]]
    return sorted(tuple(r[i] for i in keep) for r in rows if r[head.index("amount")] != "0")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print JSON results (also written to --out)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--stores", nargs="+", default=["sqlite", "neo4j"], choices=["sqlite", "neo4j"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--neo4j-url", help="use this server instead of starting one")
    parser.add_argument("--heap", default="6g", help="heap of the Neo4j this script starts")
    parser.add_argument("--out", type=Path, default=Path("bench/results-attribution.json"))
    parser.add_argument("--database-url", help="a store loaded by a runner of bench/ (with --workspace)")
    parser.add_argument("--workspace", help="the loaded workspace of --database-url")
    parser.add_argument("--no-peer", action="store_true", help="skip the one-query-per-deal peer (minutes at 1M)")
    args = parser.parse_args(argv)
    if args.database_url:
        from graph import open_store

        store = open_store(args.database_url)
        store.init_schema()
        res = {
            "store": store.kind,
            **measure(store, 0, args.deals, args.repeat, loaded=args.workspace, with_peer=not args.no_peer),
        }
        store.close()
        args.out.write_text(json.dumps({"month": MONTH, "model": "linear", "runs": [res]}, indent=2) + "\n")
        print(json.dumps(res, indent=2))
        return 0
    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "month": MONTH,
        "model": "linear",
        "runs": [],
    }
    stores = BenchStores(args.neo4j_url, args.heap)
    try:
        for kind in args.stores:
            store = stores.open(kind)
            res = {"store": kind, **measure(store, args.clients, args.deals, args.repeat, with_peer=not args.no_peer)}
            results["runs"].append(res)
            print(json.dumps(res), file=sys.stderr, flush=True)
            store.close()
    finally:
        stores.close()
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
