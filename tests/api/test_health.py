"""The app factory and the health endpoint, on both stores and with an unreachable database."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from api import create_app
from graph.neo4j import Neo4jStore
from graph.schema import SCHEMA_VERSION
from referrals.config import Settings
from referrals.store import Store
from tools.neo4j_server import free_port


def client_for(store: Store) -> FlaskClient:
    return create_app({"STORE": store, "TESTING": True}).test_client()


def test_health_reports_the_store(store: Store) -> None:
    resp = client_for(store).get("/api/v1/health")
    assert resp.status_code == 200
    assert resp.json == {"status": "ok", "store": store.kind, "schema_version": SCHEMA_VERSION}


def test_unreachable_database_gives_503_with_retry_after() -> None:
    store = Neo4jStore(f"neo4j://127.0.0.1:{free_port()}")
    try:
        resp = client_for(store).get("/api/v1/health")
    finally:
        store.close()
    assert resp.status_code == 503
    assert resp.mimetype == "application/problem+json"
    assert int(resp.headers["Retry-After"]) > 0
    assert resp.json["status"] == 503 and "unavailable" in resp.json["detail"]


def test_unknown_routes_are_problem_json(store: Store) -> None:
    resp = client_for(store).get("/api/v1/nothing-here")
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
    assert resp.json["title"] == "not found"


def test_openapi_document_lists_health(store: Store) -> None:
    doc = client_for(store).get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/health" in doc["paths"]


def test_default_app_uses_an_embedded_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/app.db"
    app = create_app({"SETTINGS": Settings(database_url=url), "TESTING": True})
    assert app.test_client().get("/api/v1/health").json["store"] == "sqlite"
    assert (tmp_path / "app.db").exists()


def test_the_app_brings_a_store_of_an_earlier_version_up_to_its_own(tmp_path: Path) -> None:
    """A file left by an earlier version is migrated when the app starts (not only by `db init`): the
    code's statements need the current schema, and a worker must not answer with half of it."""
    from api.store import EXTENSION
    from graph.schema import SCHEMA_VERSION
    from referrals.model import SourceKind, SourceRef
    from tests.graph.test_schema_upgrades import _old_fair_ana_bo, _sqlite_file_of_version

    conn = _sqlite_file_of_version(tmp_path / "old.db", 11)
    _old_fair_ana_bo(conn, "ws_old")
    conn.commit()
    conn.close()
    app = create_app({"SETTINGS": Settings(database_url=f"sqlite:///{tmp_path}/old.db"), "TESTING": True})
    assert app.test_client().get("/api/v1/health").json["schema_version"] == SCHEMA_VERSION == 12
    tree = app.extensions[EXTENSION].tree("ws_old", SourceRef(SourceKind.CHANNEL, "ws_old-fair"), None)
    assert [n.name for n in tree.nodes] == ["Ana", "Bo"]


def test_interactive_docs_work_offline(store: Store) -> None:
    client = client_for(store)
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "http://" not in html and "https://" not in html  # every asset is served from here
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        assert f"/static/vendor/swagger-ui/{asset}" in html
        resp = client.get(f"/static/vendor/swagger-ui/{asset}")
        resp.close()
        assert resp.status_code == 200
