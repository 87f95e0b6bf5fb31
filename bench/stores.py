"""Stores for the benchmark runners: a fresh SQLite file, or a Neo4j started once from the cached jars."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from referrals.store import Store


class BenchStores:
    """Opens each store kind on demand; the Neo4j server it starts is stopped by `close`."""

    def __init__(self, neo4j_url: str | None = None, heap: str = "6g", pagecache: str = "4g") -> None:
        self.neo4j_url, self.heap, self.pagecache = neo4j_url, heap, pagecache
        self._server = None

    def open(self, kind: str) -> Store:
        """A store of `kind` (sqlite or neo4j) with its schema in place."""
        store: Store
        if kind == "sqlite":
            from graph.sqlite import SqliteStore

            store = SqliteStore(Path(tempfile.mkdtemp(prefix="referrals-bench-")) / "bench.db")
        else:
            from graph.neo4j import Neo4jStore

            url = self.neo4j_url
            if url is None:
                if self._server is None:
                    from tools.neo4j_server import Neo4jServer

                    os.environ.setdefault("REFERRALS_NEO4J_PAGECACHE", self.pagecache)
                    self._server = Neo4jServer(heap=self.heap).start()
                url = self._server.url
            store = Neo4jStore(url)
        store.init_schema()
        return store

    def close(self) -> None:
        """Stop the server this opened, if any."""
        if self._server is not None:
            self._server.stop()
            self._server = None
