"""Render bench/results-traversals.json as the Markdown tables of bench/RESULTS.md."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(path: str = "bench/results-traversals.json") -> None:
    """Print one table row per store and size."""
    data = json.loads(Path(path).read_text())
    print(
        "| store | clients | load s | trivial p50/p95 ms | ping p95 ms | chain(7) p50/p95 ms | networkx chain p95 ms "
        "| chain p95 / trivial p95 | chain p95 / ping p95 | tree(7) of branch (size) p50/p95 ms "
        "| networkx tree p95 ms | tree(7) random p50/p95 ms |"
    )
    print("|" + "---|" * 12)
    for r in data["runs"]:
        ping = r.get("ping", {}).get("p95", "-")
        print(
            f"| {r['store']} | {r['clients']:,} | {r['load_seconds']} | {r['trivial']['p50']} / {r['trivial']['p95']} "
            f"| {ping} | {r['chain']['p50']} / {r['chain']['p95']} | {r['nx_chain']['p95']} "
            f"| {r['chain_p95_over_trivial_p95']} | {r.get('chain_p95_over_ping_p95', '-')} "
            f"| ({r['branch_size']}) {r['tree_branch']['p50']} / {r['tree_branch']['p95']} "
            f"| {r['nx_tree_branch']['p95']} | {r['tree_random']['p50']} / {r['tree_random']['p95']} |"
        )


if __name__ == "__main__":
    main(*sys.argv[1:])
