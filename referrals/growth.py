"""How word of mouth grows: monthly cohorts of new clients, root channels, and where new business
comes from. Definitions (README "How word of mouth grows"), over the primary sources of today:

* a client's **month** is the month of its first day (`since`: acquired_on, else the date of its
  primary recommendation, else the day it was recorded), the day it counts as a new client;
* its **origin** is *people* when a client recommended it, *channels* when a channel did, *direct*
  when nobody did; its **root channel** is the channel at the top of its chain (`(none)` when the
  chain starts at a client nobody brought in);
* a cohort's **K** (viral coefficient) is the number of clients its members recommended (as primary
  source) who came in within `window` months of the recommender's own first day, per member; a cohort
  whose window has not ended yet is *open* (its K can still grow);
* **referral conversion**: of the cohort's clients recommended by a person, the share with a paid
  deal (amount above zero); **days to first deal**: the median number of days from such a client's
  recommendation to its first paid deal;
* a root channel's **cascade depth**: how many levels its chains reach (its clients per level);
* **first-year revenue** of a client: its deals in the 12 months from its first day; per origin, the
  total and the average per client of those clients whose first year has ended (per currency, never
  converted);
* the **share of a month's new business**: its new clients by origin, and the revenue of its deals
  by the payer's origin.
"""

from __future__ import annotations

import calendar
import statistics
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import compress, repeat
from operator import eq
from typing import Any

from referrals.attribution import gc_paused
from referrals.i18n import _
from referrals.money import format_amount

ORIGINS = ("people", "channels", "direct")


@dataclass(frozen=True, slots=True)
class Members:
    """What growth reads of every client, as columns (dates YYYY-MM-DD, "" for none): its node key (its
    id, or a number the store reads for less), first day (`since`), and primary source: kind ("client",
    "channel", or "" for nobody), key (a channel's id, a client's node key) and date."""

    ids: Sequence[Hashable]
    since: Sequence[str]
    kinds: Sequence[str]
    sources: Sequence[Hashable]
    referred: Sequence[str]


@dataclass(frozen=True, slots=True)
class Payments:
    """Every deal, as columns: payer (its node key, as in `Members`), amount (minor units), currency,
    date (YYYY-MM-DD)."""

    clients: Sequence[Hashable]
    amounts: Sequence[int]
    currencies: Sequence[str]
    days: Sequence[str]


_ORIGIN = {"client": "people", "channel": "channels", "": "direct"}


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has fewer days); a day past the
    calendar's ends is its first or last day (before or after every date there is)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    if year < date.min.year:
        return date.min
    if year > date.max.year:
        return date.max
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_between(first: str, last: str) -> list[str]:
    y, m = map(int, first.split("-"))
    ly, lm = map(int, last.split("-"))
    out = []
    while (y, m) <= (ly, lm):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _add(into: dict[str, int], currency: str, minor: int) -> None:
    into[currency] = into.get(currency, 0) + minor


@dataclass
class Cohort:
    month: str
    new_clients: int = 0
    by_origin: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ORIGINS, 0))
    brought_in: int = 0
    window_open: bool = False
    recommended: int = 0
    converted: int = 0
    days_to_first_deal: list[int] = field(default_factory=list)
    revenue: dict[str, int] = field(default_factory=dict)  # the month's deals, by currency
    revenue_by_origin: dict[str, dict[str, int]] = field(default_factory=lambda: {o: {} for o in ORIGINS})

    @property
    def k(self) -> float:
        return self.brought_in / self.new_clients if self.new_clients else 0.0

    @property
    def conversion(self) -> float | None:
        return self.converted / self.recommended if self.recommended else None

    @property
    def median_days(self) -> float | None:
        return statistics.median(self.days_to_first_deal) if self.days_to_first_deal else None


@dataclass
class ChannelGrowth:
    id: str
    name: str
    clients: int = 0
    per_level: list[int] = field(default_factory=list)

    @property
    def depth(self) -> int:
        return len(self.per_level)


@dataclass
class OriginRevenue:
    origin: str
    clients: int = 0
    matured: int = 0  # clients whose first year has ended
    first_year: dict[str, int] = field(default_factory=dict)  # of the matured clients

    def average(self) -> dict[str, int]:
        """Average first-year revenue per matured client, per currency (minor units, rounded half away)."""
        if not self.matured:
            return {}
        out = {}
        for currency, total in sorted(self.first_year.items()):
            q, r = divmod(abs(total), self.matured)
            q += 1 if 2 * r >= self.matured else 0
            out[currency] = q if total >= 0 else -q
        return out


@dataclass
class Growth:
    first: str
    last: str
    window: int
    today: date
    cohorts: list[Cohort]
    channels: list[ChannelGrowth]
    origins: list[OriginRevenue]
    clients: int


@gc_paused()
def growth(
    members: Members,
    payments: Payments,
    channel_names: dict[str, str],
    first: str,
    last: str,
    window: int,
    today: date,
) -> Growth:
    """Cohorts of the months `first` .. `last` (YYYY-MM), root channels and first-year revenue by
    origin, from every client's first day and primary source and every deal. Days are compared as
    YYYY-MM-DD text, and a date `months` later is computed once per distinct day."""
    ids, since, kinds, sources = members.ids, members.since, members.kinds, members.sources
    n = len(ids)
    pos = dict(zip(ids, range(n), strict=True))
    months = months_between(first, last)
    cohorts = {mo: Cohort(mo) for mo in months}
    later = _Later()
    now = today.isoformat()
    # the position of each client's recommending client (-1: a channel or nobody brought it in)
    is_client = list(map(eq, kinds, repeat("client")))
    parent = [-1] * n
    for i, p in zip(compress(range(n), is_client), map(pos.get, compress(sources, is_client)), strict=True):
        parent[i] = -1 if p is None else p
    channel, level = _origins(parent, kinds, sources)
    chans: dict[str, ChannelGrowth] = {cid: ChannelGrowth(cid, name) for cid, name in channel_names.items()}
    for (ch, lv), count in sorted(Counter(compress(zip(channel, level, strict=True), channel)).items()):
        g = chans.setdefault(ch, ChannelGrowth(ch, channel_names.get(ch, ch)))  # type: ignore[arg-type]
        g.clients += count
        while len(g.per_level) < lv:
            g.per_level.append(0)
        g.per_level[lv - 1] += count
    # payments: first paid deal per client, first-year revenue, the month's revenue by origin
    first_paid: dict[Hashable, str] = {}
    origins = {o: OriginRevenue(o) for o in ORIGINS}
    for cid, amount, currency, day in zip(
        payments.clients, payments.amounts, payments.currencies, payments.days, strict=True
    ):
        i = pos.get(cid)
        if i is None:
            continue
        origin = _ORIGIN[kinds[i]]
        if amount > 0 and day < first_paid.get(cid, "9999"):
            first_paid[cid] = day
        if since[i] <= day < later(since[i], 12) <= now:
            _add(origins[origin].first_year, currency, amount)
        c = cohorts.get(day[:7])
        if c is not None:
            _add(c.revenue, currency, amount)
            _add(c.revenue_by_origin[origin], currency, amount)
    fromiso = date.fromisoformat
    for kind, count in Counter(kinds).items():
        origins[_ORIGIN[kind]].clients = count
    matured = {d for d in set(since) if later(d, 12) <= now}  # a few thousand distinct days
    for kind, count in Counter(compress(kinds, map(matured.__contains__, since))).items():
        origins[_ORIGIN[kind]].matured = count
    # the months' clients (YYYY-MM-DD text sorts as days do: "YYYY-MM" <= day < "YYYY-MM~" for the last month)
    lo, hi = first, last + "~"
    in_window = [i for i, day in enumerate(since) if lo <= day < hi]
    for i in in_window:
        origin = _ORIGIN[kinds[i]]
        c = cohorts[since[i][:7]]
        c.new_clients += 1
        c.by_origin[origin] += 1
        if origin == "people":
            c.recommended += 1
            paid = first_paid.get(ids[i])
            if paid is not None:
                c.converted += 1
                referred = members.referred[i]
                if referred and paid >= referred:
                    c.days_to_first_deal.append((fromiso(paid) - fromiso(referred)).days)
    # K: who each cohort's members brought in within the window (only clients recommended by a member
    # of a cohort in view are looked at one by one)
    members_in_view = set(in_window)
    for i in compress(range(n), map(members_in_view.__contains__, parent)):
        upper = since[parent[i]]
        if upper <= since[i] <= later(upper, window):
            cohorts[upper[:7]].brought_in += 1
    for c in cohorts.values():
        y, mo = map(int, c.month.split("-"))
        c.window_open = add_months(date(y, mo, 1), window + 1) > today
    return Growth(
        first,
        last,
        window,
        today,
        [cohorts[mo] for mo in months],
        sorted(chans.values(), key=lambda g: (-g.clients, g.name, g.id)),
        [origins[o] for o in ORIGINS],
        n,
    )


def _origins(parent: list[int], kinds: Sequence[str], sources: Sequence[Hashable]) -> tuple[list[Any], list[int]]:
    """The root channel (None: none) and level of every client: a client a channel brought in is level 1
    of it, a client a client brought in one level below that client, a client nobody brought in level 0
    of no channel (`forest.climb`, pointer doubling); what never reaches a top (a ring, which the service
    refuses) is of no channel."""
    import numpy as np

    from referrals.forest import climb

    n = len(parent)
    steps, top, ended = climb(np.array(parent, dtype=np.int64))
    root_by_channel = np.fromiter(map(eq, kinds, repeat("channel")), dtype=bool, count=n)[top] & ended
    channel = [None] * n
    for i, t in zip(np.flatnonzero(root_by_channel).tolist(), top[root_by_channel].tolist(), strict=True):
        channel[i] = sources[t]
    return channel, (steps + 1).tolist()


class _Later:
    """`add_months` over YYYY-MM-DD text, computed once per distinct (day, months): a network of a million
    clients has a few thousand distinct days."""

    def __init__(self) -> None:
        self._done: dict[tuple[str, int], str] = {}

    def __call__(self, day: str, months: int) -> str:
        key = (day, months)
        out = self._done.get(key)
        if out is None:
            out = self._done[key] = add_months(date.fromisoformat(day), months).isoformat()
        return out


def month_start(month: str) -> date:
    """The first day of a YYYY-MM month; Invalid naming `to` otherwise."""
    from referrals.errors import Invalid

    try:
        y, m = map(int, month.split("-"))
        if len(month) != 7:
            raise ValueError(month)
        return date(y, m, 1)
    except ValueError:
        raise Invalid.one("to", _("%(text)r is not a month: YYYY-MM, e.g. 2026-11", text=month)) from None


def last_months(today: date, count: int) -> tuple[str, str]:
    """The first and last of the `count` months up to today's; Invalid naming `months` when they would
    start before year 1."""
    y, m = today.year, today.month - (count - 1)
    while m < 1:
        m += 12
        y -= 1
    if y < 1:
        from referrals.errors import Invalid

        raise Invalid.one(
            "months", _("%(n)s months up to %(month)s would start before year 1", n=count, month=month_of(today))
        )
    return f"{y:04d}-{m:02d}", month_of(today)


def amounts(values: dict[str, int]) -> list[dict[str, Any]]:
    return [
        {"currency": cur, "amount": format_amount(minor, cur), "amount_minor": minor}
        for cur, minor in sorted(values.items())
    ]


def to_json(g: Growth) -> dict[str, Any]:
    """A Growth as the API and `referrals network growth --format json` show it (money as amounts)."""
    return {
        "start": g.first,
        "end": g.last,
        "window": g.window,
        "today": g.today,
        "clients": g.clients,
        "cohorts": [
            {
                "month": c.month,
                "new_clients": c.new_clients,
                "by_origin": c.by_origin,
                "brought_in": c.brought_in,
                "k": round(c.k, 4),
                "window_open": c.window_open,
                "recommended": c.recommended,
                "converted": c.converted,
                "conversion": None if c.conversion is None else round(c.conversion, 4),
                "median_days_to_first_deal": c.median_days,
                "revenue": amounts(c.revenue),
                "revenue_by_origin": {o: amounts(v) for o, v in c.revenue_by_origin.items()},
            }
            for c in g.cohorts
        ],
        "channels": [
            {"id": ch.id, "name": ch.name, "clients": ch.clients, "depth": ch.depth, "per_level": ch.per_level}
            for ch in g.channels
        ],
        "origins": [
            {
                "origin": o.origin,
                "clients": o.clients,
                "matured": o.matured,
                "first_year": amounts(o.first_year),
                "average": amounts(o.average()),
            }
            for o in g.origins
        ],
    }
