"""Import benchmark: 100k recommendations from a CSV file, against one transaction per row, same run.

For each store: 100k clients are loaded first (bulk upsert, not timed as part of the import), then
* **import**: `referrals import` of a referrals CSV of 100k rows (who recommended whom, with dates) —
  read, checked against the workspace (cycles, duplicates, unknown names) and written in one
  transaction — timed end to end through the same code path as the command;
* **xlsx import**: the same rows as an .xlsx workbook (written by openpyxl, not timed), imported the same way
  into a third workspace holding the same clients (`--no-xlsx` skips it, e.g. on a commit without it);
* **undo**: `referrals import undo` of the CSV import (every dependency checked, 99,999 recommendations
  removed in one transaction), when the store has import batches;
* **baseline**: the same rows recorded one by one with `store.record_referral`, one transaction each
  (every rule checked per row), over the first `--baseline-rows` rows in a second workspace holding the
  same clients; its rows/s is the rate of that sample.

Results go to bench/results-imports.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.measure import settings
from bench.stores import BenchStores
from referrals.importing import Parsed, plan_files, read_file
from referrals.model import ClientInput, ReferralInput, SourceKind, SourceRef
from referrals.store import Store


def forest_csv(n: int, seed: int) -> tuple[str, list[tuple[int, int, date]]]:
    """A referrals CSV: client i recommended by a random earlier client (by external id)."""
    rng = random.Random(seed)
    rows = []
    lines = ["client,referred by,referred on"]
    for i in range(1, n):
        parent = rng.randrange(max(0, i - 50), i) if rng.random() < 0.3 else rng.randrange(i)
        on = date(2020, 1, 1) + timedelta(days=i * 1500 // n)
        rows.append((parent, i, on))
        lines.append(f"e{i},e{parent},{on.isoformat()}")
    return "\n".join(lines) + "\n", rows


def load_clients(store: Store, ws: str, n: int) -> list[str]:
    ids: list[str] = []
    for start in range(0, n, 10_000):
        batch = [ClientInput(name=f"client {i}", external_id=f"e{i}") for i in range(start, min(n, start + 10_000))]
        ids += store.upsert_clients(ws, batch).ids
    return ids


def as_xlsx(text: str) -> bytes:
    """The CSV's rows as one sheet of a workbook, the date column as date cells."""
    import io

    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Referrals")
    lines = text.splitlines()
    sheet.append(lines[0].split(","))
    for line in lines[1:]:
        client, source, on = line.split(",")
        sheet.append([client, source, date.fromisoformat(on)])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def timed_import(store: Store, ws: str, name: str, data: bytes) -> tuple[float, str | None]:
    t = time.perf_counter()
    parsed: Parsed = read_file(name, data)
    changes = store.run_import(ws, lambda view: plan_files(parsed, view))
    took = time.perf_counter() - t
    assert not changes.problems, changes.problems[:3]
    return took, getattr(changes, "batch", None)


def measure(store: Store, n: int, baseline_rows: int, xlsx: bool = True) -> dict[str, Any]:
    text, rows = forest_csv(n, seed=n)
    ws = store.create_workspace("import bench").id
    load_clients(store, ws, n)
    import_s, batch = timed_import(store, ws, "referrals.csv", text.encode())
    assert len(store.snapshot(ws).referrals) == n - 1
    undo_s = None
    if batch is not None:
        t = time.perf_counter()
        store.undo_import(ws, batch)
        undo_s = time.perf_counter() - t
        assert store.snapshot(ws).referrals == ()
    xlsx_s = None
    if xlsx:
        book = as_xlsx(text)
        third = store.create_workspace("xlsx import").id
        load_clients(store, third, n)
        xlsx_s, _ = timed_import(store, third, "referrals.xlsx", book)
        assert len(store.snapshot(third).referrals) == n - 1
    other = store.create_workspace("baseline").id
    ids = load_clients(store, other, n)
    t = time.perf_counter()
    for parent, child, on in rows[:baseline_rows]:
        store.record_referral(other, ReferralInput(SourceRef(SourceKind.CLIENT, ids[parent]), ids[child], on))
    baseline_s = time.perf_counter() - t
    import_rate = (n - 1) / import_s
    baseline_rate = baseline_rows / baseline_s
    return {
        "rows": n - 1,
        "import_s": round(import_s, 2),
        "import_rows_per_s": round(import_rate),
        **(
            {"xlsx_import_s": round(xlsx_s, 2), "xlsx_import_rows_per_s": round((n - 1) / xlsx_s)}
            if xlsx_s is not None
            else {}
        ),
        **({"undo_s": round(undo_s, 2)} if undo_s is not None else {}),
        "baseline_rows": baseline_rows,
        "baseline_s": round(baseline_s, 2),
        "baseline_rows_per_s": round(baseline_rate, 1),
        "speedup": round(import_rate / baseline_rate, 1),
        "settings": settings(store),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print JSON results (also written to --out)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=2_000)
    parser.add_argument("--stores", nargs="+", default=["neo4j", "sqlite"], choices=["sqlite", "neo4j"])
    parser.add_argument("--neo4j-url", help="use this server instead of starting one")
    parser.add_argument("--heap", default="4g", help="heap of the Neo4j this script starts")
    parser.add_argument("--out", type=Path, default=Path("bench/results-imports.json"))
    parser.add_argument("--no-xlsx", action="store_true", help="skip the .xlsx import")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "runs": [],
    }
    stores = BenchStores(args.neo4j_url, args.heap)
    try:
        for kind in args.stores:
            store = stores.open(kind)
            res = {"store": kind, **measure(store, args.rows, args.baseline_rows, not args.no_xlsx)}
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
