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
from referrals.i18n import N_, _
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
            _(
                "%(month)s is not over yet: a month can be closed once it has ended in every time zone"
                " (from %(day)s 12:00 UTC)",
                month=month,
                day=date.fromordinal(end.toordinal() + 1).isoformat() if end < date.max else "10000-01-01",
            ),
        )

    def work(u: Unit) -> ClosedMonth:
        u.workspaces.lock(ws)
        if u.months.get(ws, month) is not None:
            raise Conflict("month", _("%(month)s is already closed", month=month))
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
            raise Conflict("month", _(_TAMPERED, month=month))
        return thaw(start, end, lines), closed

    return store.read(work)


MAX_RANGE_DAYS = 5 * 366  # the longest date range one statement covers
_TAMPERED = N_("the frozen facts of %(month)s do not match their checksum; restore from a backup")


def _months_between(start: date, end: date) -> list[str]:
    out, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = year + (month == 12), month % 12 + 1
    return out


def range_facts(store: Storage, ws: str, start: date, end: date) -> tuple[PeriodFacts, list[ClosedMonth]]:
    """The facts of any date range, in one read: the days of closed months from their frozen facts
    (checksums verified), every other day from the current graph — so a range's statement adds up
    with the closed months' own. Also the closed months it reaches into."""
    if end < start:
        raise Invalid.one(
            "to",
            _("%(end)s is before the first day of the range, %(start)s", end=end.isoformat(), start=start.isoformat()),
        )
    if (end - start).days >= MAX_RANGE_DAYS:
        raise Invalid.one("to", _("a statement covers at most %(n)s days; split the range", n=MAX_RANGE_DAYS))

    def inside(day: date) -> bool:
        return start <= day <= end

    def work(u: Unit) -> tuple[PeriodFacts, list[ClosedMonth]]:
        u.workspaces.require(ws)
        live = u.graph.period(ws, start, end)
        closed: list[ClosedMonth] = []
        deals = []
        arrivals = []
        for month in u.months.closed_among(ws, _months_between(start, end)):
            found = u.months.frozen(ws, month)
            if found is None:
                continue
            record, chunks = found
            lines = unchunk(chunks)
            if checksum(lines) != record.checksum:
                raise Conflict("month", _(_TAMPERED, month=month))
            frozen = thaw(*month_range(month), lines)
            deals += [d for d in frozen.deals if inside(d[0].closed_on)]
            arrivals += [a for a in frozen.arrivals if inside(a.arrived_on)]
            closed.append(record)
        frozen_months = {c.month for c in closed}

        def open_day(day: date) -> bool:
            return f"{day.year:04d}-{day.month:02d}" not in frozen_months

        deals += [d for d in live.deals if open_day(d[0].closed_on)]
        arrivals += [a for a in live.arrivals if open_day(a.arrived_on)]
        deals.sort(key=lambda d: d[0].id)
        arrivals.sort(key=lambda a: a.client_id)
        return PeriodFacts(start, end, tuple(deals), tuple(arrivals)), sorted(closed, key=lambda c: c.month)

    return store.read(work)
