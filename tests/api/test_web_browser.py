"""The network page driven in Debian's Chromium (headless, via Playwright), against a live app.

The browser reaches nothing but the loopback test server: its resolver maps every other host to
nothing, and every request is checked on its way out. One screenshot per view goes to
test-artifacts/browser/.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import threading
import time
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import networkx as nx
import playwright.sync_api as playwright_api
import pytest
import xmlschema
from click.testing import CliRunner
from flask import Flask
from werkzeug.serving import make_server

from api import create_app
from cli import cli
from graph.sqlite import SqliteStore
from referrals import analysis
from referrals.access import Role, hash_secret, new_secret
from referrals.attribution import Model
from referrals.config import MAX_DEPTH, Settings
from referrals.model import ChannelInput, ChannelKind, ClientInput, ClientQuery, ReferralInput, SourceKind, SourceRef
from tests.api.webseed import CHAIN, SMALL_DEALS, Seeded, Small, seed, seed_small
from tests.serving import serve
from tools import chromium, xsd

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"


@dataclass
class Site:
    """A live app on a loopback port with a seeded workspace."""

    url: str
    store: SqliteStore
    seeded: Seeded
    token: str
    outside: list[str] = field(default_factory=list)  # requests that tried to leave the machine


@contextlib.contextmanager
def served(app: Flask) -> Iterator[str]:
    """The app on a loopback port in a thread (werkzeug), for as long as the block runs: its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    store = SqliteStore(str(tmp_path_factory.mktemp("web") / "web.db"))
    store.init_schema()
    ws = store.create_workspace("Demo studio").id
    seeded = seed(store, ws, big=5000)
    token = new_secret()
    store.create_token(ws, Role.EDITOR, "browser tests", hash_secret(token))
    app = create_app({"STORE": store, "TESTING": True})
    try:
        with served(app) as url:
            yield Site(url, store, seeded, token)
    finally:
        store.close()


@dataclass
class SmallSite:
    """A live app over the small two-currency network, drawing at most 9 nodes at once."""

    url: str
    store: SqliteStore
    small: Small
    token: str


DRAW_LIMIT = 9  # the small network has 11 nodes: Blog's tree (5), Instagram's (3), Gus, Hal, the ad


@pytest.fixture
def small_site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SmallSite]:
    """The small network on a server of its own. Tests name it before `page`: fixtures are torn down in
    reverse, so the page closes before this server stops and no request still in flight (a tab's badge
    count, say) fails against a closed socket and reads as a page error."""
    store = SqliteStore(str(tmp_path / "small.db"))
    store.init_schema()
    ws = store.create_workspace("Small studio").id
    small = seed_small(store, ws)
    token = new_secret()
    store.create_token(ws, Role.EDITOR, "browser tests", hash_secret(token))
    limit = getattr(request, "param", DRAW_LIMIT)
    app = create_app({"STORE": store, "TESTING": True, "SETTINGS": Settings(draw_limit=limit)})
    try:
        with served(app) as url:
            yield SmallSite(url, store, small, token)
    finally:
        store.close()


@pytest.fixture(scope="module")
def driver() -> Iterator[object]:
    """Playwright, once for the module's browsers."""
    with playwright_api.sync_playwright() as p:
        yield p


def _launch(driver, **options) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A headless Debian Chromium for a module's tests, closed after them."""
    path = chromium.find()
    assert path, "Chromium is missing: `make test` installs Debian's package (python -m tools.chromium ensure)"
    b = driver.chromium.launch(executable_path=path, args=list(chromium.FLAGS), headless=True, **options)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="module")
def browser(driver) -> Iterator[object]:  # type: ignore[no-untyped-def]
    yield from _launch(driver)


@pytest.fixture
def page(browser, site: Site):  # type: ignore[no-untyped-def]
    """A tab of a browser whose reader prefers English."""
    yield from _tab(browser, site, "en-US")


@pytest.fixture(scope="module")
def ru_browser(driver) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """Chromium run in Russian, as a Russian reader's is (its date fields read 31.10.2026)."""
    yield from _launch(driver, env=chromium.speaking("ru_RU.UTF-8"))


@pytest.fixture
def ru_page(ru_browser, site: Site):  # type: ignore[no-untyped-def]
    """A tab of a browser whose reader prefers Russian (Accept-Language: ru-RU, navigator.languages)."""
    yield from _tab(ru_browser, site, "ru-RU")


def _tab(browser, site: Site, locale: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        viewport={"width": 1400, "height": 860}, accept_downloads=True, service_workers="block", locale=locale
    )
    errors: list[str] = []

    def guard(route) -> None:  # type: ignore[no-untyped-def]
        host = urlsplit(route.request.url)
        if host.scheme in ("data", "blob") or host.hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            site.outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    pg = context.new_page()
    pg.on("pageerror", lambda e: errors.append(str(e)))
    # Refusals the page handles (a wrong token, a rejected form) show up as resource errors: not faults.
    handled = re.compile(r"Failed to load resource: the server responded with a status of 4\d\d")
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" and not handled.match(m.text) else None)
    pg.set_default_timeout(15_000)
    pg.errors = errors  # type: ignore[attr-defined]  # a test that provokes an error clears it
    yield pg
    context.close()
    assert site.outside == [], f"requests tried to leave the machine: {site.outside}"
    assert errors == [], f"the page logged errors: {errors}"


def shot(pg, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def sign_in(pg, site: Site) -> None:  # type: ignore[no-untyped-def]
    pg.goto(site.url + "/")
    pg.fill("#token-input", site.token)
    pg.click("#sign-in-form button[type=submit]")
    pg.wait_for_selector("#results button")
    # the whole network, drawn at sign-in (in SVG or, when big, in WebGL with the SVG element hidden)
    pg.wait_for_selector("#graph[data-renders]", state="attached")


def open_tree(pg, label: str) -> None:  # type: ignore[no-untyped-def]
    """Pick a client or channel in the list and wait until its tree is drawn."""
    before = pg.get_attribute("#graph", "data-renders")
    pg.fill("#search", label)
    pg.click(f"#results button:has-text('{label}')")
    wait_drawn(pg, before)


def wait_drawn(pg, before: str | None) -> None:  # type: ignore[no-untyped-def]
    pg.wait_for_function(
        "([before]) => { const g = document.querySelector('#graph');"
        " return g.dataset.renders && g.dataset.renders !== before; }",
        arg=[before],
    )


def node_names(pg) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Name -> level of every node drawn."""
    return pg.eval_on_selector_all(
        "#graph g.node",
        "els => Object.fromEntries(els.map(e => [e.querySelector('title').textContent.split(' · ')[0],"
        " Number(e.dataset.level)]))",
    )


def click_node(pg, name: str) -> None:  # type: ignore[no-untyped-def]
    node = pg.locator("#graph g.node", has=pg.locator("title", has_text=re.compile(f"^{re.escape(name)} ·")))
    node.locator(".shape").click(force=True)


# -- the page itself ------------------------------------------------------------------------


def test_sign_in_tree_depth_details_and_recording(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    pg = page
    pg.goto(site.url + "/")
    assert pg.is_visible("#sign-in") and not pg.is_visible("#app")
    shot(pg, "sign-in")
    pg.fill("#token-input", "not-a-token")
    pg.click("#sign-in-form button[type=submit]")
    pg.wait_for_selector("#sign-in-error:has-text('unknown or was revoked')")
    assert not pg.is_visible("#app")

    sign_in(pg, site)
    assert pg.inner_text("#workspace-name") == "Demo studio · editor"

    # Ana's tree, whole: Bruno at 1 ... Hugo at 7, with the side branches.
    open_tree(pg, "Ana Lima")
    names = node_names(pg)
    assert {n: names[n] for n in CHAIN} == {n: i for i, n in enumerate(CHAIN)}
    assert names["Iris Nunes"] == 1 and names["Luis Moura"] == 3
    assert pg.get_attribute("#graph", "data-nodes") == "12"
    dead = pg.eval_on_selector_all("#graph g.node[data-dead-end] title", "els => els.map(e => e.textContent)")
    assert sorted(t.split(" · ")[0] for t in dead) == [
        "Hugo Vaz",
        "Iris Nunes",
        "Joana Pires",
        "Kiko Alves",
        "Luis Moura",
    ]
    facts = pg.inner_text("#tree-facts")
    assert "11 clients in all" in facts and "past level" not in facts and "revenue: €2,099.50" in facts
    assert pg.inner_text("#depth-value") == "all" and pg.get_attribute("#graph", "data-depth") == "all"
    shot(pg, "tree")

    # The depth slider cuts the tree at level 3, and the view says what lies beyond.
    before = pg.get_attribute("#graph", "data-renders")
    pg.fill("#depth", "3")
    wait_drawn(pg, before)
    facts = pg.inner_text("#tree-facts")
    assert "11 clients in all — 7 shown; past level 3: 4 (€50.00)" in facts
    assert "revenue: €2,099.50" in facts  # the same total as the whole tree
    assert pg.get_attribute("#graph g.node[data-beyond]", "data-beyond") == "4"  # Duarte's branch goes on
    names = node_names(pg)
    assert max(names.values()) == 3
    assert sorted(names) == sorted(
        [
            "Ana Lima",
            "Bruno Costa",
            "Iris Nunes",
            "Carla Dias",
            "Joana Pires",
            "Kiko Alves",
            "Duarte Reis",
            "Luis Moura",
        ]
    )
    assert pg.inner_text("#depth-value") == "3"

    # Rings and colour by root channel redraw the same nodes.
    before = pg.get_attribute("#graph", "data-renders")
    pg.select_option("#layout", "rings")
    wait_drawn(pg, before)
    before = pg.get_attribute("#graph", "data-renders")
    pg.select_option("#colour", "channel")
    wait_drawn(pg, before)
    assert sorted(node_names(pg)) == sorted(names)
    assert "Spring newsletter" in pg.inner_text("#legend")
    shot(pg, "tree-rings")

    # Clicking a node shows its details and centres the view on it.
    click_node(pg, "Carla Dias")
    pg.wait_for_selector("#details:has-text('Carla Dias')")
    details = pg.inner_text("#details")
    assert "level\n2" in details and "€300.00" in details
    pg.wait_for_selector("#details-chain:has-text('Bruno Costa ← Ana Lima ← Spring newsletter')")
    assert pg.get_attribute("#graph g.node.selected", "data-id") == site.seeded.clients["Carla Dias"]
    pg.wait_for_timeout(400)  # the centring transition
    centre = pg.evaluate(
        "() => { const s = document.querySelector('#graph').getBoundingClientRect();"
        " const n = document.querySelector('#graph g.node.selected .shape').getBoundingClientRect();"
        " return [n.x + n.width / 2 - (s.x + s.width / 2), n.y + n.height / 2 - (s.y + s.height / 2)]; }"
    )
    assert abs(centre[0]) < 3 and abs(centre[1]) < 3, centre
    shot(pg, "details")

    # Record from the page: a new client, recommended by Carla (prefilled from her details).
    pg.click("button[data-view=record]")
    pg.fill("#form-client [name=name]", "Nora Pinto")
    pg.fill("#form-client [name=email]", "nora@example.com")
    pg.click("#form-client button[type=submit]")
    pg.wait_for_selector("#form-client .form-ok:has-text('Added Nora Pinto')")
    pg.click("button[data-view=tree]")
    click_node(pg, "Carla Dias")
    pg.click("#details button:has-text('Record someone it brought')")
    assert pg.input_value("#form-referral [name=source_id]").startswith("Carla Dias (")
    pg.fill("#form-referral [name=client_id]", "Nora Pinto")
    pg.fill("#form-referral [name=referred_on]", "2025-03-01")
    pg.click("#form-referral button[type=submit]")
    pg.wait_for_selector("#form-referral .form-ok:has-text('Recorded (primary source)')")
    chain = site.store.chain(site.seeded.ws, _client_id(site, "Nora Pinto"), 7)
    assert [s.name for s in chain.steps][:3] == ["Carla Dias", "Bruno Costa", "Ana Lima"]
    pg.click("button[data-view=tree]")
    pg.wait_for_function(
        "() => [...document.querySelectorAll('#graph g.node title')]"
        ".some(t => t.textContent.startsWith('Nora Pinto ·'))"
    )
    assert node_names(pg)["Nora Pinto"] == 3
    shot(pg, "record")


def _client_id(site: Site, name: str) -> str:
    page = site.store.list_clients(site.seeded.ws, ClientQuery(text=name))
    (client,) = [c for c in page.items if c.name == name]
    return client.id


def test_form_errors_show_next_to_their_fields_and_write_nothing(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    pg = page
    sign_in(pg, site)
    pg.click("button[data-view=record]")
    before = site.store.snapshot(site.seeded.ws)

    pg.click("#form-client button[type=submit]")  # no name
    pg.wait_for_selector("#form-client [data-error-for=name]:not(:empty)")
    assert "Missing data" in pg.inner_text("#form-client [data-error-for=name]")
    assert pg.get_attribute("#form-client [name=name]", "aria-invalid") == "true"

    pg.fill("#form-deal [name=client_id]", "Ana Lima")
    pg.fill("#form-deal [name=amount]", "1,5")  # English groups thousands in threes: not read as 15
    pg.fill("#form-deal [name=currency]", "EURO")
    pg.click("#form-deal button[type=submit]")
    pg.wait_for_selector("#form-deal [data-error-for=currency]:not(:empty)")
    assert pg.inner_text("#form-deal [data-error-for=currency]")
    pg.fill("#form-deal [name=currency]", "EUR")
    pg.click("#form-deal button[type=submit]")
    pg.wait_for_selector("#form-deal [data-error-for=amount]:not(:empty)")
    assert "'1,5' is not a decimal amount" in pg.inner_text("#form-deal [data-error-for=amount]")
    assert pg.inner_text("#form-deal [data-error-for=currency]") == ""  # cleared on the next try

    pg.fill("#form-referral [name=client_id]", "Hugo Vaz")
    pg.select_option("#form-referral [name=source_kind]", "client")
    pg.fill("#form-referral [name=source_id]", "Hugo Vaz")
    pg.click("#form-referral button[type=submit]")
    pg.wait_for_selector("#form-referral .field-error:not(:empty), #form-referral .form-error:not(:empty)")
    shot(pg, "record-errors")

    after = site.store.snapshot(site.seeded.ws)
    assert after.clients == before.clients and after.referrals == before.referrals
    assert after.revenue == before.revenue  # no deal written

    # Corrected, the deal goes in and the errors go away.
    pg.fill("#form-deal [name=amount]", "1,234.50")  # as English writes it
    pg.click("#form-deal button[type=submit]")
    pg.wait_for_selector("#form-deal .form-ok:has-text('Added €1,234.50.')")
    assert pg.inner_text("#form-deal [data-error-for=amount]") == ""
    ana = site.seeded.clients["Ana Lima"]
    assert site.store.snapshot(site.seeded.ws).revenue[ana]["EUR"] == before.revenue[ana]["EUR"] + 123450


def test_chain_key_clients_and_summary_views(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    pg = page
    sign_in(pg, site)
    open_tree(pg, "Hugo Vaz")
    click_node(pg, "Hugo Vaz")
    pg.click("#details button:has-text('Upstream chain')")
    pg.wait_for_selector("#chain-list li:has-text('level 8')")
    steps = pg.eval_on_selector_all("#chain-list li", "els => els.map(e => e.innerText.replace(/\\s+/g, ' '))")
    assert steps[0].endswith("Hugo Vaz")
    assert [s.split(" client ")[-1].split(" recommended")[0] for s in steps[1:8]] == CHAIN[-2::-1]
    assert "level 8 channel Spring newsletter" in steps[8] and len(steps) == 9  # the whole chain, to its top
    assert pg.inner_text("#chain-title") == "Upstream chain of Hugo Vaz"
    shot(pg, "chain")
    pg.click("#chain-list button:has-text('Bruno Costa')")  # a step opens its tree
    pg.wait_for_function("() => document.querySelector('#tree-title').textContent === 'Bruno Costa'")

    pg.click("button[data-view=key]")
    pg.wait_for_selector("#key-table tbody tr td button")
    rows = pg.eval_on_selector_all("#key-table tbody tr", "els => els.map(e => e.cells[1].innerText)")
    api_ranked = _key_clients(site)
    assert rows == api_ranked[: len(rows)] and len(rows) == 25
    shot(pg, "key-clients")

    pg.click("button[data-view=summary]")
    pg.wait_for_selector("#summary .card")
    text = pg.inner_text("#summary")
    clients = len(site.store.snapshot(site.seeded.ws).clients)
    assert f"{clients:,}" in text and "Most prolific referrers" in text
    shot(pg, "summary")


def _key_clients(site: Site) -> list[str]:
    """The API's own ranking, asked directly."""
    req = urllib.request.Request(
        f"{site.url}/api/v1/network/key-clients?limit=25", headers={"Authorization": f"Bearer {site.token}"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return [k["name"] for k in json.load(resp)["items"]]


def _api(site: Site, path: str) -> dict:
    req = urllib.request.Request(f"{site.url}/api/v1{path}", headers={"Authorization": f"Bearer {site.token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


def _minor(amounts: list[dict]) -> list[tuple[str, int]]:
    return [(a["currency"], a["amount_minor"]) for a in amounts]


def test_the_whole_networks_total_is_the_summarys_at_every_depth(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    pg = page
    sign_in(pg, site)
    summary = _api(site, "/network/summary")
    before = pg.get_attribute("#graph", "data-renders")
    pg.click("#whole-network")
    wait_drawn(pg, before)
    whole = json.loads(pg.get_attribute("#tree-facts", "data-revenue"))
    assert _minor(whole) == _minor(summary["revenue"]) and whole  # what the page reads in the browser
    for depth in ("7", "2"):
        before = pg.get_attribute("#graph", "data-renders")
        pg.fill("#depth", depth)
        wait_drawn(pg, before)
        assert _minor(json.loads(pg.get_attribute("#tree-facts", "data-revenue"))) == _minor(summary["revenue"])
    facts = pg.inner_text("#tree-facts")
    assert "past level 2:" in facts  # and the cut says what it leaves out
    before = pg.get_attribute("#graph", "data-renders")
    pg.fill("#depth", "7")
    wait_drawn(pg, before)
    assert "past level 7: 1 (€50.00)" in pg.inner_text("#tree-facts")  # Hugo, eight levels down
    shown = pg.inner_text("#tree-facts").split("revenue: ")[-1]
    pg.click("button[data-view=summary]")
    pg.wait_for_selector("#summary .card")
    card = pg.locator("#summary .card", has=pg.locator("h3", has_text="Revenue")).locator(".big").inner_text()
    assert card == shown  # the same words on both views


def test_a_5000_client_tree_renders_within_2_seconds_and_stays_responsive(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    pg = page
    sign_in(pg, site)
    # the check behind the tab's badge runs at sign-in in the same server: let it finish, so the figure
    # is the tree's own (click, API call, layout, paint), not a wait behind another request's work
    pg.wait_for_selector("#checks-body[data-loads]", state="attached")
    open_tree(pg, "Podcast")
    assert pg.get_attribute("#graph", "data-nodes") == str(site.seeded.big_size + 1)
    renders = [int(pg.get_attribute("#graph", "data-render-ms"))]
    if renders[0] >= 2000:  # once more, after another tree: a 2-core machine stalls now and then
        open_tree(pg, "Ana Lima")
        open_tree(pg, "Podcast")
        renders.append(int(pg.get_attribute("#graph", "data-render-ms")))
    print(f"render of {site.seeded.big_size + 1} nodes: {renders} ms")
    assert min(renders) < 2000, renders  # from the click to a painted tree, API call included
    assert pg.locator("#graph g.node").count() == site.seeded.big_size + 1
    shot(pg, "large-tree")

    # Responsive: a zoom step and a click on a node each come back within a frame budget.
    box = pg.locator("#graph").bounding_box()
    t = time.perf_counter()
    pg.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    pg.mouse.wheel(0, -400)
    pg.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    zoom_ms = (time.perf_counter() - t) * 1000
    # Measured in the page, from the click to the next painted frame with the details shown (the test
    # driver's own search for the node among 5,000 would otherwise dominate the figure).
    click_ms, shown = pg.evaluate(
        "async (id) => { const t = performance.now();"
        " document.querySelector(`#graph g.node[data-id='${id}'] .shape`)"
        ".dispatchEvent(new MouseEvent('click', {bubbles: true}));"
        " await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));"
        " return [performance.now() - t, !document.querySelector('#details').hidden]; }",
        _client_id(site, "Listener 0003"),
    )
    assert shown and "Listener 0003" in pg.inner_text("#details h3")
    print(f"zoom step {zoom_ms:.0f} ms, node click to details {click_ms:.0f} ms")
    assert zoom_ms < 1000 and click_ms < 1000


@pytest.fixture(scope="module")
def webgl_site(site: Site) -> Iterator[Site]:
    """The same workspace served by a second app whose views of 1,000 nodes or more are drawn in WebGL."""
    app = create_app({"STORE": site.store, "TESTING": True, "SETTINGS": Settings(webgl_from=1000)})
    with served(app) as url:
        yield Site(url, site.store, site.seeded, site.token, site.outside)


def test_big_views_are_drawn_in_webgl_with_details_search_and_svg_exports(page, webgl_site: Site) -> None:  # type: ignore[no-untyped-def]
    pg, site = page, webgl_site
    sign_in(pg, site)
    pg.wait_for_selector("#checks-body[data-loads]", state="attached")
    open_tree(pg, "Podcast")  # a tree this big opens two levels deep: every level asked for
    before = pg.get_attribute("#graph", "data-renders")
    pg.click("#open-all")
    wait_drawn(pg, before)
    drawn = site.seeded.big_size + 1
    assert pg.get_attribute("#graph", "data-renderer") == "webgl"
    assert pg.get_attribute("#graph", "data-nodes") == str(drawn)
    assert pg.locator("#graph").is_hidden() and pg.locator("#graph g.node").count() == 0
    assert pg.locator("#webgl canvas").count() > 0 and pg.locator("#webgl").is_visible()
    # every node and every link to its parent, as in the SVG drawing
    assert pg.get_attribute("#webgl", "data-nodes") == str(drawn)
    assert pg.get_attribute("#webgl", "data-edges") == str(drawn - 1)
    print(f"WebGL render of {drawn} nodes: {pg.get_attribute('#graph', 'data-render-ms')} ms")
    shot(pg, "webgl-tree")

    # Search and focus: the node is selected, its details shown, and the camera moves to it.
    pg.fill("#find-node", "listener 0003")
    pg.press("#find-node", "Enter")
    pg.wait_for_function("() => !document.querySelector('#details').hidden")
    assert "Listener 0003" in pg.inner_text("#details h3")
    pg.wait_for_timeout(600)  # the camera's move (250 ms)

    # A click on the node (now in the middle of the view) shows its details; timed in the page, from the
    # click to the next painted frame with the details shown.
    box = pg.locator("#webgl").bounding_box()
    pg.evaluate("() => { document.querySelector('#details').hidden = true; }")
    t = time.perf_counter()
    pg.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    pg.wait_for_function("() => !document.querySelector('#details').hidden")
    click_ms = (time.perf_counter() - t) * 1000
    assert "Listener 0003" in pg.inner_text("#details h3")

    # A zoom step paints within a frame budget.
    pg.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    t = time.perf_counter()
    pg.mouse.wheel(0, 400)
    pg.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    zoom_ms = (time.perf_counter() - t) * 1000
    print(f"WebGL: node click to details {click_ms:.0f} ms, zoom step {zoom_ms:.0f} ms")
    assert click_ms < 1000 and zoom_ms < 1000

    # A name nobody in the view has is said so.
    pg.fill("#find-node", "nobody of that name")
    pg.press("#find-node", "Enter")
    pg.wait_for_function("() => document.querySelector('#status').textContent.includes('nobody named')")

    # Exports stay SVG: every drawn node is in the file.
    with pg.expect_download() as d:
        pg.click("#export-svg")
    svg = ET.parse(d.value.path()).getroot()
    assert len(svg.findall(".//{http://www.w3.org/2000/svg}g[@class='node']")) == drawn

    # A small tree goes back to SVG, and the WebGL view is gone.
    open_tree(pg, "Ana Lima")
    assert pg.get_attribute("#graph", "data-renderer") == "svg"
    assert pg.locator("#webgl").is_hidden() and pg.locator("#webgl canvas").count() == 0
    assert pg.locator("#graph g.node").count() == int(pg.get_attribute("#graph", "data-nodes"))


def test_a_big_view_moves_its_drawn_picture_then_the_camera_once(page, webgl_site: Site) -> None:  # type: ignore[no-untyped-def]
    """Zoom and drag over a WebGL view move the picture already drawn (a CSS transform) and then the
    camera, once, to where the picture shows: a node is found where the move put it, zooming keeps the
    point under the cursor, and the click that ends a drag does not clear the selection."""
    pg, site = page, webgl_site
    sign_in(pg, site)
    pg.wait_for_selector("#checks-body[data-loads]", state="attached")
    open_tree(pg, "Podcast")
    before = pg.get_attribute("#graph", "data-renders")
    pg.click("#open-all")
    wait_drawn(pg, before)
    assert pg.get_attribute("#graph", "data-renderer") == "webgl"
    pg.fill("#find-node", "listener 0003")
    pg.press("#find-node", "Enter")
    pg.wait_for_function("() => !document.querySelector('#details').hidden")
    pg.wait_for_timeout(600)  # the camera's move to the node (250 ms)
    box = pg.locator("#webgl").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    moves = lambda: int(pg.get_attribute("#webgl", "data-moves"))  # noqa: E731
    transform = "() => getComputedStyle(document.querySelector('#webgl canvas.sigma-nodes')).transform"

    def details_at(x: float, y: float) -> str:
        pg.evaluate("() => { document.querySelector('#details').hidden = true; }")
        pg.mouse.click(x, y)
        pg.wait_for_function("() => !document.querySelector('#details').hidden")
        return pg.inner_text("#details h3")

    assert "Listener 0003" in details_at(cx, cy)  # the node sits in the middle of the view
    assert moves() == 0
    pg.wait_for_timeout(400)  # past sigma's double-click time (300 ms), which counts the next click
    pg.press("#find-node", "Enter")  # the node brought to the middle again, in 250 ms: a drag at once wins

    # A drag: the picture follows the mouse at once, the camera when the button is let go.
    pg.mouse.move(cx + 40, cy + 30)
    pg.mouse.down()
    for i in range(1, 5):
        pg.mouse.move(cx + 40 + 25 * i, cy + 30 + 10 * i)
    assert pg.evaluate(transform) != "none" and moves() == 0
    pg.mouse.up()
    pg.wait_for_function("() => document.querySelector('#webgl').dataset.moves === '1'")
    pg.wait_for_function(f"() => ({transform})() === 'none'")
    assert not pg.locator("#details").is_hidden()  # the drag's own click cleared nothing
    assert "Listener 0003" in details_at(cx + 100, cy + 40)  # the camera went where the picture showed it
    pg.wait_for_timeout(600)  # a node's details bring it to the middle of the view again (250 ms)

    # Three wheel notches in a row at a point left of the node: one move of the camera, after the wheel rests.
    ratio = float(pg.get_attribute("#webgl", "data-camera").split(",")[2])
    x, y = cx - 40, cy
    pg.mouse.move(x, y)
    for _ in range(3):
        pg.mouse.wheel(0, -100)
        pg.wait_for_timeout(30)
    assert pg.evaluate(transform) != "none" and moves() == 1
    pg.wait_for_function("() => document.querySelector('#webgl').dataset.moves === '2'")
    pg.wait_for_function(f"() => ({transform})() === 'none'")
    zoomed = float(pg.get_attribute("#webgl", "data-camera").split(",")[2])
    assert zoomed == pytest.approx(ratio / 1.7**3, rel=1e-3)
    # the point under the cursor stayed there, so the node is now 1.7³ times as far from it
    assert "Listener 0003" in details_at(x + 40 * 1.7**3, y)
    shot(pg, "webgl-moved")

    # A click while a zoom waits for the wheel to rest picks what the zoomed picture shows there.
    pg.wait_for_timeout(600)  # the click above brought the node to the middle (250 ms)
    # (the selected node is drawn big at this zoom: the press is far from where it was drawn before)
    pg.mouse.move(cx - 150, cy)
    pg.mouse.wheel(0, -100)
    assert "Listener 0003" in details_at(cx - 150 + 150 * 1.7, cy)  # pressed well within the 180 ms

    # Find in this view while a zoom waits: the view goes to the node found, and the zoom shown is let go.
    pg.wait_for_timeout(600)
    pg.mouse.move(cx + 200, cy + 100)
    pg.mouse.wheel(0, -100)
    pg.press("#find-node", "Enter")
    pg.wait_for_timeout(600)
    assert pg.evaluate(transform) == "none"
    assert "Listener 0003" in details_at(cx, cy)


# Per animation frame until both settle: the transforms of the nodes' and the links' layers.
_WATCH_LAYERS = """() => { window.__layers = []; const q = (c) => getComputedStyle(
  document.querySelector('#webgl canvas.sigma-' + c)).transform;
  const tick = () => { const seen = [q('nodes'), q('edges')]; window.__layers.push(seen);
    if (seen[0] !== 'none' || seen[1] !== 'none' || window.__layers.length < 3) requestAnimationFrame(tick); };
  requestAnimationFrame(tick); }"""


def test_after_a_move_the_links_are_drawn_a_frame_later_where_a_whole_draw_puts_them(page, webgl_site: Site) -> None:  # type: ignore[no-untyped-def]
    """Sigma's draw after a move comes in two frames: nodes first (the links' layer still shows the old
    links under the move's transform, which puts them in place), links in the next. The picture then is
    the one a whole draw at that camera gives, pixel for pixel."""
    pg, site = page, webgl_site
    sign_in(pg, site)
    open_tree(pg, "Podcast")
    before = pg.get_attribute("#graph", "data-renders")
    pg.click("#open-all")
    wait_drawn(pg, before)
    assert pg.get_attribute("#graph", "data-renderer") == "webgl"
    box = pg.locator("#webgl").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    pg.mouse.move(cx, cy)
    pg.mouse.down()
    for i in range(1, 5):
        pg.mouse.move(cx - 30 * i, cy + 12 * i)
    pg.evaluate(_WATCH_LAYERS)
    pg.mouse.up()
    pg.wait_for_function("() => document.querySelector('#webgl').dataset.moves === '1'")
    pg.wait_for_function(
        "() => { const l = window.__layers; const last = l[l.length - 1];"
        " return l.length >= 3 && last[0] === 'none' && last[1] === 'none'; }"
    )
    frames = pg.evaluate("() => window.__layers")
    moved = [k for k, (nodes, links) in enumerate(frames) if nodes == "none" and links != "none"]
    assert moved, f"no frame showed the nodes drawn and the links still moved: {frames}"
    pg.mouse.move(box["x"] - 50, box["y"] - 50)  # off the view: no node hovered
    pg.wait_for_timeout(300)
    split = pg.locator("#webgl").screenshot()
    # A resize makes sigma draw everything at the same camera, in one frame.
    pg.evaluate("() => window.dispatchEvent(new Event('resize'))")
    pg.wait_for_timeout(400)
    assert pg.locator("#webgl").screenshot() == split, "the picture drawn in two frames is not a whole draw's"


def test_big_trees_open_two_levels_deep_and_more_on_click(page, webgl_site: Site) -> None:  # type: ignore[no-untyped-def]
    """A tree of the WebGL size or more opens two levels deep; a click on a node with more below opens
    two more levels under it; "Open every level" draws it whole. Shown and not-yet-opened clients and
    revenue always add up to the tree's whole, as the store counts it."""
    pg, site = page, webgl_site
    sign_in(pg, site)
    open_tree(pg, "Podcast")
    whole = site.store.tree(site.seeded.ws, SourceRef(SourceKind.CHANNEL, site.seeded.podcast), None)
    own = {n.client_id: n.revenue.get("EUR", 0) for n in whole.nodes}

    def drawn() -> tuple[set[str], int, dict]:
        ids = set(pg.eval_on_selector_all("#graph g.node", "els => els.map(e => e.dataset.id)"))
        facts = pg.locator("#tree-facts")
        shown, beyond = int(facts.get_attribute("data-shown")), json.loads(facts.get_attribute("data-beyond"))
        # every number agrees: what is drawn and what is left below make the whole tree
        assert ids - {site.seeded.podcast} <= own.keys() and len(ids) - 1 == shown
        assert shown + beyond["clients"] == len(own) == site.seeded.big_size
        below = sum(m for cid, m in own.items() if cid not in ids)
        assert sum(a["amount_minor"] for a in beyond["revenue"]) == below
        return ids, beyond["clients"], beyond

    ids, left, _ = drawn()
    levels = {int(x) for x in pg.eval_on_selector_all("#graph g.node", "els => els.map(e => e.dataset.level)")}
    assert levels == {0, 1, 2} and left > 0
    assert pg.get_attribute("#graph", "data-renderer") == "svg" and pg.locator("#open-all").is_visible()
    assert "more below the levels opened" in pg.inner_text("#tree-facts")
    shot(pg, "opened-tree")
    assert pg.locator("#graph g.node[data-beyond]").count() == pg.locator("#graph g.node text.more").count() > 0
    # a node marked + that a real click reaches (the nearest the middle of the drawing, not under the legend)
    node_id, x, y = pg.evaluate(
        """() => {
          const box = document.querySelector('#graph').getBoundingClientRect();
          const mid = [box.x + box.width / 2, box.y + box.height / 2];
          const found = [...document.querySelectorAll('#graph g.node[data-beyond]')].map((g) => {
            const r = g.querySelector('.shape').getBoundingClientRect();
            const x = r.x + r.width / 2, y = r.y + r.height / 2;
            const hit = document.elementFromPoint(x, y);
            return [g.dataset.id, x, y, hit && hit.closest('g.node') === g, Math.hypot(x - mid[0], y - mid[1])];
          }).filter((c) => c[3]).sort((a, b) => a[4] - b[4]);
          return found[0].slice(0, 3);
        }"""
    )
    more = int(pg.get_attribute(f"#graph g.node[data-id='{node_id}']", "data-beyond"))

    before = pg.get_attribute("#graph", "data-renders")
    pg.mouse.click(x, y)
    wait_drawn(pg, before)
    opened, left_after, _ = drawn()
    assert opened > ids and left_after < left
    assert pg.get_attribute(f"#graph g.node[data-id='{node_id}']", "data-beyond") is None
    third = pg.eval_on_selector_all("#graph g.node[data-level='3']", "els => els.map(e => e.dataset.id)")
    assert third and len(opened) - len(ids) <= more
    assert "Listener" in pg.inner_text("#details h3")  # the click also showed the node's details

    before = pg.get_attribute("#graph", "data-renders")
    pg.click("#open-all")
    wait_drawn(pg, before)
    assert pg.get_attribute("#graph", "data-nodes") == str(site.seeded.big_size + 1)
    assert pg.locator("#open-all").is_hidden()


@pytest.fixture(scope="module")
def wide_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A network of 22,503 nodes (three channels that brought 7,500 clients each) on a server with the
    default settings: over SVG's 20,000, under the draw limit."""
    store = SqliteStore(str(tmp_path_factory.mktemp("wide") / "wide.db"))
    store.init_schema()
    ws = store.create_workspace("Wide studio").id
    for c in range(3):
        channel = store.create_channel(ws, ChannelInput(name=f"Fair {c}")).id
        rows = [ClientInput(name=f"Visitor {c}-{i:04d}", external_id=f"v{c}-{i}") for i in range(7500)]
        ids = store.upsert_clients(ws, rows).ids
        source = SourceRef(SourceKind.CHANNEL, channel)
        store.add_referrals(ws, [ReferralInput(source, i, date(2025, 3, 1)) for i in ids])
    token = new_secret()
    store.create_token(ws, Role.VIEWER, "browser tests", hash_secret(token))
    app = create_app({"STORE": store, "TESTING": True})
    try:
        with served(app) as url:
            yield Site(url, store, Seeded(ws, "", ""), token)
    finally:
        store.close()


# What a browser without WebGL gives a page: no WebGL context from any canvas.
_NO_WEBGL = """(() => {
  const get = HTMLCanvasElement.prototype.getContext;
  HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
    return /webgl/i.test(kind) ? null : get.call(this, kind, ...rest);
  };
})();"""


def test_the_whole_network_is_drawn_whole_in_webgl_and_in_its_biggest_trees_without(browser, wide_site: Site) -> None:  # type: ignore[no-untyped-def]
    """22,503 nodes: drawn whole in WebGL under the default draw limit (100,000); a browser without WebGL
    draws every view in SVG and so at most 20,000 nodes: there the network opens as its biggest trees."""
    for webgl in (True, False):
        tab = _tab(browser, wide_site, "en-US")
        pg = next(tab)
        if not webgl:
            pg.add_init_script(_NO_WEBGL)
        pg.set_default_timeout(60_000)
        sign_in(pg, wide_site)
        if webgl:
            assert pg.get_attribute("#graph", "data-renderer") == "webgl"
            assert pg.get_attribute("#graph", "data-nodes") == pg.get_attribute("#webgl", "data-nodes") == "22504"
            assert "too many to draw" not in pg.inner_text("#tree-facts")
        else:
            assert pg.evaluate("() => document.createElement('canvas').getContext('webgl')") is None
            assert pg.get_attribute("#graph", "data-renderer") == "svg"
            trees = json.loads(pg.get_attribute("#tree-facts", "data-trees"))
            assert (trees["drawn"], trees["all"], trees["clients"]) == (2, 3, 15_000)
            assert trees["other"]["trees"] == 1 and trees["other"]["clients"] == 7500
            assert pg.locator("#graph g.node").count() == int(pg.get_attribute("#graph", "data-nodes")) == 15_002
            assert "too many to draw at once: the 2 biggest of 3 trees drawn" in pg.inner_text("#tree-facts")
        with contextlib.suppress(StopIteration):
            next(tab)  # the tab closes; its checks (no page errors, nothing fetched from outside) run


def test_views_under_the_webgl_size_stay_svg(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    pg = page
    sign_in(pg, site)
    open_tree(pg, "Podcast")  # 5,001 nodes, under the default 10,000
    assert pg.get_attribute("#graph", "data-renderer") == "svg"
    assert pg.locator("#webgl").is_hidden()


def test_exports_of_the_drawn_tree(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    pg = page
    sign_in(pg, site)
    open_tree(pg, "Ana Lima")
    drawn = int(pg.get_attribute("#graph", "data-nodes"))

    with pg.expect_download() as d:
        pg.click("#export-svg")
    svg = ET.parse(d.value.path()).getroot()
    ns = {"s": "http://www.w3.org/2000/svg"}
    nodes = svg.findall(".//s:g[@class='node']", ns)
    assert svg.tag == "{http://www.w3.org/2000/svg}svg" and len(nodes) == drawn
    assert d.value.suggested_filename == "ana-lima.svg"
    labels = {t.text for t in svg.iterfind(".//s:text", ns)}
    assert "Hugo Vaz" in labels

    with pg.expect_download() as d:
        pg.click("#export-png")
    png = Path(d.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width > 200 and height > 200

    with pg.expect_download() as d:
        pg.click("#download-graphml")
    g = nx.read_graphml(io.BytesIO(Path(d.value.path()).read_bytes()))
    assert g.number_of_nodes() == drawn and d.value.suggested_filename.endswith(".graphml")
    with pg.expect_download() as d:
        pg.click("#download-gexf")
    gexf = Path(d.value.path()).read_bytes()
    g = nx.read_gexf(io.BytesIO(gexf))
    assert g.number_of_nodes() == drawn
    # the page's layout travels in the file: a position for every drawn node, still valid against the XSD
    schema = xmlschema.XMLSchema(str(xsd.fetch(quiet=True) / "gexf.xsd"))
    assert [str(e.reason) for e in schema.iter_errors(io.BytesIO(gexf))] == []
    ns = "{http://www.gexf.net/1.2draft}"
    placed = {n.get("id"): n.find(ns + "position") for n in ET.fromstring(gexf).iter(ns + "node")}
    assert len(placed) == drawn and all(p is not None for p in placed.values())
    xs = {float(p.get("x")) for p in placed.values()}
    assert len(xs) > 1  # laid out, not piled up


def test_whole_network_view_colours_by_root_channel(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    pg = page
    sign_in(pg, site)
    before = pg.get_attribute("#graph", "data-renders")
    pg.select_option("#colour", "channel")
    pg.click("#whole-network")
    wait_drawn(pg, before)
    levels = nx.get_node_attributes(analysis.network_graph(site.store.snapshot(site.seeded.ws)), "level")
    assert int(pg.get_attribute("#graph", "data-nodes")) == len(levels) + 1  # all of it, and the workspace
    drawn = node_names(pg)
    # levels as in every export: the channel at 0, Ana at 1, ... Hugo at 8 (past the credit depth)
    assert (drawn["Spring newsletter"], drawn["Ana Lima"], drawn["Hugo Vaz"]) == (0, 1, 8)
    assert drawn["Hugo Vaz"] == levels[site.seeded.clients["Hugo Vaz"]]
    faded = pg.eval_on_selector_all(
        "#graph g.node[data-past-credit-depth] title", "els => els.map(e => e.textContent.split(' · ')[0])"
    )
    assert "Hugo Vaz" in faded and "Gina Sousa" not in faded
    legend = pg.inner_text("#legend")
    assert "Spring newsletter" in legend and "Podcast" in legend
    fills = pg.eval_on_selector_all(
        "#graph g.node[data-kind=client]",
        "els => new Set(els.map(e => e.querySelector('.shape').getAttribute('fill'))).size",
    )
    assert fills >= 2  # the newsletter's clients and the podcast's differ
    shot(pg, "whole-network")


def test_the_token_stays_in_the_tab_until_sign_out(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    pg = page
    sign_in(pg, site)
    pg.reload()
    pg.wait_for_selector("#results button")  # still signed in after a reload
    assert pg.evaluate("() => document.cookie") == ""
    pg.click("#sign-out")
    assert pg.is_visible("#sign-in")
    assert pg.evaluate("() => sessionStorage.length") == 0
    pg.reload()
    assert pg.is_visible("#sign-in") and not pg.is_visible("#app")


def test_serve_prints_a_link_that_opens_the_page_signed_in(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with serve(tmp_path / "serve.db") as (port, banner):
        link = banner["network page of 'My network', signed in"]
        assert link.startswith(f"http://127.0.0.1:{port}/#token=")
        for _ in range(100):
            try:
                page.goto(link)
                break
            except playwright_api.Error:
                time.sleep(0.1)
        page.wait_for_selector("#results")
        assert page.inner_text("#workspace-name") == "My network · owner"
        assert "token" not in page.url  # taken out of the address bar and history
        # The page goes on asking (the summary, the channels) after its results show: let it finish
        # before the server stops, or a request cut off mid-answer is logged as the page's error.
        page.wait_for_load_state("networkidle")
        page.goto("about:blank")


def test_nothing_leaves_the_machine(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    """The guard sees a request to another host; the page's own policy stops one before it is sent."""
    pg = page
    sign_in(pg, site)
    blocked = pg.evaluate("() => fetch('http://cdn.example.org/lib.js').then(() => 'sent', e => 'refused: ' + e.name)")
    assert blocked.startswith("refused")  # connect-src 'self'
    assert site.outside == []
    assert any("Content Security Policy" in e for e in pg.errors)
    pg.errors.clear()

    other = pg.context.new_page()
    other.set_content('<img src="http://cdn.example.org/pixel.png">')  # a page with no such policy
    other.wait_for_timeout(300)
    assert site.outside == ["http://cdn.example.org/pixel.png"]  # the guard caught (and aborted) it
    site.outside.clear()
    other.close()


def test_the_api_docs_render_under_their_content_security_policy(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    pg = page
    violations: list[str] = []
    pg.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    resp = pg.goto(site.url + "/api/v1/docs")
    assert resp is not None and "script-src 'self' 'sha256-" in resp.headers["content-security-policy"]
    assert "unsafe-inline" not in resp.headers["content-security-policy"]
    pg.wait_for_selector(".swagger-ui .info .title")
    assert "referrals" in pg.inner_text(".swagger-ui .info .title")
    pg.wait_for_selector(".opblock-tag")  # the operations, read from /api/v1/openapi.json
    shot(pg, "api-docs")
    assert violations == []


def test_the_depth_slider_starts_at_all_levels_and_runs_to_the_one_bound(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    pg = page
    sign_in(pg, site)
    assert pg.get_attribute("#depth", "max") == str(MAX_DEPTH + 1)  # one step past the bound: all levels
    assert pg.input_value("#depth") == str(MAX_DEPTH + 1) and pg.inner_text("#depth-value") == "all"
    open_tree(pg, "Spring newsletter")
    assert max(node_names(pg).values()) == 8  # Hugo, eight levels below the newsletter
    before = pg.get_attribute("#graph", "data-renders")
    pg.fill("#depth", str(MAX_DEPTH))
    wait_drawn(pg, before)
    assert pg.inner_text("#depth-value") == str(MAX_DEPTH) and max(node_names(pg).values()) == 8
    before = pg.get_attribute("#graph", "data-renders")
    pg.fill("#depth", str(MAX_DEPTH + 1))
    wait_drawn(pg, before)
    assert pg.inner_text("#depth-value") == "all" and pg.get_attribute("#graph", "data-depth") == "all"


# -- past the draw limit, key clients in every currency, the channel form (small network) -------


def test_past_the_draw_limit_the_page_draws_the_biggest_trees_and_counts_the_rest(small_site: SmallSite, page) -> None:  # type: ignore[no-untyped-def]
    pg = page
    sign_in(pg, small_site)  # type: ignore[arg-type]
    drawn = node_names(pg)
    # Blog's tree (5 nodes), Instagram's (3) and Gus (1) fit in 9; Hal would be the tenth.
    assert set(drawn) - {"Small studio"} == {"Blog", "Ada", "Ben", "Cy", "Dee", "Instagram", "Eli", "Fay", "Gus"}
    assert drawn["Blog"] == 0 and drawn["Ada"] == 1 and drawn["Cy"] == 3 and drawn["Gus"] == 0  # levels as exports
    trees = json.loads(pg.get_attribute("#tree-facts", "data-trees"))
    assert (trees["drawn"], trees["all"], trees["clients"]) == (3, 5, 7)
    assert trees["other"] == {
        "trees": 2,
        "clients": 1,
        "revenue": [{"currency": "EUR", "amount": None, "amount_minor": 900}],
    }
    facts = pg.inner_text("#tree-facts")
    assert facts.startswith("8 clients in all — too many to draw at once: the 3 biggest of 5 trees drawn (7 clients)")
    assert "the other 2 trees hold 1 client (€9.00)" in facts
    summary = _small_api(small_site, "/network/summary")
    assert _minor(json.loads(pg.get_attribute("#tree-facts", "data-revenue"))) == _minor(summary["revenue"])
    shot(pg, "biggest-trees")
    before = pg.get_attribute("#graph", "data-renders")
    pg.fill("#depth", "1")  # the drawn trees cut at a depth say what lies past it
    wait_drawn(pg, before)
    assert set(node_names(pg)) - {"Small studio"} == {"Blog", "Ada", "Instagram", "Eli", "Gus"}
    assert "3 shown; past level 1: 4 (€50.00 · $700.00)" in pg.inner_text("#tree-facts")
    assert _minor(json.loads(pg.get_attribute("#tree-facts", "data-revenue"))) == _minor(summary["revenue"])


@pytest.mark.parametrize("small_site", [4], indirect=True)
def test_when_even_the_biggest_tree_is_too_big_the_page_says_which_and_what_to_do(small_site: SmallSite, page) -> None:  # type: ignore[no-untyped-def]
    pg = page
    pg.goto(small_site.url + "/")
    pg.fill("#token-input", small_site.token)
    pg.click("#sign-in-form button[type=submit]")
    pg.wait_for_selector("#status.error")
    assert pg.inner_text("#status") == (
        "the network's biggest tree (Blog, 4 clients) is more than the 4 nodes the page draws at once;"
        " pick a client or channel in it"
    )
    assert pg.eval_on_selector_all("#graph g.node", "els => els.length") == 0
    open_tree(pg, "Blog")  # and a pick still opens it
    assert set(node_names(pg)) == {"Blog", "Ada", "Ben", "Cy", "Dee"}


def test_key_clients_rank_in_the_picked_currency_and_show_every_currency(small_site: SmallSite, page) -> None:  # type: ignore[no-untyped-def]
    pg = page
    sign_in(pg, small_site)  # type: ignore[arg-type]
    pg.click("button[data-view=key]")
    pg.wait_for_selector("#key-table tbody tr td button")
    assert pg.eval_on_selector_all("#key-currency option", "els => els.map(e => e.value)") == ["EUR", "USD"]
    assert pg.input_value("#key-currency") == "EUR"  # four clients paid in EUR, two in USD

    def rows() -> dict[str, list[str]]:
        return pg.eval_on_selector_all(
            "#key-table tbody tr",
            "els => Object.fromEntries(els.map(e => [e.cells[1].innerText,"
            " [e.cells[3].innerText, e.cells[4].innerText]]))",
        )

    eur = rows()
    assert eur["Cy"] == ["€0.00 · $700.00", "€0.00"]  # paid in USD only: shown, not "own 0.00"
    assert eur["Ada"] == ["€100.00", "€50.00 · $700.00"]
    names = pg.eval_on_selector_all("#key-table tbody tr", "els => els.map(e => e.cells[1].innerText)")
    assert names == [k["name"] for k in _small_api(small_site, "/network/key-clients?limit=25")["items"]]
    shot(pg, "key-clients-eur")
    pg.select_option("#key-currency", "USD")
    api_usd = _small_api(small_site, "/network/key-clients?limit=25&currency=USD")["items"]
    pg.wait_for_function(  # re-ranked: the ranking's currency comes first in every revenue cell
        "() => document.querySelector('#key-table tbody tr').cells[3].innerText.split(' · ')[0].startsWith('$')"
    )
    names = pg.eval_on_selector_all("#key-table tbody tr", "els => els.map(e => e.cells[1].innerText)")
    assert names == [k["name"] for k in api_usd]
    usd = rows()
    assert usd["Cy"] == ["$700.00", "$0.00"]
    assert usd["Ada"] == ["$0.00 · €100.00", "$700.00 · €50.00"]
    shot(pg, "key-clients-usd")


def test_the_channel_form_adds_a_channel_ready_to_record_who_came_through_it(small_site: SmallSite, page) -> None:  # type: ignore[no-untyped-def]
    pg = page
    sign_in(pg, small_site)  # type: ignore[arg-type]
    pg.click("button[data-view=record]")
    kinds = pg.eval_on_selector_all("#form-channel [name=kind] option", "els => els.map(e => e.value)")
    assert kinds == [k.value for k in ChannelKind]
    form = "#form-channel"
    pg.fill(f"{form} [name=name]", "Telegram: design chat")
    pg.select_option(f"{form} [name=kind]", "social")
    pg.fill(f"{form} [name=url]", "ftp://t.me/design")
    pg.click(f"{form} button[type=submit]")
    pg.wait_for_selector(f"{form} [data-error-for=url]:not(:empty)")
    assert "http" in pg.inner_text(f"{form} [data-error-for=url]")
    assert [
        c.name for c in small_site.store.list_channels(small_site.small.ws).items if c.name.startswith("Tele")
    ] == []
    pg.errors.clear()  # the refused POST is logged by the browser
    pg.fill(f"{form} [name=url]", "https://t.me/design")
    pg.click(f"{form} button[type=submit]")
    pg.wait_for_selector(f"{form} .form-ok:has-text('Added Telegram: design chat.')")
    made = [c for c in small_site.store.list_channels(small_site.small.ws).items if c.name == "Telegram: design chat"]
    assert len(made) == 1 and made[0].kind is ChannelKind.SOCIAL and made[0].url == "https://t.me/design"
    assert pg.input_value("#form-referral [name=source_kind]") == "channel"
    assert pg.input_value("#form-referral [name=source_id]") == f"Telegram: design chat ({made[0].id})"
    pg.fill("#form-referral [name=client_id]", "Hal")
    pg.click("#form-referral button[type=submit]")
    pg.wait_for_selector("#form-referral .form-ok:has-text('Recorded (primary source)')")
    pg.fill("#search", "Telegram")
    pg.wait_for_selector("#results button[data-kind=channel]:has-text('Telegram: design chat')")
    shot(pg, "channel-form")


def _small_api(site: SmallSite, path: str) -> dict:
    req = urllib.request.Request(f"{site.url}/api/v1{path}", headers={"Authorization": f"Bearer {site.token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


# -- attribution -----------------------------------------------------------------------------


def _cli_export(small_site: SmallSite, *args: str) -> bytes:
    result = CliRunner().invoke(
        cli,
        [
            "--database-url",
            f"sqlite:///{small_site.store.path}",
            "attribution",
            "export",
            "--workspace",
            small_site.small.ws,
            *args,
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def _wait_loaded(pg, before: str | None) -> None:  # type: ignore[no-untyped-def]
    pg.wait_for_function(
        "([before]) => { const b = document.querySelector('#att-body');"
        " return b.dataset.loads && b.dataset.loads !== before; }",
        arg=[before],
    )


def _pick(pg, selector: str, value: str) -> None:  # type: ignore[no-untyped-def]
    before = pg.get_attribute("#att-body", "data-loads")
    if selector == "#att-model":
        pg.select_option(selector, value)
    else:
        pg.fill(selector, value)
        pg.dispatch_event(selector, "change")
    _wait_loaded(pg, before)


def _plain(shown: str, lang: str = "en") -> str:
    """A number or amount as the page shows it ("€1,250.50", "1 250,50 €") read back as the CSV writes
    it ("1250.50"): currency signs and digit groups out, the language's decimal mark made a point."""
    text = re.sub(r"[^\d,.\-−]", "", shown).replace("−", "-")
    if lang == "ru":
        return text.replace(",", ".")
    return text.replace(",", "")


def _page_rows(pg, lang: str = "en") -> dict[tuple[str, str], list[str]]:  # type: ignore[no-untyped-def]
    """(source id, currency) -> the statement cells the page shows: credit, deals, new clients, L1..>L7,
    read back from the page's digits."""
    return {
        (k[0], k[1]): [_plain(c, lang) for c in v]
        for k, v in pg.eval_on_selector_all(
            ".att-rows tbody tr",
            "els => els.map(e => [[e.dataset.source, e.dataset.currency],"
            " Array.from(e.cells).slice(2).map(c => c.innerText)])",
        )
    }


def _cli_rows(data: bytes) -> dict[tuple[str, str], list[str]]:
    levels = [f"level_{n}" for n in range(1, 8)] + ["above_level_7"]
    return {
        (r["source_id"], r["currency"]): [r["amount"], r["deals"], r["new_clients_level_1"], r["new_clients"]]
        + [r[c] for c in levels]
        for r in csv.DictReader(io.StringIO(data.decode()))
        if r["currency"]
    }


def _cents(text: str) -> int:
    return int(Decimal(text) * 100)


def test_the_attribution_tab_shows_the_clis_numbers_and_downloads_its_files(small_site: SmallSite, page) -> None:  # type: ignore[no-untyped-def]
    pg = page
    sign_in(pg, small_site)  # type: ignore[arg-type]
    pg.click("button[data-view=attribution]")
    _wait_loaded(pg, None)  # last month, empty here: says so
    assert "nothing was credited" in pg.inner_text("#att-empty")
    models = pg.eval_on_selector_all("#att-model option", "els => els.map(e => e.value)")
    assert models == [m.value for m in Model] and pg.input_value("#att-model") == "linear"
    _pick(pg, "#att-month", "2025-02")

    cli_csv = _cli_export(small_site, "--month", "2025-02", "--model", "linear", "--format", "csv")
    want = _cli_rows(cli_csv)
    assert _page_rows(pg) == want and len(want) >= 5
    # per currency: the total credited is every deal (linear shares the whole amount), split by kind of source
    for currency in ("EUR", "USD"):
        block = f".att-currency[data-currency={currency}]"
        total = int(pg.get_attribute(block, "data-total-minor"))
        assert total == sum(m for m, c in SMALL_DEALS.values() if c == currency)
        parts = pg.eval_on_selector_all(
            f"{block} .att-split dd", "els => els.map(e => [e.dataset.part, Number(e.dataset.minor)])"
        )
        rows = [r for r in csv.DictReader(io.StringIO(cli_csv.decode())) if r["currency"] == currency]
        for part, minor in parts:
            assert minor == sum(_cents(r["amount"]) for r in rows if r["source_type"] == part), (currency, part)
        assert sum(m for _, m in parts) == total
        bars = pg.eval_on_selector_all(f"{block} g.bar", "els => els.map(e => Number(e.dataset.minor))")
        assert bars == sorted(bars, reverse=True) and len(bars) == len(rows)
    assert pg.get_attribute("#att-state", "data-closed") == "false"
    shot(pg, "attribution-open-month")

    # the downloads are the CLI's files, byte for byte
    with pg.expect_download() as d:
        pg.click("#att-csv")
    assert Path(d.value.path()).read_bytes() == cli_csv
    assert d.value.suggested_filename == "attribution-2025-02-linear.csv"
    with pg.expect_download() as d:
        pg.click("#att-xlsx")
    assert Path(d.value.path()).read_bytes() == _cli_export(small_site, "--month", "2025-02", "--format", "xlsx")

    # a click on a source: its deals and its credit per level, as the statement has them
    ada = small_site.small.clients["Ada"]
    pg.click(f".att-currency[data-currency=EUR] g.bar[data-source={ada}] rect")
    pg.wait_for_selector(f"#att-source[data-source={ada}]:not([hidden])")
    payers = pg.eval_on_selector_all("#att-source .att-lines tbody tr", "els => els.map(e => e.cells[1].innerText)")
    assert sorted(payers) == ["Ben", "Cy"]  # the deals of the clients below her
    levels = dict(
        pg.eval_on_selector_all(
            "#att-source .att-levels tbody tr",
            "els => els.map(e => [e.dataset.level + ' ' + e.dataset.currency, e.cells[1].innerText])",
        )
    )
    for (source, currency), cells in want.items():
        if source != ada:
            continue
        for n in range(1, 8):
            amount = cells[3 + n]
            if Decimal(amount):
                assert _plain(levels[f"{n} {currency}"]) == amount
    shot(pg, "attribution-source")

    # a closed month: shown closed with its checksum; its numbers stay the CLI's under any model
    closed = small_site.store.close_month(small_site.small.ws, "2025-02")
    _pick(pg, "#att-model", "geometric")
    assert pg.get_attribute("#att-state", "data-closed") == "true"
    assert pg.inner_text("#att-checksum") == closed.checksum
    assert _page_rows(pg) == _cli_rows(
        _cli_export(small_site, "--month", "2025-02", "--model", "geometric", "--format", "csv")
    )
    shot(pg, "attribution-closed-month")
    _pick(pg, "#att-model", "unilevel")  # a commission plan: what it keeps shows as its own part
    assert pg.locator(".att-currency[data-currency=EUR] .att-split dd[data-part=house]").count() == 1
    assert _page_rows(pg) == _cli_rows(
        _cli_export(small_site, "--month", "2025-02", "--model", "unilevel", "--format", "csv")
    )

    # a date range over the closed month
    pg.select_option("#att-period", "range")
    pg.fill("#att-from", "2025-01-01")
    _pick(pg, "#att-to", "2025-03-31")
    assert "2025-02 come from their frozen facts" in pg.inner_text("#att-state")
    ranged = _cli_export(
        small_site, "--from", "2025-01-01", "--to", "2025-03-31", "--model", "unilevel", "--format", "csv"
    )
    assert _page_rows(pg) == _cli_rows(ranged)
    with pg.expect_download() as d:
        pg.click("#att-csv")
    assert Path(d.value.path()).read_bytes() == ranged


def test_the_attribution_tab_names_a_missing_field(small_site: SmallSite, page) -> None:  # type: ignore[no-untyped-def]
    pg = page
    sign_in(pg, small_site)  # type: ignore[arg-type]
    pg.click("button[data-view=attribution]")
    _wait_loaded(pg, None)
    pg.select_option("#att-period", "range")
    pg.click("#att-form button[type=submit]")
    assert pg.inner_text("#att-error") == "from: pick the first day"
    pg.fill("#att-from", "2025-03-01")
    pg.fill("#att-to", "2025-01-01")
    pg.click("#att-form button[type=submit]")
    pg.wait_for_function("() => document.querySelector('#att-error').textContent.startsWith('to:')")
    assert "before the first day" in pg.inner_text("#att-error")
    assert pg.get_attribute("#att-to", "aria-invalid") == "true"


# -- as of a day -----------------------------------------------------------------------------


def _as_of(pg, day: str) -> None:  # type: ignore[no-untyped-def]
    before = pg.get_attribute("#graph", "data-renders")
    pg.fill("#as-of", day)
    pg.dispatch_event("#as-of", "change")
    wait_drawn(pg, before)


def test_the_network_as_of_a_day_and_its_growth_replayed(small_site: SmallSite, page) -> None:  # type: ignore[no-untyped-def]
    """The small network's recommendations are dated Jan 6 to 11, 2025 (Blog: Ada, Ben, Cy, Dee), its
    deals Feb 5; Gus and Hal came in directly, recorded today."""
    pg = page
    sign_in(pg, small_site)  # type: ignore[arg-type]
    assert pg.input_value("#as-of") == "" and pg.inner_text("#as-of-label") == "today"
    months = int(pg.get_attribute("#as-of-month", "max")) + 1
    assert months >= 2  # from the network's first month (2025-01) to this one
    blog = small_site.small.channels["Blog"]
    open_tree(pg, "Blog")
    _as_of(pg, "2025-01-07")
    api = _small_api(small_site, f"/channels/{blog}/tree?as_of=2025-01-07")
    assert set(node_names(pg)) == {"Blog", "Ada", "Ben"} == {"Blog"} | {c["name"] for c in _walk(api["children"])}
    assert pg.eval_on_selector_all("#graph g.node[data-new]", "els => els.length") == 0  # a jump back: nobody new
    assert pg.inner_text("#tree-facts").startswith("as of 2025-01-07: 2 clients in all")
    _as_of(pg, "2025-01-09")  # a step forward: Cy and Dee came in, ringed
    assert set(node_names(pg)) == {"Blog", "Ada", "Ben", "Cy", "Dee"}
    new = pg.eval_on_selector_all("#graph g.node[data-new] title", "els => els.map(e => e.textContent.split(' · ')[0])")
    assert sorted(new) == ["Cy", "Dee"]
    assert "green ring: new since the end of 2025-01-07 (2)" in pg.inner_text("#legend")
    _as_of(pg, "2025-01-09")  # the same day again (a pick sent twice): the same rings
    new = pg.eval_on_selector_all("#graph g.node[data-new] title", "els => els.map(e => e.textContent.split(' · ')[0])")
    assert sorted(new) == ["Cy", "Dee"]
    assert "green ring: new since the end of 2025-01-07 (2)" in pg.inner_text("#legend")
    shot(pg, "as-of-step")
    with pg.expect_download() as d:  # the downloads are of the day shown
        pg.click("#download-graphml")
    g = nx.read_graphml(d.value.path())
    assert sorted(a["name"] for _, a in g.nodes(data=True)) == ["Ada", "Ben", "Blog", "Cy", "Dee"]
    # revenue to that day: the deals of Feb 5 are not in yet
    assert json.loads(pg.get_attribute("#tree-facts", "data-revenue")) == []
    # the other views follow the day
    pg.click("button[data-view=summary]")
    pg.wait_for_function("() => document.querySelector('#summary .card .big')")
    assert pg.inner_text("#summary .card .big") == str(
        _small_api(small_site, "/network/summary?as_of=2025-01-09")["clients"]
    )
    assert pg.inner_text("#summary .card .big") == "4"
    pg.click("button[data-view=key]")
    pg.wait_for_selector("#key-table tbody tr td button")
    names = pg.eval_on_selector_all("#key-table tbody tr", "els => els.map(e => e.cells[1].innerText)")
    assert names == [
        k["name"] for k in _small_api(small_site, "/network/key-clients?limit=25&as_of=2025-01-09")["items"]
    ]
    pg.click("button[data-view=tree]")
    # Replay: from the first month, one month a step, the slider and the tree moving together
    pg.click("#as-of-today")
    pg.wait_for_function("() => document.querySelector('#as-of-bar').dataset.asOf === ''")
    pg.click("#as-of-play")
    pg.wait_for_function("() => document.querySelector('#as-of-bar').dataset.asOf === '2025-01-31'")
    pg.wait_for_function("() => document.querySelector('#as-of-bar').dataset.asOf === '2025-02-28'", timeout=10_000)
    pg.click("#as-of-play")  # stop
    assert pg.inner_text("#as-of-play") == "▶ Replay"
    assert pg.input_value("#as-of-month") == "1"
    pg.wait_for_function("() => document.querySelector('#tree-facts').textContent.startsWith('as of 2025-02-28')")
    assert json.loads(pg.get_attribute("#tree-facts", "data-revenue")) != []  # February's deals are in
    pg.click("#as-of-today")
    pg.wait_for_function("() => !document.querySelector('#tree-facts').textContent.startsWith('as of')")


def _walk(children: list[dict]) -> list[dict]:
    out = []
    for c in children:
        out.append(c)
        out.extend(_walk(c.get("children", [])))
    return out


# -- growth ----------------------------------------------------------------------------------


def test_the_growth_tab_draws_the_apis_numbers(small_site: SmallSite, page) -> None:  # type: ignore[no-untyped-def]
    pg = page
    sign_in(pg, small_site)  # type: ignore[arg-type]
    pg.click("button[data-view=growth]")
    pg.wait_for_function("() => document.querySelector('#growth-body').dataset.loads")
    api = _small_api(small_site, "/network/growth?months=24&window=3")
    rows = pg.eval_on_selector_all(
        ".growth-cohorts tbody tr",
        "els => els.map(e => [e.dataset.month, ...Array.from(e.cells).slice(1, 6).map(c => c.innerText)])",
    )
    want = [
        [
            c["month"],
            str(c["new_clients"]),
            *(str(c["by_origin"][o]) for o in ("people", "channels", "direct")),
            f"{c['k']:.2f}" + ("*" if c["window_open"] else ""),
        ]
        for c in api["cohorts"]
    ]
    assert rows == want
    jan = next(c for c in api["cohorts"] if c["month"] == "2025-01")
    assert jan["new_clients"] == 6 and jan["by_origin"] == {"people": 4, "channels": 2, "direct": 0}
    bars = pg.eval_on_selector_all(".growth-chart .month", "els => els.map(e => Number(e.dataset.newClients))")
    assert bars == [c["new_clients"] for c in api["cohorts"]]
    channels = pg.eval_on_selector_all(
        ".growth-channels tbody tr", "els => els.map(e => [e.cells[0].innerText, e.cells[2].innerText])"
    )
    assert channels == [[c["name"], str(c["depth"])] for c in api["channels"]]
    assert ["Blog", "3"] in channels  # Blog > Ada > Ben > Cy
    shot(pg, "growth")
    before = pg.get_attribute("#growth-body", "data-loads")
    pg.fill("#growth-to", "2025-02")
    pg.dispatch_event("#growth-to", "change")
    pg.wait_for_function("([b]) => document.querySelector('#growth-body').dataset.loads !== b", arg=[before])
    assert pg.eval_on_selector_all(".growth-cohorts tbody tr", "els => els.length") == 24
    assert "2025-02: where new business came from" in pg.inner_text("#growth-this-month")
    pg.fill("#growth-window", "99")
    pg.click("#growth-form button[type=submit]")
    pg.wait_for_function("() => document.querySelector('#growth-error').textContent.startsWith('window:')")
    assert pg.get_attribute("#growth-window", "aria-invalid") == "true"


def test_the_checks_tab_shows_the_apis_findings_and_dismisses_with_a_note(small_site: SmallSite, page) -> None:  # type: ignore[no-untyped-def]
    from referrals.model import ClientPatch

    pg = page
    c = small_site.small.clients
    for who in ("Ada", "Dee"):  # Ada recommended Dee, and they share a phone: two findings
        small_site.store.update_client(small_site.small.ws, c[who], ClientPatch.parse({"phone": "+7 916 123-45-67"}))
    sign_in(pg, small_site)  # type: ignore[arg-type]
    pg.wait_for_function("() => document.querySelector('#checks-badge').textContent === '2'")
    api = _small_api(small_site, "/network/integrity")
    assert [f["rule"] for f in api["findings"]] == ["shared_contact", "self_referral"]
    pg.click("button[data-view=checks]")
    pg.wait_for_function("() => document.querySelector('#checks-body').dataset.loads")
    shown = pg.eval_on_selector_all(
        "#checks-list li.finding", "els => els.map(e => [e.dataset.key, e.querySelector('.summary').innerText])"
    )
    assert shown == [[f["key"], f["summary"]] for f in api["findings"]]
    assert "Ada" in shown[0][1] and "+79161234567" in shown[0][1]
    counts = pg.eval_on_selector_all(
        "#checks-rules tbody tr", "els => els.map(e => [e.dataset.rule, Number(e.cells[2].innerText)])"
    )
    assert counts == [[r["id"], r["open"]] for r in api["rules"]]
    shot(pg, "checks")
    # a note is needed: the refusal is shown next to the field and nothing is dismissed
    first = pg.locator(f"#checks-list li[data-key='{api['findings'][0]['key']}']")
    first.locator("button[type=submit]").click()
    first.locator(".field-error").wait_for()
    pg.wait_for_function("() => document.querySelector('#checks-list .field-error').textContent")
    assert first.locator(".field-error").inner_text() == "note: must not be blank"
    assert _small_api(small_site, "/network/integrity")["open"] == 2
    before = pg.get_attribute("#checks-body", "data-loads")
    first.locator("input[name=note]").fill("Mother and daughter, one phone")
    first.locator("button[type=submit]").click()
    pg.wait_for_function("([b]) => document.querySelector('#checks-body').dataset.loads !== b", arg=[before])
    assert pg.inner_text("#checks-badge") == "1"
    assert pg.eval_on_selector_all("#checks-list li.finding", "els => els.length") == 1
    after = _small_api(small_site, "/network/integrity")
    assert (after["open"], after["dismissed"]) == (1, 1)
    assert after["findings"][1]["dismissed"]["note"] == "Mother and daughter, one phone"
    pg.check("#checks-dismissed")
    dismissed = pg.locator("#checks-list li.finding.dismissed")
    assert "Mother and daughter, one phone" in dismissed.inner_text()
    # the tree flags the clients of open findings
    pg.click("button[data-view=tree]")
    open_tree(pg, "Blog")
    flagged = pg.eval_on_selector_all("#graph g.node[data-flagged]", "els => els.map(e => e.dataset.id).sort()")
    assert flagged == sorted([c["Ada"], c["Dee"]])
    # shown again (the tab's own load is waited for first: answered after the click below, it would
    # count as the load that follows it and show the count from before)
    before = pg.get_attribute("#checks-body", "data-loads")
    pg.click("button[data-view=checks]")
    pg.wait_for_function("([b]) => document.querySelector('#checks-body').dataset.loads !== b", arg=[before])
    pg.wait_for_selector("#checks-list li.finding.dismissed")
    before = pg.get_attribute("#checks-body", "data-loads")
    pg.click("#checks-list li.finding.dismissed button.undismiss")
    pg.wait_for_function("([b]) => document.querySelector('#checks-body').dataset.loads !== b", arg=[before])
    assert pg.inner_text("#checks-badge") == "2"
    # thresholds out of range are named
    pg.fill("#checks-form [name=hollow_size]", "1")
    pg.click("#checks-form button[type=submit]")
    pg.wait_for_function("() => document.querySelector('#checks-error').textContent.startsWith('hollow_size:')")
    assert pg.get_attribute("#checks-form [name=hollow_size]", "aria-invalid") == "true"


# -- the page in Russian ------------------------------------------------------------------------

# What may stay in Latin letters on the Russian page: the product's and file formats' names, currency
# codes, commands to type, the viral coefficient's letter, and the language switch's "English".
LATIN_KEPT = {
    "referrals", "token", "create", "serve", "attribution", "close", "statement", "month",
    "CSV", "XLSX", "PNG", "SVG", "GraphML", "GEXF", "EUR", "USD", "RUB", "English", "Email", "email", "id",
}  # fmt: skip
SWEEP = """() => {
    const texts = [document.title, document.body.innerText];
    for (const el of document.querySelectorAll("[title], [aria-label], [placeholder]")) {
        if (el.closest("[hidden]")) continue;
        for (const name of ["title", "aria-label", "placeholder"]) texts.push(el.getAttribute(name) || "");
    }
    for (const el of document.querySelectorAll("svg title, option")) {
        if (!el.closest("[hidden]")) texts.push(el.textContent);
    }
    // <code>: what the reader types or quotes as it is (a command, a finding's key, a checksum)
    const code = [...document.querySelectorAll("code")].map((el) => el.textContent);
    return [texts.join("\\n"), code];
}"""


ISO_DAY = re.compile(r"\b\d{4}-\d{2}(-\d{2})?\b")  # a Russian page writes 31.10.2026 and 10.2026


def english_left(pg, site: Site) -> list[str]:  # type: ignore[no-untyped-def]
    """The Latin words the page shows (text, tooltips, labels, placeholders, options) that are neither a
    name the user gave (clients, channels, the workspace), an email, an id, <code> nor one of LATIN_KEPT;
    and days or months written the ISO way (a command's --month value aside)."""
    text, code = pg.evaluate(SWEEP)
    for quoted in sorted(code, key=len, reverse=True):
        text = text.replace(quoted, " ")
    snap = site.store.snapshot(site.seeded.ws)
    names = [c.name for c in snap.clients] + [c.name for c in snap.channels]
    for name in sorted({*names, "Demo studio"}, key=len, reverse=True):
        text = text.replace(name, " ")
    text = re.sub(r"\S+@\S+|\b(cl|ch|ws|dl|rf)_[0-9a-z]+\b|--\w+ [\w-]+|\b[0-9a-f]{16,}\b", " ", text)
    iso = [f"ISO {m.group()} in …{text[max(0, m.start() - 40) : m.end() + 40]}…" for m in ISO_DAY.finditer(text)]
    return iso + sorted(
        {
            f"{m.group()} in …{text[max(0, m.start() - 40) : m.end() + 40]}…"
            for m in re.finditer(r"[A-Za-z]{2,}", text)
            if m.group() not in LATIN_KEPT
        }
    )


def ru(n: int | Decimal, currency: str | None = None) -> str:
    """A number or an amount as the command line writes it in Russian (Babel, CLDR): the page's must
    be the same characters."""
    from babel.numbers import format_currency, format_decimal

    if currency:
        return format_currency(Decimal(n), currency, locale="ru")
    return format_decimal(n, locale="ru")


def test_the_page_in_russian(site: Site, ru_page) -> None:  # type: ignore[no-untyped-def]
    pg = ru_page
    snap = site.store.snapshot(site.seeded.ws)
    clients = len(snap.clients)
    pg.goto(site.url + "/")
    pg.wait_for_selector("#sign-in-form h2:text('Войти')")
    assert pg.evaluate("document.documentElement.lang") == "ru" and pg.input_value("#lang") == "ru"
    pg.click("#sign-in-form button[type=submit]")  # no token
    assert pg.inner_text("#sign-in-error") == "Токен: вставьте токен пространства"
    assert english_left(pg, site) == []
    shot(pg, "ru-sign-in")

    # the whole network, and one tree: counts, money and days in Russian, the same digits as the API's
    pg.fill("#token-input", site.token)
    pg.click("#sign-in-form button[type=submit]")
    pg.wait_for_selector("#graph[data-renders]")
    assert pg.inner_text("#status").endswith("мс.") and "узл" in pg.inner_text("#status")
    assert pg.inner_text("#tree-title") == "Вся сеть: Demo studio"
    assert pg.inner_text("#tree-facts").startswith(f"всего {ru(clients)} клиент")
    assert english_left(pg, site) == []
    open_tree(pg, "Ana Lima")
    facts = pg.inner_text("#tree-facts")
    tree = _api(site, f"/clients/{site.seeded.clients['Ana Lima']}/tree")
    revenue = Decimal(tree["revenue"][0]["amount"])
    assert f"всего {ru(tree['size'])} клиентов" in facts and f"выручка: {ru(revenue, 'EUR')}" in facts
    assert revenue >= 1000  # digits grouped: "2 099,50 €"
    assert "уровень 3" in pg.inner_text("#legend") and "тупик" in pg.inner_text("#legend")
    before = pg.get_attribute("#graph", "data-renders")
    pg.fill("#depth", "3")
    wait_drawn(pg, before)
    cut = _api(site, f"/clients/{site.seeded.clients['Ana Lima']}/tree?depth=3")
    past = ru(Decimal(cut["beyond"]["revenue"][0]["amount"]), "EUR")
    want = f"показано {ru(cut['shown'])}; глубже уровня 3: {ru(cut['beyond']['clients'])} ({past})"
    assert want in pg.inner_text("#tree-facts")
    assert english_left(pg, site) == []
    shot(pg, "ru-tree")

    # a node's details: its words, its day as DD.MM.YYYY, its money
    click_node(pg, "Carla Dias")
    pg.wait_for_selector("#details-chain:has-text('Привели: Bruno Costa ← Ana Lima ← Spring newsletter')")
    details = pg.inner_text("#details")
    carla = next(n for n in _flat(tree) if n["name"] == "Carla Dias")
    day = date.fromisoformat(carla["referred_on"]).strftime("%d.%m.%Y")
    assert f"дата рекомендации\n{day}" in details and "уровень\n2" in details
    assert f"собственная выручка\n{ru(Decimal(300), 'EUR')}" in details and "вид\nклиент" in details
    assert english_left(pg, site) == []
    shot(pg, "ru-details")

    # the chain up from Hugo, eight levels, each with its day
    open_tree(pg, "Hugo Vaz")
    click_node(pg, "Hugo Vaz")
    pg.click("#details button:has-text('Цепочка вверх')")
    pg.wait_for_selector("#chain-list li:has-text('уровень 8')")
    assert pg.inner_text("#chain-title") == "Цепочка вверх от Hugo Vaz"
    assert re.search(r"рекомендован \d\d\.\d\d\.2025", pg.inner_text("#chain-list"))
    assert english_left(pg, site) == []
    shot(pg, "ru-chain")

    # key clients: the API's ranking, scores with a decimal comma, money in Russian
    pg.click("button[data-view=key]")
    pg.wait_for_selector("#key-table tbody tr td button")
    key = _api(site, "/network/key-clients?limit=25")
    first = pg.eval_on_selector_all("#key-table tbody tr", "els => [...els[0].cells].map(c => c.innerText)")
    top = key["items"][0]
    assert first[1] == top["name"] and first[2] == f"{top['score']:.3f}".replace(".", ",")
    assert first[3].startswith(ru(Decimal(top["own_revenue"]["amount"]), "EUR"))
    assert english_left(pg, site) == []
    shot(pg, "ru-key-clients")

    # the summary: counts and shares in Russian, the same numbers as the API's
    pg.click("button[data-view=summary]")
    pg.wait_for_selector("#summary .card")
    summary = _api(site, "/network/summary")
    text = pg.inner_text("#summary")
    assert f"Клиенты\n{ru(summary['clients'])}" in text and "Самые активные рекомендатели" in text
    share = Decimal(str(summary["share_from_referral"] * 100)).quantize(Decimal("0.1"))
    assert f"по рекомендации\n{ru(summary['from_referral'])} ({str(share).replace('.', ',')}\xa0%)" in text
    assert english_left(pg, site) == []
    shot(pg, "ru-summary")

    # recording: a refusal in Russian next to its field, nothing written; then an amount typed the
    # Russian way goes in exactly
    pg.click("button[data-view=record]")
    assert pg.evaluate("navigator.language") == "ru-RU"  # the browser's own date fields read DD.MM.YYYY
    pg.click("#form-client button[type=submit]")  # no name
    pg.wait_for_selector("#form-client [data-error-for=name]:not(:empty)")
    assert pg.inner_text("#form-client [data-error-for=name]") == "Нет данных для обязательного поля."
    pg.fill("#form-deal [name=client_id]", "Ana Lima")
    pg.fill("#form-deal [name=amount]", "1.234,50")  # not how Russian writes it: refused, not guessed
    pg.fill("#form-deal [name=currency]", "RUB")
    pg.click("#form-deal button[type=submit]")
    pg.wait_for_selector("#form-deal [data-error-for=amount]:not(:empty)")
    assert "не десятичная сумма" in pg.inner_text("#form-deal [data-error-for=amount]")
    assert site.store.snapshot(site.seeded.ws).revenue == snap.revenue  # nothing written
    assert english_left(pg, site) == []
    shot(pg, "ru-record-errors")
    pg.fill("#form-deal [name=amount]", "1 234,50")
    pg.click("#form-deal button[type=submit]")
    pg.wait_for_selector("#form-deal .form-ok:not(:empty)")
    assert pg.inner_text("#form-deal .form-ok") == f"Добавлено: {ru(Decimal('1234.50'), 'RUB')}."
    ana = site.seeded.clients["Ana Lima"]
    assert site.store.snapshot(site.seeded.ws).revenue[ana]["RUB"] == 123450
    shot(pg, "ru-record")

    # attribution of March 2025: the CLI's numbers in Russian digits
    pg.click("button[data-view=attribution]")
    _wait_loaded(pg, None)
    before = pg.get_attribute("#att-body", "data-loads")
    pg.fill("#att-month", "2025-03")
    pg.dispatch_event("#att-month", "change")
    _wait_loaded(pg, before)
    cli_csv = _cli_export(_as_small(site), "--month", "2025-03", "--model", "linear", "--format", "csv")
    assert _page_rows(pg, "ru") == _cli_rows(cli_csv) and len(_cli_rows(cli_csv)) >= 3
    assert "03.2025" in pg.inner_text("#att-state") and "линейная" in pg.inner_text("#att-model")
    assert english_left(pg, site) == []
    shot(pg, "ru-attribution")

    # growth up to March 2025 and the checks (two clients sharing a phone make findings)
    pg.click("button[data-view=growth]")
    pg.wait_for_function("() => document.querySelector('#growth-body').dataset.loads")
    before = pg.get_attribute("#growth-body", "data-loads")
    pg.fill("#growth-to", "2025-03")
    pg.dispatch_event("#growth-to", "change")
    pg.wait_for_function("([b]) => document.querySelector('#growth-body').dataset.loads !== b", arg=[before])
    assert "03.2025: откуда пришли новые клиенты" in pg.inner_text("#growth-this-month")
    assert english_left(pg, site) == []
    shot(pg, "ru-growth")
    from referrals.model import ClientPatch

    for who in ("Iris Nunes", "Luis Moura"):
        site.store.update_client(
            site.seeded.ws, site.seeded.clients[who], ClientPatch.parse({"phone": "+7 916 123-45-67"})
        )
    pg.click("button[data-view=checks]")
    pg.click("#checks-form button[type=submit]")
    pg.wait_for_selector("#checks-list li.finding")
    assert re.match(r"\d+ открыт", pg.inner_text("#checks-count"))
    assert english_left(pg, site) == []
    shot(pg, "ru-checks")


def _flat(tree: dict) -> list[dict]:
    out, stack = [], list(tree["children"])
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(n.get("children") or [])
    return out


def _as_small(site: Site) -> SmallSite:
    """The big site in the shape _cli_export reads (its store and workspace)."""
    return SmallSite(site.url, site.store, Small(site.seeded.ws), site.token)


def test_the_page_follows_the_browser_and_remembers_the_switch(browser, site: Site) -> None:  # type: ignore[no-untyped-def]
    # A Russian browser gets the Russian page, and the API answers it in Russian; a switch to English is
    # kept in this browser, and from then on the page and the API's answers are English.
    asked: list[str] = []
    for tab in _tab(browser, site, "ru-RU"):
        pg = tab
        pg.on("request", lambda r: asked.append(r.headers.get("accept-language", "")) if "/api/v1/" in r.url else None)
        sign_in(pg, site)
        assert pg.evaluate("document.documentElement.lang") == "ru"
        pg.click("button[data-view=record]")
        pg.click("#form-client button[type=submit]")  # no name
        pg.wait_for_selector("#form-client [data-error-for=name]:not(:empty)")
        assert pg.inner_text("#form-client [data-error-for=name]") == "Нет данных для обязательного поля."
        assert asked and set(asked) == {"ru"}
        with pg.expect_navigation():
            pg.select_option("#lang", "en")
        pg.wait_for_selector("#graph[data-renders]")  # still signed in (the tab keeps its token)
        assert pg.evaluate("document.documentElement.lang") == "en"
        assert pg.inner_text("button[data-view=tree]") == "Tree"
        asked.clear()
        pg.click("button[data-view=record]")
        pg.click("#form-client button[type=submit]")
        pg.wait_for_selector("#form-client [data-error-for=name]:not(:empty)")
        assert pg.inner_text("#form-client [data-error-for=name]") == "Missing data for required field."
        assert set(asked) == {"en"}
        # remembered: a new tab of the same browser opens in English
        other = pg.context.new_page()
        other.goto(site.url + "/")
        other.wait_for_selector("#sign-in-form h2:text('Sign in')")
        assert other.evaluate("localStorage.getItem('referrals.lang')") == "en"
        other.close()


def test_counts_take_the_languages_plural_forms(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    # 1 клиент, 2 клиента, 5 клиентов, 21 клиент: the catalogue's forms picked by Intl.PluralRules
    pg = page
    pg.goto(site.url + "/")
    pg.wait_for_selector("#sign-in-form")
    got = pg.evaluate(
        """async () => {
            const i18n = await import("/static/app/i18n.js");
            const english = [1, 2, 5].map((n) => i18n.tn("{n} client", "{n} clients", n));
            await i18n.loadLanguage("ru");
            return {
                english,
                russian: [1, 2, 5, 21, 1000].map((n) => i18n.tn("{n} client", "{n} clients", n)),
                money: [i18n.formatMoney(125050, "RUB"), i18n.formatMoney(-2000, "EUR"), i18n.formatMoney(5, "JPY")],
                day: i18n.formatDate("2026-10-31"),
                read: ["1 250,50", "1\u00a0250,50", "1250,5", "1.250,50", "-20"].map(i18n.readAmount),
            };
        }"""
    )
    assert got["english"] == ["1 client", "2 clients", "5 clients"]
    assert got["russian"] == ["1 клиент", "2 клиента", "5 клиентов", "21 клиент", "1\xa0000 клиентов"]
    assert got["money"] == [ru(Decimal("1250.50"), "RUB"), ru(Decimal("-20.00"), "EUR"), ru(5, "JPY")]
    assert got["money"][0] == "1\xa0250,50\xa0₽"
    assert got["day"] == "31.10.2026"
    assert got["read"] == ["1250.50", "1250.50", "1250.5", "1.250,50", "-20"]
