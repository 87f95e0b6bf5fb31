"""Storage: the only package that speaks Cypher or SQL. `open_store` picks a store by URL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from graph.schema import SCHEMA_VERSION
from referrals.errors import Invalid
from referrals.i18n import _
from referrals.store import BulkResult, Store

NEO4J_SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")


def sqlite_path(url: str) -> Path:
    """The file of a sqlite:/// URL: sqlite:///rel/path.db or sqlite:////abs/path.db."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    if parts.netloc or not path.startswith("/") or len(path) < 2:
        raise Invalid.one(
            "REFERRALS_DATABASE_URL", _("a SQLite URL looks like sqlite:///referrals.db or sqlite:////abs/file.db")
        )
    return Path(path[1:])


def _sqlite(url: str) -> Store:
    from graph.sqlite import SqliteStore

    return SqliteStore(sqlite_path(url))


def _neo4j(url: str) -> Store:
    from graph.neo4j import Neo4jStore

    return Neo4jStore(url)


# URL scheme -> the store that serves it (imported only when used). A third store is one entry here.
STORES: dict[str, Callable[[str], Store]] = {"sqlite": _sqlite, **dict.fromkeys(NEO4J_SCHEMES, _neo4j)}


def open_store(url: str) -> Store:
    """Open the store a URL names: sqlite:///file.db (embedded) or neo4j://host:7687 (server)."""
    scheme = urlsplit(url).scheme.lower()
    opener = STORES.get(scheme)
    if opener is None:
        raise Invalid.one(
            "REFERRALS_DATABASE_URL",
            _(
                "unknown scheme %(scheme)r: use sqlite:///file.db or neo4j://host:7687 (also bolt://, neo4j+s://)",
                scheme=scheme,
            ),
        )
    return opener(url)


def upgrade(store: Store) -> int | None:
    """Migrate a store that an earlier version set up to this code's schema (the code's statements need
    it) and return the version it had; None when it is current, or not set up yet (`init_schema` does
    that). The migrations run once, in one transaction: processes starting together wait for the first."""
    version = store.schema_version()
    if version is None or version >= SCHEMA_VERSION:
        return None
    store.init_schema()
    return version


__all__ = ["SCHEMA_VERSION", "BulkResult", "Store", "open_store", "sqlite_path", "upgrade"]
