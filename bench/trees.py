"""Trees of a ~1,000-client branch on a store already loaded: this code against a baseline checkout.

    .venv/bin/python -m bench.trees --database-url sqlite:///big.db --workspace ws_… --root cl_… \\
        --baseline-repo /tmp/base --baseline-url sqlite:///big-copy.db

`store.tree(ws, root, 7)` of the same root (a client; `--channel` for a channel) is timed by each side in
its own process: the current code (this checkout) and, with `--baseline-repo`, the code of an earlier
commit (a `git worktree`), on `--baseline-url` (a copy of the SQLite file made before this code migrated
it; the same Neo4j server otherwise). Each process first checks that its tree has the size the other
side's has, warms up until its timings settle (bench/measure.py, at most `--warmup` calls), then times
`--repeat` calls; the sides alternate for `--rounds` rounds, so drift touches them alike. Reported: every
round's p50 and p95, their medians (what a target is judged on), spreads, and the ratio current /
baseline of the medians; written to `--out` (JSON, appended to the runs already there).

The forest is the one of bench/forest.py, loaded once by bench.traversals.load (a million clients take
~3 minutes on SQLite, ~6 on Neo4j): loading it again for every code version would cost more than the
measurement, so this runner takes a store that holds it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

# The timing one side runs in its own process, importing the store from the checkout it is started in.
# Written against the interface both sides have (open_store, Store.tree, bench.measure).
_CHILD = """
import json, sys
from graph import open_store
from bench.measure import settle, timed, pct, settings
from referrals.model import SourceKind, SourceRef
url, ws, root_id, kind, depth, repeat, warmup = sys.argv[1:8]
store = open_store(url)
root = SourceRef(SourceKind(kind), root_id)
depth = int(depth)
tree = store.tree(ws, root, depth)
warmed = settle(lambda: store.tree(ws, root, depth), max_calls=int(warmup))
ms = timed(lambda: store.tree(ws, root, depth), int(repeat))
print(json.dumps({
    "nodes": len(tree.nodes),
    "beyond": getattr(getattr(tree, "beyond", None), "clients", None),
    "warmup_calls": warmed,
    "p50": round(pct(ms, 50), 3),
    "p95": round(pct(ms, 95), 3),
    "settings": settings(store),
}))
store.close()
"""


def side(repo: Path, url: str, args: argparse.Namespace) -> dict[str, Any]:
    """One round of one side: a fresh process in `repo`, its figures."""
    argv = [url, args.workspace, args.root, "channel" if args.channel else "client", str(args.depth)]
    argv += [str(args.repeat), str(args.warmup)]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, *argv], cwd=repo, env=env, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"the side in {repo} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="the store holding the forest (this code)")
    parser.add_argument("--workspace", required=True)
    parser.add_argument("--root", required=True, help="the id of the tree's root")
    parser.add_argument("--channel", action="store_true", help="the root is a channel")
    parser.add_argument("--depth", type=int, default=7)
    parser.add_argument("--baseline-repo", type=Path, help="a checkout of the code to compare with")
    parser.add_argument("--baseline-url", help="the store the baseline reads (default: --database-url)")
    parser.add_argument("--repeat", type=int, default=300, help="timed calls per round and side")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=200, help="most warm-up calls before the timings settle")
    parser.add_argument("--out", type=Path, default=Path("bench/results-trees.json"))
    args = parser.parse_args(argv)

    here = Path(__file__).resolve().parent.parent
    sides = {"current": (here, args.database_url)}
    if args.baseline_repo is not None:
        sides["baseline"] = (args.baseline_repo.resolve(), args.baseline_url or args.database_url)
    per_round: dict[str, list[dict[str, Any]]] = {name: [] for name in sides}
    for r in range(args.rounds):
        for name in sorted(sides, reverse=r % 2 == 1):  # baseline first, then current first, in turn
            repo, url = sides[name]
            got = side(repo, url, args)
            per_round[name].append(got)
            print(f"round {r + 1} {name}: p50 {got['p50']} ms, p95 {got['p95']} ms", file=sys.stderr, flush=True)
    run: dict[str, Any] = {
        "day": time.strftime("%Y-%m-%d %H:%M"),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=here, capture_output=True, text=True, check=False
        ).stdout.strip(),
        "root": args.root,
        "depth": args.depth,
        "repeat": args.repeat,
        "rounds": args.rounds,
    }
    for name, results in per_round.items():
        sizes = {(x["nodes"], x["beyond"]) for x in results}
        p50s, p95s = [x["p50"] for x in results], [x["p95"] for x in results]
        run[name] = {
            "code": str(sides[name][0]),
            "nodes": results[0]["nodes"],
            "beyond": results[0]["beyond"],
            "same_size_every_round": len(sizes) == 1,
            "warmup_calls": [x["warmup_calls"] for x in results],
            "p50_per_round": p50s,
            "p95_per_round": p95s,
            "p50": statistics.median(p50s),
            "p95": statistics.median(p95s),
            "p95_spread": round((max(p95s) - min(p95s)) / statistics.median(p95s), 3),
            "settings": results[0]["settings"],
        }
    if "baseline" in run:
        if run["baseline"]["nodes"] != run["current"]["nodes"]:
            raise SystemExit("the two sides' trees differ in size: not the same data")
        run["p95_ratio"] = round(run["current"]["p95"] / run["baseline"]["p95"], 3)
        run["p50_ratio"] = round(run["current"]["p50"] / run["baseline"]["p50"], 3)
    kept = json.loads(args.out.read_text()) if args.out.exists() else {"runs": []}
    kept["runs"].append(run)
    args.out.write_text(json.dumps(kept, indent=2) + "\n")
    print(json.dumps(run, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
