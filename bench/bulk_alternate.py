"""Load and backup of the bench forest on one running store, a run per process, for alternating checkouts.

`bench.bulk` starts from an empty store each run and names its workspace `bench-<n>`; on a server shared
by two checkouts run in turn this one gives each load a workspace of its own, backs it up `--backups`
times, and removes the workspace afterwards:

    .venv/bin/python -m bench.bulk_alternate --repo /tmp/base --database-url neo4j://127.0.0.1:7698
    .venv/bin/python -m bench.bulk_alternate --repo . --database-url neo4j://127.0.0.1:7698

Prints one JSON line: the checkout, seconds to load (rows and rows/s), each backup's seconds and size.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, required=True, help="the checkout whose store code is measured")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--backups", type=int, default=3)
    args = parser.parse_args(argv)
    runner = Path(__file__).resolve().parents[1]
    sys.path[:0] = [str(args.repo.resolve()), str(runner)]  # the store from the checkout, the forest from here
    from bench.forest import generate
    from bench.traversals import load
    from graph import open_store
    from referrals.usecases import transfer

    assert Path(transfer.__file__).resolve().is_relative_to(args.repo.resolve()), "the store code is not the checkout's"

    store = open_store(args.database_url)
    store.init_schema()
    make = store.create_workspace
    store.create_workspace = lambda name: make(f"{name} {time.time_ns()}")  # type: ignore[method-assign]
    forest = generate(args.clients)
    t = time.perf_counter()
    ws, _, _, _ = load(store, forest, contacts=True)
    loaded = time.perf_counter() - t
    backups, size, rows = [], 0, 0
    for _ in range(args.backups):
        out = io.BytesIO()
        t = time.perf_counter()
        rows = sum(transfer.backup(store, ws, out).values())
        backups.append(round(time.perf_counter() - t, 2))
        size = len(out.getvalue())
    if args.database_url.startswith("neo4j"):
        store._purge(ws)  # type: ignore[attr-defined]
    else:
        store.delete_workspace(ws, force=True)
    store.close()
    print(
        json.dumps(
            {
                "code": str(args.repo),
                "store": args.database_url.split(":")[0],
                "clients": args.clients,
                "rows": rows,
                "load_s": round(loaded, 2),
                "load_rows_per_s": round(rows / loaded),
                "backup_s": backups,
                "backup_bytes": size,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
