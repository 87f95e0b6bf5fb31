"""The whole network in the browser: a big network drawn by the page in WebGL, in Debian's Chromium.

    .venv/bin/python -m bench.browser --clients 100000 --runs 3

The forest of bench/forest.py is loaded into a fresh SQLite file (bench/traversals.py's bulk load) and
served by the app on a loopback port (werkzeug, as the browser tests do) with a draw limit above its
size, so the page draws it whole. Each run opens a new tab, signs in, then clicks "Whole network" and
reads, in the page:
* the draw: from the click to the painted view, API calls (summary, the whole network as JSON), layout
  and WebGL included (the page's own `data-render-ms`), and the API calls' own times;
* zoom and pan frames: the gaps between the page's animation frames while `--frames` wheel steps (in, in,
  out and so on), then a drag of as many mouse moves, go on (a frame over its budget shows as a longer
  gap); and after each of the two moves, until a second of frames runs smooth, the longest gap: the
  view's redraw where the move left it (`zoom_redraw_ms`, `pan_redraw_ms`);
* node click to details: a node found by name and centred ("Find in this view"), then a real mouse click
  on it, timed in the page from the press to the details panel shown.
* a big tree opened two levels deep: the biggest channel's tree picked in the list (the page opens a tree
  of the WebGL size or more two levels deep), from the pick to the painted view, API call included; then
  a real click on a node marked + (of those a click reaches, the one with most below), from the click to
  the view drawn again with two more levels under it (its downline fetched and grafted in).
`--renderer svg` switches WebGL off (the page draws every view in SVG, as before WebGL): the baseline of
the same figures. Results are printed as JSON and written to `--out`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from playwright.sync_api import TimeoutError as PageTimeout
from werkzeug.serving import make_server

from api import create_app
from bench.forest import generate
from bench.measure import settings
from bench.traversals import load
from graph.sqlite import SqliteStore
from referrals.access import Role, hash_secret, new_secret
from referrals.config import Settings
from tools import chromium

# Frame times: the gaps between animation frames while the view moves (a frame that takes longer than
# its budget shows as a longer gap).
_WATCH_FRAMES = (
    "() => { window.__gaps = []; let last = performance.now(); window.__watching = true;"
    " const tick = (now) => { window.__gaps.push(now - last); last = now;"
    " if (window.__watching) requestAnimationFrame(tick); };"
    " requestAnimationFrame(tick); }"
)
_STOP_FRAMES = "() => { window.__watching = false; return window.__gaps.slice(1); }"
# After a move: frames are watched until a second of them runs without a gap over 100 ms (the view
# redrawn where the move left it, whichever way the page does that), or 30 s.
_SETTLED = (
    "() => { let smooth = 0; for (let i = window.__gaps.length - 1; i >= 1; i--) {"
    " if (window.__gaps[i] > 100) break; smooth += window.__gaps[i]; } return smooth >= 1000; }"
)


def _after_move(pg: Any) -> list[float]:
    """The frame gaps from the end of a move until the view has settled (the longest is its redraw)."""
    pg.evaluate(_WATCH_FRAMES)
    with contextlib.suppress(PageTimeout):  # not settled in 30 s: the gaps say so
        pg.wait_for_function(_SETTLED, timeout=30_000, polling=50)
    return [round(g, 1) for g in pg.evaluate(_STOP_FRAMES)]


# Node click to details: from the mouse press on the view to the details panel shown.
_WATCH_CLICK = (
    "(selector) => { window.__clicks = []; const view = document.querySelector(selector);"
    " view.addEventListener('mousedown', () => { window.__down = performance.now(); }, {capture: true});"
    " const details = document.querySelector('#details');"
    " new MutationObserver(() => { if (!details.hidden && window.__down) {"
    "  window.__clicks.push(performance.now() - window.__down); window.__down = 0; } })"
    " .observe(details, {attributes: true, attributeFilter: ['hidden']}); }"
)


# Of the nodes marked + (more below, opened by a click) that a click reaches, the one with most below.
_PLUS_NODE = """() => {
  const found = [...document.querySelectorAll('#graph g.node[data-beyond]')].map((g) => {
    const r = g.querySelector('.shape').getBoundingClientRect();
    const x = r.x + r.width / 2, y = r.y + r.height / 2;
    const hit = document.elementFromPoint(x, y);
    return [g.dataset.id, x, y, hit && hit.closest('g.node') === g, Number(g.dataset.beyond)];
  }).filter((c) => c[3]).sort((a, b) => b[4] - a[4]);
  return found.length ? found[0].slice(0, 3) : null;
}"""


def _redrawn(pg: Any, before: str | None) -> None:
    pg.wait_for_function(
        "([b]) => { const g = document.querySelector('#graph'); return g.dataset.renders && g.dataset.renders !== b; }",
        arg=[before],
    )


def open_big_tree(pg: Any, channel: tuple[str, str]) -> dict[str, Any]:
    """The biggest channel's tree, opened two levels deep, then two more levels under one node."""
    channel_id, name = channel
    before = pg.get_attribute("#graph", "data-renders")
    pg.fill("#search", name)
    t = time.perf_counter()
    pg.click(f"#results button[data-id='{channel_id}']")
    _redrawn(pg, before)
    out: dict[str, Any] = {
        "pick_to_drawn_ms": round((time.perf_counter() - t) * 1000),
        "tree_render_ms": int(pg.get_attribute("#graph", "data-render-ms") or 0),
        "tree_renderer": pg.get_attribute("#graph", "data-renderer"),
        "tree_nodes": int(pg.get_attribute("#graph", "data-nodes") or 0),
        "tree_beyond": json.loads(pg.get_attribute("#tree-facts", "data-beyond") or "{}").get("clients"),
    }
    plus = pg.evaluate(_PLUS_NODE)
    if plus is None:
        return out
    _node, x, y = plus
    before = pg.get_attribute("#graph", "data-renders")
    t = time.perf_counter()
    pg.mouse.click(x, y)
    _redrawn(pg, before)
    out["click_to_opened_ms"] = round((time.perf_counter() - t) * 1000)
    out["nodes_after"] = int(pg.get_attribute("#graph", "data-nodes") or 0)
    return out


def run_once(
    browser: Any, url: str, token: str, frames: int, name: str, channel: tuple[str, str], view: str = "#webgl"
) -> dict[str, Any]:
    """One tab: the whole network drawn, zoomed and panned over `view` (the element the renderer draws in),
    a node clicked for its details, then the biggest channel's tree opened."""
    context = browser.new_context(viewport={"width": 1400, "height": 860})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.set_default_timeout(120_000)
    pg.goto(url + "/")
    pg.fill("#token-input", token)
    pg.click("#sign-in-form button[type=submit]")
    pg.wait_for_selector("#graph[data-renders]", state="attached")
    before = pg.get_attribute("#graph", "data-renders")
    pg.click("#whole-network")
    pg.wait_for_function(
        "([b]) => { const g = document.querySelector('#graph'); return g.dataset.renders && g.dataset.renders !== b; }",
        arg=[before],
    )
    out: dict[str, Any] = {
        "renderer": pg.get_attribute("#graph", "data-renderer"),
        "nodes": int(pg.get_attribute("#graph", "data-nodes") or 0),
        "draw_ms": int(pg.get_attribute("#graph", "data-render-ms") or 0),
        # the API calls of that draw (the latest of each), from the page's resource timings
        "api_ms": pg.evaluate(
            "() => Object.fromEntries(performance.getEntriesByType('resource')"
            ".filter(e => e.name.includes('/api/v1/network/'))"
            ".map(e => [new URL(e.name).pathname, Math.round(e.duration)]))"
        ),
    }
    pg.wait_for_timeout(500)
    box = pg.locator(view).bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    pg.mouse.move(cx, cy)
    pg.evaluate(_WATCH_FRAMES)
    for i in range(frames):
        pg.mouse.wheel(0, 120 if i % 3 == 2 else -120)  # in, in, out, …: the view ends zoomed in
        pg.wait_for_timeout(60)
    out["zoom_frame_ms"] = [round(g, 1) for g in pg.evaluate(_STOP_FRAMES)]
    out["zoom_after_ms"] = _after_move(pg)
    pg.evaluate(_WATCH_FRAMES)
    pg.mouse.down()
    for i in range(frames):
        pg.mouse.move(cx + 8 * (i % 10), cy + 5 * (i % 10))
        pg.wait_for_timeout(30)
    out["pan_frame_ms"] = [round(g, 1) for g in pg.evaluate(_STOP_FRAMES)]
    pg.mouse.up()
    out["pan_after_ms"] = _after_move(pg)
    pg.fill("#find-node", name)
    pg.press("#find-node", "Enter")
    pg.wait_for_function("() => !document.querySelector('#details').hidden")
    pg.wait_for_timeout(800)
    pg.evaluate(_WATCH_CLICK, view)
    pg.evaluate("() => { document.querySelector('#details').hidden = true; }")
    pg.mouse.click(cx, cy)
    try:
        pg.wait_for_function("() => window.__clicks.length > 0")
    except PageTimeout:  # the page never showed details: recorded as such, not as a time
        out["click_to_details_ms"] = None
        out["details"] = None
    else:
        out["click_to_details_ms"] = round(pg.evaluate("() => window.__clicks[0]"), 1)
        out["details"] = pg.inner_text("#details h3")
    try:
        out["big_tree"] = open_big_tree(pg, channel)
    except PageTimeout:  # not drawn within the page's timeout (the runner's 120 s)
        out["big_tree"] = {"pick_to_drawn_ms": None}
    out["errors"] = errors
    context.close()
    return out


def _top_channel(forest: Any, i: int) -> int | None:
    """The channel at the top of client i's chain, or None."""
    p = forest.parent[i]
    while p is not None and p[0] == "client":
        p = forest.parent[p[1]]
    return None if p is None else p[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("bench/results-browser.json"))
    parser.add_argument(
        "--renderer",
        choices=["default", "svg"],
        default="default",
        help="svg: WebGL switched off (REFERRALS_WEBGL_FROM above the network's size), the page of before"
        " WebGL, as a baseline; default: WebGL from the page's own size on",
    )
    args = parser.parse_args()

    import playwright.sync_api as playwright_api

    store = SqliteStore(Path(tempfile.mkdtemp(prefix="referrals-bench-")) / "browser.db")
    store.init_schema()
    forest = generate(args.clients)
    print(f"loading {args.clients} clients ...", file=sys.stderr, flush=True)
    ws, ids, channel_ids, load_s = load(store, forest)
    # the channel whose tree is biggest (bench/traversals.py names them "channel <j>")
    tops = Counter(_top_channel(forest, i) for i in range(forest.n))
    tops.pop(None, None)
    biggest = tops.most_common(1)[0][0]
    channel = (channel_ids[biggest], f"channel {biggest}")
    token = new_secret()
    store.create_token(ws, Role.VIEWER, "bench", hash_secret(token))
    limit = args.clients + 1000
    svg = args.renderer == "svg"
    config = Settings(draw_limit=limit, webgl_from=limit + 1) if svg else Settings(draw_limit=limit)
    app = create_app({"STORE": store, "SETTINGS": config})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    runs = []
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium.ensure(), args=list(chromium.FLAGS))
        for i in range(args.runs):
            view = "#graph" if svg else "#webgl"
            got = run_once(browser, url, token, args.frames, f"client {forest.n // 2 + i}", channel, view)
            print(json.dumps({k: v for k, v in got.items() if not k.endswith("frame_ms")}), file=sys.stderr, flush=True)
            runs.append(got)
        version = browser.version
        browser.close()
    server.shutdown()
    measured_with = settings(store)
    store.close()

    def p(values: list[float], q: float) -> float:
        values = sorted(values)
        return round(values[min(len(values) - 1, int(q * len(values)))], 1)

    result = {
        "clients": args.clients,
        "renderer": args.renderer,
        "load_s": round(load_s, 1),
        "chromium": version,
        "settings": measured_with,
        "runs": runs,
        "draw_ms": [r["draw_ms"] for r in runs],
        "draw_ms_median": statistics.median(r["draw_ms"] for r in runs),
        "zoom_frame_ms_p50_p95": [p(sum((r["zoom_frame_ms"] for r in runs), []), q) for q in (0.5, 0.95)],
        "pan_frame_ms_p50_p95": [p(sum((r["pan_frame_ms"] for r in runs), []), q) for q in (0.5, 0.95)],
        # the longest frame after each move, until the view settled: its redraw where the move left it
        "zoom_redraw_ms": [max(r["zoom_after_ms"], default=0) for r in runs],
        "pan_redraw_ms": [max(r["pan_after_ms"], default=0) for r in runs],
        "click_to_details_ms": [r["click_to_details_ms"] for r in runs],
        "big_tree": {
            "channel": channel[1],
            "clients": tops[biggest],
            "pick_to_drawn_ms": [r["big_tree"]["pick_to_drawn_ms"] for r in runs],
            "click_to_opened_ms": [r["big_tree"].get("click_to_opened_ms") for r in runs],
        },
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=2))


if __name__ == "__main__":
    main()
