"""When Neo4j goes away the API answers 503 with Retry-After, and recovers by itself when it returns.

Once it is known down, calls fail at once instead of each waiting out the driver's retries.
"""

from __future__ import annotations

import time
from pathlib import Path

from graph.neo4j import Neo4jStore
from tests.api.conftest import make_api
from tools.neo4j_server import Neo4jServer, free_port


def assert_unavailable(resp) -> None:
    assert resp.status_code == 503, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    assert int(resp.headers["Retry-After"]) > 0


def test_stopping_and_restarting_neo4j(tmp_path: Path) -> None:
    home, port = tmp_path / "neo4j", free_port()
    server = Neo4jServer(home=home, port=port).start()
    store = Neo4jStore(server.url, retry_seconds=1.0)
    try:
        store.init_schema()
        api = make_api(store)
        api.app.config["TESTING"] = False  # answer as production would, not by raising
        ana = api.client_id("Ana")

        server.stop()
        assert_unavailable(api.get(f"/clients/{ana}"))
        assert_unavailable(api.post("/clients", {"name": "Bob"}))
        assert_unavailable(api.get("/health", token=None))

        # known down: twenty more calls send nothing to the driver and answer at once (each waited out
        # the driver's retries before, 1 s here and 5 s by default)
        sent, started = store.query_count, time.monotonic()
        for _ in range(20):
            assert_unavailable(api.get(f"/clients/{ana}"))
        assert store.query_count == sent
        assert time.monotonic() - started < 2.0

        server = Neo4jServer(home=home, port=port).start()  # same data, same port; the app is not restarted
        assert api.ok(api.get(f"/clients/{ana}"))["name"] == "Ana"
        assert api.ok(api.get("/health", token=None))["status"] == "ok"
        bob = api.client_id("Bob")
        assert {c["id"] for c in api.ok(api.get("/clients"))["items"]} == {ana, bob}
    finally:
        store.close()
        server.stop()
