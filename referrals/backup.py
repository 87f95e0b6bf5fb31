"""Lossless backups of one workspace: a versioned JSON Lines format, streamed both ways.

Format (`referrals-backup`, version 3; version 2, without dismissals, and version 1, without client phones
either, are still read), UTF-8, one JSON object per line, keys in a fixed order:

* line 1, the header: `{"format": "referrals-backup", "version": 3, "workspace": {"id", "name", "created_at"}}`;
* then one line per record, `{"type": KIND, ...fields}`, kinds in this order, each sorted by id (source
  changes by client and sequence, closed-month chunks by month and chunk): `channel`, `client`, `referral`
  (primary and secondary, with their dates and notes), `source_change` (the history of re-attributions),
  `deal`, `closed_month`, `closed_chunk` (a closed month's frozen lines, verbatim), `dismissal` (a finding
  of the integrity check set aside with a note, by its key), `token` (only the SHA-256 hash of each token,
  never a secret);
* the last line, the trailer: `{"type": "end", "counts": {KIND: n, ...}, "sha256": HEX}` where HEX is the
  SHA-256 of every byte before the trailer, and the counts name the kinds of the file's version.

Times are ISO 8601 with microseconds and offset, dates ISO 8601, money integer minor units plus an ISO
4217 code. Idempotency keys are not kept (they expire with the requests they answer), nor are import batches (the
history an import's undo works from, not the workspace's data). The same workspace
gives the same bytes from either store, so a backup's checksum also identifies its content.

This module is the format alone (records, codec, reader, writer) and knows no store; copying a
workspace out of and into a store is `referrals/usecases/transfer.py`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import IO, Any

from referrals.access import Role, Token
from referrals.errors import Invalid
from referrals.i18n import _
from referrals.integrity import Dismissal
from referrals.model import (
    Channel,
    ChannelKind,
    Client,
    ClientStatus,
    ClosedMonth,
    Deal,
    Referral,
    SourceChange,
    SourceKind,
    SourceRef,
    Workspace,
)
from referrals.money import Money
from referrals.ports import Chunk, HistoryEntry, StoredToken

FORMAT = "referrals-backup"
VERSION = 3  # 2: clients carry a phone; 3: dismissals. Files of versions 1 and 2 are still read
READABLE = (1, 2, 3)
KINDS = (
    "channel",
    "client",
    "referral",
    "source_change",
    "deal",
    "closed_month",
    "closed_chunk",
    "dismissal",
    "token",
)
# The kinds a file of each version holds (its end line counts these).
KINDS_OF = {1: tuple(k for k in KINDS if k != "dismissal"), 2: tuple(k for k in KINDS if k != "dismissal"), 3: KINDS}


Record = Channel | Client | Referral | HistoryEntry | Deal | ClosedMonth | Chunk | Dismissal | StoredToken


def _ts(value: datetime) -> str:
    return value.isoformat(timespec="microseconds")


def _d(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _ref(ref: SourceRef | None) -> tuple[str | None, str | None]:
    return (ref.kind.value, ref.id) if ref else (None, None)


def encode(record: Record) -> dict[str, Any]:
    """A record as the JSON object of its backup line."""
    if isinstance(record, Channel):
        return {
            "type": "channel",
            "id": record.id,
            "name": record.name,
            "kind": record.kind.value,
            "url": record.url,
            "external_id": record.external_id,
            "notes": record.notes,
            "created_at": _ts(record.created_at),
            "updated_at": _ts(record.updated_at),
        }
    if isinstance(record, Client):
        return {
            "type": "client",
            "id": record.id,
            "name": record.name,
            "email": record.email,
            "phone": record.phone,
            "status": record.status.value,
            "tags": list(record.tags),
            "external_id": record.external_id,
            "notes": record.notes,
            "acquired_on": _d(record.acquired_on),
            "created_at": _ts(record.created_at),
            "updated_at": _ts(record.updated_at),
        }
    if isinstance(record, Referral):
        return {
            "type": "referral",
            "id": record.id,
            "source_kind": record.source.kind.value,
            "source_id": record.source.id,
            "client_id": record.client_id,
            "referred_on": _d(record.referred_on),
            "note": record.note,
            "primary": record.primary,
            "created_at": _ts(record.created_at),
        }
    if isinstance(record, HistoryEntry):
        c = record.change
        pk, pid = _ref(c.previous)
        ck, cid = _ref(c.current)
        return {
            "type": "source_change",
            "client_id": c.client_id,
            "seq": record.seq,
            "previous_kind": pk,
            "previous_id": pid,
            "previous_referral_id": c.previous_referral_id,
            "current_kind": ck,
            "current_id": cid,
            "referral_id": c.referral_id,
            "reason": c.reason,
            "changed_at": _ts(c.changed_at),
        }
    if isinstance(record, Deal):
        return {
            "type": "deal",
            "id": record.id,
            "client_id": record.client_id,
            "amount_minor": record.amount.minor,
            "currency": record.amount.currency,
            "closed_on": _d(record.closed_on),
            "title": record.title,
            "external_id": record.external_id,
            "created_at": _ts(record.created_at),
            "updated_at": _ts(record.updated_at),
        }
    if isinstance(record, ClosedMonth):
        return {
            "type": "closed_month",
            "month": record.month,
            "closed_at": _ts(record.closed_at),
            "deals": record.deals,
            "new_clients": record.new_clients,
            "checksum": record.checksum,
        }
    if isinstance(record, Chunk):
        return {"type": "closed_chunk", "month": record.month, "chunk": record.chunk, "body": record.body}
    if isinstance(record, Dismissal):
        return {
            "type": "dismissal",
            "key": record.key,
            "rule": record.rule,
            "note": record.note,
            "summary": record.summary,
            "dismissed_at": _ts(record.dismissed_at),
        }
    if isinstance(record, StoredToken):
        t = record.token
        return {
            "type": "token",
            "id": t.id,
            "role": t.role.value,
            "name": t.name,
            "token_hash": record.hash,
            "created_at": _ts(t.created_at),
        }
    raise TypeError(f"not a backup record: {record!r}")


def _ref_of(kind: str | None, id_: str | None) -> SourceRef | None:
    return SourceRef(SourceKind(kind), id_) if kind and id_ else None


_json = json.JSONDecoder().decode  # one line at a time, without json.loads's checks of its argument
_last_time: tuple[str, datetime | None] = ("", None)


def _time(text: str) -> datetime:
    """A time as written by `_ts`, in UTC as every store keeps it; ValueError for one without an offset
    (a time of unknown zone cannot be placed). The last one read is kept: a record's two times are
    often one, and records written by one bulk write share them."""
    global _last_time
    last_text, last = _last_time
    if text == last_text and last is not None:
        return last
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"time without a UTC offset: {text!r}")
    value = value.astimezone(UTC)
    _last_time = (text, value)
    return value


def _opt_date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def decode(obj: dict[str, Any], ws: str) -> Record:
    """The record of one backup line (KeyError/ValueError on a malformed line)."""
    kind = obj["type"]
    at = _time
    if kind == "channel":
        return Channel(
            id=obj["id"],
            name=obj["name"],
            kind=ChannelKind(obj["kind"]),
            url=obj["url"],
            external_id=obj["external_id"],
            notes=obj["notes"],
            created_at=at(obj["created_at"]),
            updated_at=at(obj["updated_at"]),
        )
    if kind == "client":
        return Client(
            id=obj["id"],
            name=obj["name"],
            email=obj["email"],
            phone=obj.get("phone"),
            status=ClientStatus(obj["status"]),
            tags=tuple(obj["tags"]),
            external_id=obj["external_id"],
            notes=obj["notes"],
            acquired_on=_opt_date(obj["acquired_on"]),
            created_at=at(obj["created_at"]),
            updated_at=at(obj["updated_at"]),
        )
    if kind == "referral":
        return Referral(
            id=obj["id"],
            source=SourceRef(SourceKind(obj["source_kind"]), obj["source_id"]),
            client_id=obj["client_id"],
            referred_on=date.fromisoformat(obj["referred_on"]),
            note=obj["note"],
            primary=bool(obj["primary"]),
            created_at=at(obj["created_at"]),
        )
    if kind == "source_change":
        return HistoryEntry(
            int(obj["seq"]),
            SourceChange(
                client_id=obj["client_id"],
                previous=_ref_of(obj["previous_kind"], obj["previous_id"]),
                previous_referral_id=obj["previous_referral_id"],
                current=_ref_of(obj["current_kind"], obj["current_id"]),
                referral_id=obj["referral_id"],
                reason=obj["reason"],
                changed_at=at(obj["changed_at"]),
            ),
        )
    if kind == "deal":
        return Deal(
            id=obj["id"],
            client_id=obj["client_id"],
            amount=Money(int(obj["amount_minor"]), obj["currency"]),
            closed_on=date.fromisoformat(obj["closed_on"]),
            title=obj["title"],
            external_id=obj["external_id"],
            created_at=at(obj["created_at"]),
            updated_at=at(obj["updated_at"]),
        )
    if kind == "closed_month":
        return ClosedMonth(
            month=obj["month"],
            closed_at=at(obj["closed_at"]),
            deals=int(obj["deals"]),
            new_clients=int(obj["new_clients"]),
            checksum=obj["checksum"],
        )
    if kind == "closed_chunk":
        return Chunk(obj["month"], int(obj["chunk"]), obj["body"])
    if kind == "dismissal":
        return Dismissal(obj["key"], obj["rule"], obj["note"], obj["summary"], at(obj["dismissed_at"]))
    if kind == "token":
        return StoredToken(
            Token(
                id=obj["id"],
                workspace_id=ws,
                role=Role(obj["role"]),
                name=obj["name"],
                created_at=at(obj["created_at"]),
            ),
            obj["token_hash"],
        )
    raise ValueError(f"unknown record type {kind!r}")


def _line(obj: dict[str, Any]) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def write(workspace: Workspace, records: Iterable[Record], out: IO[bytes]) -> dict[str, int]:
    """Stream a backup of `workspace` to `out`; returns the count of each kind."""
    digest = hashlib.sha256()
    counts = dict.fromkeys(KINDS, 0)

    def emit(obj: dict[str, Any]) -> None:
        data = _line(obj)
        digest.update(data)
        out.write(data)

    emit(
        {
            "format": FORMAT,
            "version": VERSION,
            "workspace": {"id": workspace.id, "name": workspace.name, "created_at": _ts(workspace.created_at)},
        }
    )
    for record in records:
        obj = encode(record)
        counts[obj["type"]] += 1
        emit(obj)
    out.write(_line({"type": "end", "counts": counts, "sha256": digest.hexdigest()}))
    return counts


def _at_line(number: int) -> str:
    """Where in a backup file a problem is, as the refusal names it: "line 3", "строка 3"."""
    return _("line %(number)s", number=number)


class Reader:
    """Reads a backup: the header at once, then the records as a stream; the trailer is checked at the end.

    Iterating raises Invalid naming the line when the file is malformed, truncated or altered, so a
    restore that consumes the records inside one transaction (or cleans up after) writes nothing.
    """

    def __init__(self, lines: Iterable[bytes]) -> None:
        self._lines = iter(lines)
        self._digest = hashlib.sha256()
        first = next(self._lines, b"")
        self._digest.update(first)
        try:
            head = json.loads(first)
            if head.get("format") != FORMAT:
                raise ValueError("not a referrals backup")
            if head.get("version") not in READABLE:
                raise Invalid.one(
                    "version",
                    _(
                        "backup version %(version)r is not supported (this release reads %(readable)s)",
                        version=head.get("version"),
                        readable=", ".join(map(str, READABLE)),
                    ),
                )
            self.kinds = KINDS_OF[head["version"]]
            w = head["workspace"]
            self.workspace = Workspace(id=w["id"], name=w["name"], created_at=_time(w["created_at"]))
        except Invalid:
            raise
        except (ValueError, KeyError, TypeError, AttributeError):
            raise Invalid.one(_at_line(1), _("not a referrals backup header")) from None
        self.counts: dict[str, int] = dict.fromkeys(self.kinds, 0)

    def __iter__(self) -> Iterator[Record]:
        order = {k: i for i, k in enumerate(self.kinds)}
        last = 0
        number = 1
        # each closed month's frozen lines must match the checksum it was closed with
        months: dict[str, tuple[ClosedMonth, Any]] = {}
        for raw in self._lines:
            number += 1
            try:
                obj = _json(raw.decode())  # UTF-8, as written; a bad byte is a ValueError as bad JSON is
            except ValueError as e:
                where = _("column %(column)s", column=e.colno) if isinstance(e, json.JSONDecodeError) else ""
                raise Invalid.one(
                    _at_line(number), _("not JSON (%(where)s)", where=where) if where else _("not JSON")
                ) from None
            if obj.get("type") == "end":
                if next(self._lines, None) is not None:
                    raise Invalid.one(_at_line(number + 1), _("data after the end line"))
                if obj.get("sha256") != self._digest.hexdigest():
                    raise Invalid.one("sha256", _("the file does not match its checksum: it was altered or damaged"))
                if obj.get("counts") != self.counts:
                    raise Invalid.one(
                        "counts",
                        _(
                            "the end line counts %(said)s but the file holds %(held)s",
                            said=obj.get("counts"),
                            held=self.counts,
                        ),
                    )
                for month, (closed, digest) in months.items():
                    if f"sha256:{digest.hexdigest()}" != closed.checksum:
                        raise Invalid.one(
                            f"closed_month {month}", _("its frozen lines do not match the checksum it was closed with")
                        )
                return
            self._digest.update(raw)
            kind = obj.get("type")
            if kind not in order:
                raise Invalid.one(_at_line(number), _("unknown record type %(kind)r", kind=kind))
            if order[kind] < last:
                raise Invalid.one(
                    _at_line(number),
                    _("%(kind)s records must come before %(last)s records", kind=kind, last=self.kinds[last]),
                )
            last = order[kind]
            try:
                record = decode(obj, self.workspace.id)
            except (KeyError, ValueError, TypeError) as e:
                raise Invalid.one(
                    _at_line(number), _("malformed %(kind)s record (%(error)s)", kind=kind, error=e)
                ) from None
            if isinstance(record, ClosedMonth):
                months[record.month] = (record, hashlib.sha256())
            elif isinstance(record, Chunk):
                if record.month not in months:
                    raise Invalid.one(
                        _at_line(number),
                        _("frozen lines of %(month)s, which is not closed here", month=record.month),
                    )
                for line in record.body.split("\n") if record.body else ():  # as graph.common.unchunk reads it
                    months[record.month][1].update(line.encode() + b"\n")
            self.counts[kind] += 1
            yield record
        raise Invalid.one(_at_line(number + 1), _("the file ends before its end line: it is truncated"))
