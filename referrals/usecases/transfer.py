"""Copying a workspace out of a store, into one, or between two: backups, restores and migrations.

The file format is referrals/backup.py (records + JSON Lines codec, no store in it). A dump streams every
record in backup order from one read transaction; a restore writes them in batches, all or nothing; a
migration proves its copy: both stores must give the same counts and checksum.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from referrals.backup import Reader, Record, write
from referrals.errors import Conflict, Invalid
from referrals.i18n import _, ngettext
from referrals.integrity import Dismissal
from referrals.model import Channel, Client, ClosedMonth, Deal, Referral, Workspace
from referrals.ports import Chunk, HistoryEntry, Storage, StoredToken, Unit
from referrals.usecases.requests import get_workspace

BATCH = 5_000  # records per write of a restore

# Which port stores each kind of record (the backup order is the order of this table).
_PUT: dict[type, Callable[[Unit, str, list[Any]], int]] = {
    Channel: lambda u, ws, rows: u.channels.insert(ws, rows),
    Client: lambda u, ws, rows: u.clients.insert(ws, rows),
    Referral: lambda u, ws, rows: u.referrals.insert(ws, rows),
    HistoryEntry: lambda u, ws, rows: u.referrals.insert_history(ws, rows),
    Deal: lambda u, ws, rows: u.deals.insert(ws, rows),
    ClosedMonth: lambda u, ws, rows: u.months.insert(ws, rows),
    Chunk: lambda u, ws, rows: u.months.insert_chunks(ws, rows),
    Dismissal: lambda u, ws, rows: u.dismissals.insert(ws, rows),
    StoredToken: lambda u, ws, rows: u.tokens.insert(ws, rows),
}


def dump(store: Storage, ws: str) -> Iterator[Record]:
    """Every record of a workspace in backup order, read in one transaction and streamed. Consume it to the end."""
    with store.stream() as u:
        u.workspaces.require(ws)
        yield from u.channels.each(ws)
        yield from u.clients.each(ws)
        yield from u.referrals.each(ws)
        yield from u.referrals.each_history(ws)
        yield from u.deals.each(ws)
        yield from u.months.each(ws)
        yield from u.months.each_chunk(ws)
        yield from u.dismissals.each(ws)
        yield from u.tokens.each(ws)


def _put(u: Unit, ws: str, kind: type, batch: list[Any]) -> None:
    """Store one batch of records of one kind; Invalid when any of them names something not in the backup
    (a store writes no relationship whose ends are missing)."""
    made = _PUT[kind](u, ws, batch)
    if made != len(batch):
        raise Invalid.one(
            kind.__name__.lower(),
            ngettext(
                "%(n)s record names a client, channel or month not in the backup",
                "%(n)s records name a client, channel or month not in the backup",
                len(batch) - made,
            ),
        )


def _batches(records: Iterable[Record], tokens: list[StoredToken]) -> Iterator[tuple[type, list[Any]]]:
    """The records in batches of one kind (at most BATCH each), in order; tokens are set aside in `tokens`."""
    batch: list[Any] = []
    kind: type | None = None
    for record in records:
        if isinstance(record, StoredToken):
            tokens.append(record)
            continue
        if type(record) is not kind or len(batch) >= BATCH:
            if batch and kind is not None:
                yield kind, batch
            batch, kind = [], type(record)
        batch.append(record)
    if batch and kind is not None:
        yield kind, batch


def restore_records(store: Storage, workspace: Workspace, records: Iterable[Record]) -> None:
    """Write a workspace and its records exactly as they are (ids, times, history, token hashes), in
    batches of one kind. All or nothing: when a record is refused, or `records` raises (a damaged file),
    nothing of the workspace remains. Tokens go in last, with the workspace itself, so no way into a
    half-restored workspace ever exists."""
    ws = workspace.id
    with store.restoring(workspace) as sink:
        tokens: list[StoredToken] = []
        for kind, batch in _batches(records, tokens):
            sink.write(lambda u, k=kind, b=batch: _put(u, ws, k, b))
        sink.finish(lambda u: _put(u, ws, StoredToken, tokens) if tokens else None)


class _HashSink:
    """A write-only file that only hashes what it is given."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return len(data)


def backup(store: Storage, ws: str, out: IO[bytes]) -> dict[str, int]:
    """Stream a backup of workspace `ws` of `store` to `out`."""
    return write(get_workspace(store, ws), dump(store, ws), out)


def restore(store: Storage, lines: Iterable[bytes]) -> tuple[Workspace, dict[str, int]]:
    """Restore the backup read from `lines` into `store` (all or nothing); the workspace and its counts."""
    reader = Reader(lines)
    restore_records(store, reader.workspace, iter(reader))
    return reader.workspace, reader.counts


def fingerprint(store: Storage, ws: str) -> tuple[str, dict[str, int]]:
    """The SHA-256 of the workspace's backup bytes and its counts, without writing a file."""
    sink = _HashSink()
    counts = backup(store, ws, sink)  # type: ignore[arg-type]
    return sink.digest.hexdigest(), counts


def migrate(source: Storage, target: Storage, ws: str) -> tuple[str, dict[str, int]]:
    """Copy workspace `ws` from `source` into `target`, streamed, then prove the copy: both stores must
    give the same counts and the same content checksum. Returns that checksum and the counts."""
    restore_records(target, get_workspace(source, ws), dump(source, ws))
    want = fingerprint(source, ws)
    got = fingerprint(target, ws)
    if got != want:
        raise Conflict(
            "checksum",
            _(
                "the copy differs from the original (source %(want)s, target %(got)s)",
                want=want[0][:12],
                got=got[0][:12],
            ),
        )
    return want
