"""The embedded store (SQLite): `SqliteStore` and its row ports, one module per aggregate."""

from graph.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
