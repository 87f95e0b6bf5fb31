"""How every benchmark here measures a latency: warm up until the timings settle, then several rounds,
reported as the median of the rounds' figures and their spread, with the server's settings alongside.

* `settle(fn)` calls `fn` in windows of `window` calls until the median of a window is within
  `tolerance` of the previous window's (or `max_calls` calls were made) and says how many it took;
* `rounds(fn)` times `rounds` rounds of `repeat` calls and gives each round's p50 and p95, their median
  across rounds (the figure a target is judged on) and their spread ((max - min) / median);
* `settings(store)` describes what the figures depend on besides the code: for Neo4j the heap and page
  cache of the server (as this project's script starts it), for SQLite its page and cache sizes and
  journal mode; and the machine.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    """Milliseconds of each of `repeat` calls."""
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of values (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def settle(
    fn: Callable[[], Any], window: int = 10, tolerance: float = 0.05, max_calls: int = 300, min_calls: int = 20
) -> int:
    """Warm up: call `fn` until two windows in a row have medians within `tolerance` of each other (at
    least `min_calls`, at most `max_calls` calls); the number of calls made."""
    calls, previous = 0, None
    while calls < max_calls:
        current = statistics.median(timed(fn, window))
        calls += window
        if calls >= min_calls and previous is not None and abs(current - previous) <= tolerance * previous:
            break
        previous = current
    return calls


def rounds(fn: Callable[[], Any], rounds: int = 3, repeat: int = 100) -> dict[str, Any]:
    """`rounds` rounds of `repeat` calls: each round's p50 and p95 (ms), their medians and spreads."""
    p50s, p95s = [], []
    for _ in range(rounds):
        t = timed(fn, repeat)
        p50s.append(round(pct(t, 50), 3))
        p95s.append(round(pct(t, 95), 3))
    return {
        "p50_per_round": p50s,
        "p95_per_round": p95s,
        "p50": statistics.median(p50s),
        "p95": statistics.median(p95s),
        "p50_spread": spread(p50s),
        "p95_spread": spread(p95s),
    }


def spread(values: list[float]) -> float:
    """(max - min) / median, rounded: how far the rounds are apart."""
    mid = statistics.median(values)
    return round((max(values) - min(values)) / mid, 3) if mid else 0.0


def settings(store: Any) -> dict[str, Any]:
    """The server settings and the machine a figure was measured with."""
    out: dict[str, Any] = {
        "store": store.kind,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }
    if store.kind == "neo4j":
        out["neo4j"] = {
            "heap": os.environ.get("REFERRALS_NEO4J_HEAP"),
            "pagecache": os.environ.get("REFERRALS_NEO4J_PAGECACHE"),
        }
    else:
        out["sqlite"] = store.read(
            lambda u: {
                "page_size": u.workspaces._run("PRAGMA page_size").fetchone()[0],
                "cache_size": u.workspaces._run("PRAGMA cache_size").fetchone()[0],
                "journal_mode": u.workspaces._run("PRAGMA journal_mode").fetchone()[0],
            }
        )
    return out
