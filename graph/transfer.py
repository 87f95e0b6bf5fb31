"""Copying a workspace out of a store, into one, or between two: backups, restores and migrations.

The file format is graph/backup.py; the stores supply `dump` (every record, streamed) and `restore`
(all or nothing). A migration proves its copy: both stores must give the same counts and checksum.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import IO

from graph.backup import Reader, write
from graph.contract import Store
from referrals.errors import Conflict
from referrals.model import Workspace


class _HashSink:
    """A write-only file that only hashes what it is given."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return len(data)


def backup(store: Store, ws: str, out: IO[bytes]) -> dict[str, int]:
    """Stream a backup of workspace `ws` of `store` to `out`."""
    return write(store.get_workspace(ws), store.dump(ws), out)


def restore(store: Store, lines: Iterable[bytes]) -> tuple[Workspace, dict[str, int]]:
    """Restore the backup read from `lines` into `store` (all or nothing); the workspace and its counts."""
    reader = Reader(lines)
    store.restore(reader.workspace, iter(reader))
    return reader.workspace, reader.counts


def fingerprint(store: Store, ws: str) -> tuple[str, dict[str, int]]:
    """The SHA-256 of the workspace's backup bytes and its counts, without writing a file."""
    sink = _HashSink()
    counts = backup(store, ws, sink)  # type: ignore[arg-type]
    return sink.digest.hexdigest(), counts


def migrate(source: Store, target: Store, ws: str) -> tuple[str, dict[str, int]]:
    """Copy workspace `ws` from `source` into `target`, streamed, then prove the copy: both stores must
    give the same counts and the same content checksum. Returns that checksum and the counts."""
    target.restore(source.get_workspace(ws), source.dump(ws))
    want = fingerprint(source, ws)
    got = fingerprint(target, ws)
    if got != want:
        raise Conflict("checksum", f"the copy differs from the original (source {want[0][:12]}, target {got[0][:12]})")
    return want
