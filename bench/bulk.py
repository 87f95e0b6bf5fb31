"""Bulk writes: loading a forest, restoring its backup, migrating it between stores, in rows per second.

For each store, in one run (`--runs` times, the median reported with the spread):
* **load**: the benchmark forest of `bench/forest.py` (clients with an email and a phone each, their
  recommendations, a deal for every client with revenue) written through the bulk paths every import
  takes (`upsert_clients`, `add_referrals`, `upsert_deals`: every rule checked), in chunks of 50,000;
* **backup**: the workspace written to a backup file (not a target; reported because a migration reads it);
* **restore**: that backup read into an empty store (`referrals restore`'s path: every record written
  exactly, in batches, all or nothing);
* **migrate** (with `--migrate`): the workspace copied from a SQLite file into the store by `referrals
  migrate`'s path (restore, then both sides' checksums compared).

Rows are every record written (channels, clients, recommendations, deals). The same command run in a
checkout of an earlier commit (`--repo`, e.g. a `git worktree`) measures that code on the same forest in
the same go: this file stays the runner, the stores come from the checkout.

Results go to bench/results-bulk.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _measure(kind: str, n: int, runs: int, migrate: bool, neo4j_url: str | None, heap: str) -> dict[str, Any]:
    from bench.forest import generate
    from bench.measure import settings
    from bench.stores import BenchStores
    from bench.traversals import load
    from referrals.usecases import transfer

    forest = generate(n)
    stores = BenchStores(neo4j_url, heap)
    figures: dict[str, list[float]] = {"load": [], "backup": [], "restore": [], "migrate": []}
    failed: dict[str, str] = {}
    out: dict[str, Any] = {"store": kind, "clients": n}
    # What the restores and migrations read: the forest loaded into a SQLite file and backed up from it
    # (so a store whose own backup fails is still measured on the rest).
    source = stores.open("sqlite")
    ws, _, _, _ = load(source, forest, contacts=True)
    buf = io.BytesIO()
    rows = sum(transfer.backup(source, ws, buf).values())
    lines = buf.getvalue().splitlines(keepends=True)

    def timed(name: str, work: Callable[[], Any]) -> None:
        t = time.perf_counter()
        try:
            work()
        except Exception as e:  # a figure that fails is reported as such; the others still run
            failed[name] = f"{type(e).__name__}: {e}"[:300]
            return
        figures[name].append(time.perf_counter() - t)

    try:
        for run in range(runs):
            store = stores.open(kind)
            t = time.perf_counter()
            own, _, _, _ = load(store, forest, contacts=True)
            figures["load"].append(time.perf_counter() - t)
            timed("backup", lambda s=store, w=own: transfer.backup(s, w, io.BytesIO()))
            store = _emptied(stores, store, own)
            timed("restore", lambda s=store: transfer.restore(s, lines))
            if migrate:
                store = _emptied(stores, store, ws)
                timed("migrate", lambda s=store: transfer.migrate(source, s, ws))
            out["settings"] = settings(store)
            _emptied(stores, store, ws).close()  # the next run (or runner) on this server starts empty
            print(
                f"{kind} run {run + 1}: " + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in figures.items() if v),
                file=sys.stderr,
                flush=True,
            )
    finally:
        source.close()
        stores.close()
    out["rows"] = rows
    out["failed"] = failed
    for name, values in figures.items():
        if not values:
            continue
        median = statistics.median(values)
        out[name] = {
            "seconds": [round(v, 2) for v in values],
            "median_s": round(median, 2),
            "spread": round((max(values) - min(values)) / median, 3),
            "rows_per_s": round(rows / median),
        }
    return out


def _emptied(stores: Any, store: Any, ws: str) -> Any:
    """A store without the workspace for the next write: a new SQLite file; the same Neo4j server with
    the workspace (and whatever a failed write left of it) deleted."""
    if store.kind == "sqlite":
        store.close()
        return stores.open("sqlite")
    if any(w.id == ws for w in store.list_workspaces()):
        store.delete_workspace(ws, force=True)
    store.purge(ws)
    return store


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print JSON results (also written to --out)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--stores", nargs="+", default=["sqlite", "neo4j"], choices=["sqlite", "neo4j"])
    parser.add_argument("--migrate", action="store_true", help="also migrate from a SQLite file into each store")
    parser.add_argument("--neo4j-url", help="use this server instead of starting one")
    parser.add_argument("--heap", default="4g", help="heap of the Neo4j this script starts")
    parser.add_argument("--repo", type=Path, help="measure the stores of this checkout instead")
    parser.add_argument("--out", type=Path, default=Path("bench/results-bulk.json"))
    args = parser.parse_args(argv)
    if args.repo is not None:
        sys.path.insert(0, str(args.repo.resolve()))
    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "code": str(args.repo or "."),
        "runs": [],
    }
    for kind in args.stores:
        res = _measure(kind, args.clients, args.runs, args.migrate, args.neo4j_url, args.heap)
        results["runs"].append(res)
        print(json.dumps(res), file=sys.stderr, flush=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
