"""Closed months: freeze a month's facts with their checksum, reopen it, read a month's facts.

A closed month's statement is computed from its frozen lines (verified against their checksum on
every read), never from the graph, which may have changed since.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from referrals import clock
from referrals.attribution import PeriodFacts, checksum, freeze, month_range, thaw
from referrals.errors import Conflict, Invalid, NotFound
from referrals.model import ClosedMonth
from referrals.ports import Chunk, Storage, Unit

CHUNK_LINES = 1_000  # frozen lines stored per chunk


def freeze_month(month: str, facts: PeriodFacts, now: datetime) -> tuple[ClosedMonth, list[str]]:
    """The record of a month being closed and its frozen lines, in chunks of CHUNK_LINES lines."""
    lines = freeze(facts)
    closed = ClosedMonth(
        month=month, closed_at=now, deals=len(facts.deals), new_clients=len(facts.arrivals), checksum=checksum(lines)
    )
    chunks = ["\n".join(lines[i : i + CHUNK_LINES]) for i in range(0, len(lines), CHUNK_LINES)]
    return closed, chunks


def unchunk(chunks: Iterable[str]) -> list[str]:
    """The frozen lines of stored chunks."""
    return [line for chunk in chunks if chunk for line in chunk.split("\n")]


def close(store: Storage, ws: str, month: str) -> ClosedMonth:
    """Read and freeze the month under the workspace lock that deal writes also take. Only a month that
    is over everywhere can be closed: closing the running one would refuse today's deals."""
    start, end = month_range(month)
    if end >= clock.earliest_today():
        raise Invalid.one(
            "month",
            f"{month} is not over yet: a month can be closed once it has ended in every time zone"
            f" (from {date.fromordinal(end.toordinal() + 1).isoformat()} 12:00 UTC)",
        )

    def work(u: Unit) -> ClosedMonth:
        u.workspaces.lock(ws)
        if u.months.get(ws, month) is not None:
            raise Conflict("month", f"{month} is already closed")
        closed, chunks = freeze_month(month, u.graph.period(ws, start, end), clock.now())
        u.months.insert(ws, [closed])
        u.months.insert_chunks(ws, [Chunk(month, i, body) for i, body in enumerate(chunks)])
        return closed

    return store.write(work)


def reopen(store: Storage, ws: str, month: str) -> None:
    """Drop a month's frozen facts, so its statement follows the graph again."""
    month_range(month)

    def work(u: Unit) -> None:
        u.workspaces.lock(ws)
        if not u.months.remove(ws, month):
            raise NotFound("closed month", month, field="month")

    store.write(work)


def facts(store: Storage, ws: str, month: str) -> tuple[PeriodFacts, ClosedMonth | None]:
    """A month's facts: the frozen ones of a closed month (checksum verified), else the current graph's."""
    start, end = month_range(month)

    def work(u: Unit) -> tuple[PeriodFacts, ClosedMonth | None]:
        frozen = u.months.frozen(ws, month)
        if frozen is None:
            u.workspaces.require(ws)
            return u.graph.period(ws, start, end), None
        closed, chunks = frozen
        lines = unchunk(chunks)
        if checksum(lines) != closed.checksum:
            raise Conflict("month", f"the frozen facts of {month} do not match their checksum; restore from a backup")
        return thaw(start, end, lines), closed

    return store.read(work)
