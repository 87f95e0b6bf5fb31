"""Credit every source of new business: attribution models and commission plans, to the minor unit.

Pure functions: a deal and the upline of its payer as of the deal's date go in, credit lines come out.

Rules (see README, "Attribution"):
* touches, nearest first: R1 (the payer's direct referrer) .. Rk with k <= the depth cap, then the
  channel at the top of the chain if the chain started at one, even when the cap cut the people chain;
  only recommendations dated on or before the deal count; the payer never credits itself; no touch at
  all credits "(direct)";
* attribution models weigh the touches and split the amount exactly (largest remainder, ties to the
  nearer level); a refund is split on its absolute value and negated, so it reverses its sale;
* commission plans pay fixed per-level rates to clients only, rounded half away from zero, and a
  "(house)" line keeps the rest so a statement still sums to the deal.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any

from referrals.config import DEFAULT_DEPTH
from referrals.errors import Invalid
from referrals.model import SourceKind, SourceRef
from referrals.money import format_amount


class Model(enum.StrEnum):
    """Attribution models (credits sum to the deal) and commission plans (they do not)."""

    FIRST_TOUCH = "first_touch"
    LAST_TOUCH = "last_touch"
    LINEAR = "linear"
    POSITION_BASED = "position_based"
    TIME_DECAY = "time_decay"
    GEOMETRIC = "geometric"
    UNILEVEL = "unilevel"
    UNILEVEL_COMPRESSED = "unilevel_compressed"

    @property
    def is_commission(self) -> bool:
        """Commission plans pay rates; the other models split the whole amount."""
        return self in (Model.UNILEVEL, Model.UNILEVEL_COMPRESSED)


DEFAULT_RATES = ("10", "5", "3", "2", "1", "1", "0.5")  # percent, levels 1..7
DIRECT = SourceRef(SourceKind.CHANNEL, "(direct)")
HOUSE = SourceRef(SourceKind.CHANNEL, "(house)")


@dataclass(frozen=True, slots=True)
class Step:
    """One step of an upline: who recommended the level below, when, and whether they are active."""

    source: SourceRef
    name: str
    referred_on: date
    active: bool = True


@dataclass(frozen=True, slots=True)
class DealFacts:
    """What the engine needs of a deal."""

    id: str
    client_id: str
    amount: int  # minor units, negative for a refund
    currency: str
    closed_on: date


@dataclass(frozen=True, slots=True)
class Touch:
    """A source on the chain that a model may credit; level counts steps up from the payer."""

    source: SourceRef
    name: str
    level: int
    referred_on: date


@dataclass(frozen=True, slots=True)
class Credit:
    """One credit line of one deal."""

    deal_id: str
    source: SourceRef
    name: str
    level: int | None  # None for (direct) and (house)
    amount: int
    currency: str


@dataclass(frozen=True, slots=True)
class Params:
    """Model parameters: depth cap, time-decay half-life, geometric ratio, commission rates (percent)."""

    depth: int = DEFAULT_DEPTH
    half_life_days: Fraction = Fraction(30)
    ratio: Fraction = Fraction(1, 2)
    rates: tuple[Fraction, ...] = tuple(Fraction(r) / 100 for r in DEFAULT_RATES)

    @classmethod
    def parse(
        cls,
        depth: int = DEFAULT_DEPTH,
        half_life_days: str | int = 30,
        ratio: str = "0.5",
        rates: Sequence[str] = DEFAULT_RATES,
    ) -> Params:
        """Build from user text; decimals are read exactly."""
        try:
            half = Fraction(str(half_life_days))
        except ValueError:
            raise Invalid.one("half_life_days", f"{half_life_days!r} is not a number") from None
        if half <= 0:
            raise Invalid.one("half_life_days", "must be greater than 0")
        try:
            r = Fraction(str(ratio))
        except ValueError:
            raise Invalid.one("ratio", f"{ratio!r} is not a number") from None
        if not 0 < r <= 1:
            raise Invalid.one("ratio", "must be greater than 0 and at most 1")
        parsed: list[Fraction] = []
        for i, rate in enumerate(rates):
            try:
                value = Fraction(str(rate)) / 100
            except ValueError:
                raise Invalid.one(f"rates[{i}]", f"{rate!r} is not a percentage") from None
            if not 0 <= value <= 1:
                raise Invalid.one(f"rates[{i}]", "must be between 0 and 100 (percent)")
            parsed.append(value)
        if not 1 <= depth <= 50:
            raise Invalid.one("depth", "must be a whole number from 1 to 50")
        return cls(depth, half, r, tuple(parsed))


def upline_as_of(steps: Sequence[Step], when: date) -> list[Step]:
    """The upline that existed on `when`: it ends below the first recommendation dated after it."""
    out: list[Step] = []
    for step in steps:
        if step.referred_on > when:
            break
        out.append(step)
    return out


def touches(steps: Sequence[Step], depth: int) -> list[Touch]:
    """R1..Rk (k <= depth) clients, then the channel at the top of the chain, if any."""
    result = [
        Touch(s.source, s.name, level, s.referred_on)
        for level, s in enumerate(steps, 1)
        if s.source.kind is SourceKind.CLIENT and level <= depth
    ]
    if steps and steps[-1].source.kind is SourceKind.CHANNEL:
        top = steps[-1]
        result.append(Touch(top.source, top.name, len(steps), top.referred_on))
    return result


def _decay(age_days: int, half_life: Fraction) -> Fraction:
    """2^(-age/H), computed in decimal arithmetic (the same digits on every machine), as a fraction."""
    with localcontext() as ctx:
        ctx.prec = 40
        exponent = Decimal(-age_days) / (Decimal(half_life.numerator) / Decimal(half_life.denominator))
        return Fraction(Decimal(2) ** exponent)


def weights(model: Model, ts: Sequence[Touch], deal_date: date, params: Params) -> list[Fraction]:
    """Each touch's weight under an attribution model (nearest first)."""
    n = len(ts)
    if model is Model.FIRST_TOUCH:
        return [Fraction(int(i == n - 1)) for i in range(n)]
    if model is Model.LAST_TOUCH:
        return [Fraction(int(i == 0)) for i in range(n)]
    if model is Model.LINEAR:
        return [Fraction(1)] * n
    if model is Model.POSITION_BASED:
        if n <= 2:
            return [Fraction(1)] * n
        middle = Fraction(1, 5) / (n - 2)
        return [Fraction(2, 5) if i in (0, n - 1) else middle for i in range(n)]
    if model is Model.TIME_DECAY:
        return [_decay(max(0, (deal_date - t.referred_on).days), params.half_life_days) for t in ts]
    if model is Model.GEOMETRIC:
        return [params.ratio**t.level for t in ts]
    raise ValueError(f"{model} is a commission plan, not an attribution model")


def split(amount: int, ws: Sequence[Fraction]) -> list[int]:
    """Split `amount` in proportion to `ws` exactly: floor each share, then hand the leftover units one
    by one to the largest fractional parts, ties to the earlier (nearer) entry. Refunds mirror sales."""
    total = sum(ws)
    if not ws or total == 0:
        raise ValueError("nothing to split across")
    magnitude = abs(amount)
    exact = [magnitude * w / total for w in ws]
    floors = [int(e) for e in exact]  # exact shares are non-negative: int() floors
    leftover = magnitude - sum(floors)
    order = sorted(range(len(ws)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:leftover]:
        floors[i] += 1
    return [-f for f in floors] if amount < 0 else floors


def _round_half_away(value: Fraction) -> int:
    magnitude = abs(value)
    whole = int(magnitude)
    if magnitude - whole >= Fraction(1, 2):
        whole += 1
    return whole if value >= 0 else -whole


def credit(deal: DealFacts, upline: Sequence[Step], model: Model, params: Params = Params()) -> list[Credit]:
    """The credit lines of one deal under `model`, given the payer's upline (nearest first, uncapped)."""
    steps = upline_as_of(upline, deal.closed_on)
    if model.is_commission:
        return _commission(deal, steps, model, params)
    ts = touches(steps, params.depth)
    if not ts:
        return [Credit(deal.id, DIRECT, "(direct)", None, deal.amount, deal.currency)]
    shares = split(deal.amount, weights(model, ts, deal.closed_on, params))
    return [
        Credit(deal.id, t.source, t.name, t.level, share, deal.currency)
        for t, share in zip(ts, shares, strict=True)
        if share != 0 or model in (Model.LINEAR, Model.POSITION_BASED)
    ]


def _commission(deal: DealFacts, steps: Sequence[Step], model: Model, params: Params) -> list[Credit]:
    """Per-level rates to clients; the rest to (house)."""
    clients = [(level, s) for level, s in enumerate(steps, 1) if s.source.kind is SourceKind.CLIENT]
    if model is Model.UNILEVEL:
        paid = [(level, s, params.rates[level - 1]) for level, s in clients if level <= len(params.rates) and s.active]
    else:  # compressed: the first active clients of the whole upline take the rates in order
        active = [(level, s) for level, s in clients if s.active][: len(params.rates)]
        paid = [(level, s, params.rates[i]) for i, (level, s) in enumerate(active)]
    lines = [
        Credit(deal.id, s.source, s.name, level, _round_half_away(deal.amount * rate), deal.currency)
        for level, s, rate in paid
    ]
    lines = [line for line in lines if line.amount != 0]
    house = deal.amount - sum(line.amount for line in lines)
    return [*lines, Credit(deal.id, HOUSE, "(house)", None, house, deal.currency)]


@dataclass
class StatementRow:
    """What one source earned in one currency over a period."""

    source: SourceRef
    name: str
    currency: str
    amount: int = 0
    deals: int = 0
    by_level: dict[int, int] | None = None

    @property
    def source_type(self) -> str:
        """client, channel, direct or house."""
        if self.source == DIRECT:
            return "direct"
        if self.source == HOUSE:
            return "house"
        return self.source.kind.value


def statement(
    deals: Sequence[tuple[DealFacts, Sequence[Step]]], model: Model, params: Params = Params()
) -> list[StatementRow]:
    """Credit every deal and total the lines per source and currency (sums of per-deal integer credits).

    Rows are ordered by currency, then by amount (largest first), then by source id, so the same data
    always gives the same statement.
    """
    rows: dict[tuple[SourceRef, str], StatementRow] = {}
    for deal, upline in deals:
        touched: set[tuple[SourceRef, str]] = set()
        for line in credit(deal, upline, model, params):
            key = (line.source, line.currency)
            row = rows.setdefault(key, StatementRow(line.source, line.name, line.currency, by_level={}))
            row.amount += line.amount
            if line.level is not None:
                assert row.by_level is not None
                row.by_level[line.level] = row.by_level.get(line.level, 0) + line.amount
            if key not in touched:
                row.deals += 1
                touched.add(key)
    return sorted(rows.values(), key=lambda r: (r.currency, -r.amount, r.source.id))


LEVELS = 7
COLUMNS = [
    "source_type",
    "source_id",
    "source_name",
    "currency",
    "amount",
    "amount_minor",
    "deals",
    *[f"level_{i}" for i in range(1, LEVELS + 1)],
    "above_level_7",
]


def month_range(text: str) -> tuple[date, date]:
    """YYYY-MM to its first and last day."""
    try:
        year, month = (int(part) for part in text.split("-"))
        start = date(year, month, 1)
    except ValueError:
        raise Invalid.one("month", f"{text!r} is not a month like 2024-05") from None
    end = date(year + (month == 12), month % 12 + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def row_values(row: StatementRow) -> dict[str, Any]:
    """One statement row as export columns (amounts as exact decimal strings)."""
    levels = row.by_level or {}
    cur = row.currency
    out: dict[str, Any] = {
        "source_type": row.source_type,
        "source_id": row.source.id,
        "source_name": row.name,
        "currency": cur,
        "amount": format_amount(row.amount, cur),
        "amount_minor": row.amount,
        "deals": row.deals,
    }
    for i in range(1, LEVELS + 1):
        out[f"level_{i}"] = format_amount(levels.get(i, 0), cur)
    out["above_level_7"] = format_amount(sum(v for k, v in levels.items() if k > LEVELS), cur)
    return out
