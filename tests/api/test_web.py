"""The network page as the server hands it out: one HTML file, local scripts, a strict policy."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from api import create_app
from tests.conftest import make_sqlite_store

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "api" / "static"


@pytest.fixture
def web(tmp_path: Path) -> Iterator[FlaskClient]:
    """The page does not depend on the store: the embedded one serves it here."""
    store = make_sqlite_store(tmp_path / "web.db")
    yield create_app({"STORE": store, "TESTING": True}).test_client()
    store.close()


def test_page_is_served_without_a_token_under_a_strict_policy(web: FlaskClient) -> None:
    resp = web.get("/")
    resp.close()
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    policy = resp.headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "connect-src 'self'", "style-src 'self'"):
        assert directive in policy
    assert "unsafe" not in policy and "http" not in policy
    assert resp.headers["Referrer-Policy"] == "no-referrer"


def test_every_asset_of_the_page_is_local_and_served(web: FlaskClient) -> None:
    with web.get("/") as resp:
        html = resp.get_data(as_text=True)
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert refs, "the page names its scripts and styles"
    for ref in refs:
        if ref.startswith("data:"):
            continue
        assert ref.startswith("/static/"), ref
        with web.get(ref) as resp:
            assert resp.status_code == 200, ref
    # No inline script, style attribute or event handler: the policy would refuse them.
    assert "<script>" not in html and " style=" not in html and not re.search(r"\son\w+=", html)


def test_no_asset_fetches_from_another_host() -> None:
    """The only absolute URL in our own page code is the SVG namespace, which is never fetched."""
    names = sorted(p.name for p in (STATIC / "app").iterdir())
    assert "main.js" in names and "index.html" in names and len(names) > 5  # the page's ES modules
    for name in names:
        text = (STATIC / "app" / name).read_text()
        urls = set(re.findall(r"https?://[^\s\"'`)<>]+", text))
        assert urls <= {"http://www.w3.org/2000/svg"}, (name, urls)
        # modules import only their siblings, by relative path: nothing is fetched from elsewhere
        assert all(spec.startswith("./") for spec in re.findall(r'^import .* from "([^"]+)";$', text, re.M)), name


def test_vendored_libraries_carry_their_licences_and_pinned_versions() -> None:
    vendor = STATIC / "vendor"
    readme = (vendor / "README.md").read_text()
    for folder in ("d3", "swagger-ui"):
        meta = json.loads((vendor / folder / "package.json").read_text())
        assert (vendor / folder / "LICENSE").read_text().strip()
        assert f"| `{meta['version']}` |" in readme.replace(f"| {meta['version']} |", f"| `{meta['version']}` |")
    d3 = json.loads((vendor / "d3" / "package.json").read_text())
    assert d3["license"] == "ISC" and (vendor / "d3" / "d3.min.js").read_text().startswith(
        f"// https://d3js.org v{d3['version']}"
    )


def test_the_page_catalogue_is_served_for_each_language(api) -> None:  # type: ignore[no-untyped-def]
    for lang in ("en", "ru"):
        resp = api.client.get(f"/app/i18n/{lang}.json")
        assert resp.status_code == 200 and resp.json["lang"] == lang and isinstance(resp.json["messages"], dict)
    assert api.client.get("/app/i18n/de.json").status_code == 404
