"""The first ten minutes, scripted: the README's first command (`make serve`), then `referrals demo`, then
the link it prints opened in Chromium, which reaches the drawn demo network with no other step."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import playwright.sync_api as playwright_api
import pytest

from graph.sqlite import SqliteStore
from referrals.demo import DEMO_NAME
from tools import chromium
from tools.neo4j_server import free_port

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"network page of (?P<ws>.+), signed in: (?P<url>\S+)")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[dict[str, str], str]]:
    """`make serve` on a database of its own and a free port: its environment and its signed-in link."""
    port = free_port()
    env = {
        **os.environ,
        "REFERRALS_DATABASE_URL": f"sqlite:///{tmp_path}/first.db",
        "REFERRALS_BIND": f"127.0.0.1:{port}",
        "REFERRALS_WORKERS": "1",
    }
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # gunicorn and its worker go with the group
    )
    try:
        assert proc.stdout is not None
        link, said = None, []
        for line in proc.stdout:
            said.append(line)
            found = LINK.search(line)
            if found:
                link = found["url"]
                break
        assert link, "make serve ended before printing a signed-in link:\n" + "".join(said)
        assert link.startswith(f"http://127.0.0.1:{port}/#token=")
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        yield env, link
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
        if proc.stdout:
            proc.stdout.close()


def test_make_serve_then_demo_then_the_link_shows_the_demo_network(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env, first = served
    store = SqliteStore(tmp_path / "first.db")
    assert [w.name for w in store.list_workspaces()] == ["My network"]  # the first command made one
    loaded = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "referrals"), "demo"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert loaded.returncode == 0, loaded.stderr
    found = LINK.search(loaded.stdout)
    assert found and found["ws"] == repr(DEMO_NAME)
    ws = store.find_workspace(DEMO_NAME)
    held = store.workspace_counts(ws.id)
    channels = len(store.list_channels(ws.id).items)
    store.close()
    path = chromium.find()
    assert path, "Chromium is missing: `make test` installs Debian's package"
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=list(chromium.FLAGS), headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 860})
            page.set_default_timeout(20_000)
            page.goto(found["url"])
            page.wait_for_selector("#graph[data-renders]")  # drawn with no other step
            assert page.inner_text("#workspace-name") == f"{DEMO_NAME} · owner"
            assert int(page.get_attribute("#graph", "data-nodes")) == held["clients"] + channels + 1
            facts = page.inner_text("#tree-facts")
            assert f"{held['clients']} clients in all" in facts and "RUB" in facts and "€" in facts
            faded = page.eval_on_selector_all("#graph g.node[data-past-credit-depth]", "els => els.length")
            assert faded >= 2  # the blog's chain runs past the seventh level
            assert "token" not in page.url
            other = browser.new_context().new_page()
            other.goto(first)  # the link `make serve` printed opens the first workspace, empty but drawn
            other.wait_for_selector("#graph[data-renders]")
            assert other.inner_text("#workspace-name") == "My network · owner"
        finally:
            browser.close()
