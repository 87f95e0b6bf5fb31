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

import calendar
import contextlib
import enum
import functools
import gc
import hashlib
import json
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any

from referrals.config import CREDIT_DEPTH, MAX_DEPTH
from referrals.errors import Invalid
from referrals.i18n import _
from referrals.model import SourceKind, SourceRef
from referrals.money import amount_formatter


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector around work that builds many small acyclic objects.

    A month's facts, statement and rendered rows are hundreds of thousands of tuples, steps and dicts
    with no reference cycles: reference counting frees them. But so many allocations trigger full
    collections, each of which walks every live object of the process — about a fifth of a big
    export's time. Usable as `with gc_paused():` or as a decorator `@gc_paused()`; nested uses are fine.

    On the way out, what the work left alive (a month's facts, say) joins the oldest generation
    without a scan (`freeze` then `unfreeze`): re-enabled as it was, the collector would first walk
    every object made in the pause (0.3–0.5 s for a month of 10^5 deals) and soon walk them again in
    the older generations. Nothing escapes collection: a reference cycle made in the pause is found
    by the next full collection.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


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
_PSEUDO_TYPES = {DIRECT.id: "direct", HOUSE.id: "house"}


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
class Arrival:
    """A client who came in during a period: on which day, and the upline that brought them."""

    client_id: str
    arrived_on: date
    upline: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class PeriodFacts:
    """Everything a statement needs for a period: its deals and its new clients, each with an upline.

    Uplines are the payer's (or the new client's) whole primary upline, nearest first and uncapped;
    the engine applies dates and the depth cap. Deals come in id order, arrivals in client id order.
    """

    start: date
    end: date
    deals: tuple[tuple[DealFacts, tuple[Step, ...]], ...]
    arrivals: tuple[Arrival, ...] = ()


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

    depth: int = CREDIT_DEPTH
    half_life_days: Fraction = Fraction(30)
    ratio: Fraction = Fraction(1, 2)
    rates: tuple[Fraction, ...] = tuple(Fraction(r) / 100 for r in DEFAULT_RATES)
    _hash: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        # hashed once: the weight caches look parameters up for every deal
        object.__setattr__(self, "_hash", hash((self.depth, self.half_life_days, self.ratio, self.rates)))

    def __hash__(self) -> int:
        return self._hash

    @classmethod
    def parse(
        cls,
        depth: int = CREDIT_DEPTH,
        half_life_days: str | int = 30,
        ratio: str = "0.5",
        rates: Sequence[str] = DEFAULT_RATES,
    ) -> Params:
        """Build from user text; decimals are read exactly."""
        try:
            half = Fraction(str(half_life_days))
        except ValueError:
            raise Invalid.one("half_life_days", _("%(value)r is not a number", value=half_life_days)) from None
        if half <= 0:
            raise Invalid.one("half_life_days", _("must be greater than 0"))
        try:
            r = Fraction(str(ratio))
        except ValueError:
            raise Invalid.one("ratio", _("%(value)r is not a number", value=ratio)) from None
        if not 0 < r <= 1:
            raise Invalid.one("ratio", _("must be greater than 0 and at most 1"))
        parsed: list[Fraction] = []
        for i, rate in enumerate(rates):
            try:
                value = Fraction(str(rate)) / 100
            except ValueError:
                raise Invalid.one(f"rates[{i}]", _("%(value)r is not a percentage", value=rate)) from None
            if not 0 <= value <= 1:
                raise Invalid.one(f"rates[{i}]", _("must be between 0 and 100 (percent)"))
            parsed.append(value)
        if not 1 <= depth <= MAX_DEPTH:
            raise Invalid.one("depth", _("must be a whole number from 1 to %(most)s", most=MAX_DEPTH))
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


@functools.lru_cache(maxsize=4096)
def _decay(age_days: int, half_life: Fraction) -> Fraction:
    """2^(-age/H), computed in decimal arithmetic (the same digits on every machine), as a fraction."""
    with localcontext() as ctx:
        ctx.prec = 40
        exponent = Decimal(-age_days) / (Decimal(half_life.numerator) / Decimal(half_life.denominator))
        return Fraction(Decimal(2) ** exponent)


Shape = tuple[int, ...] | int  # what a model's weights depend on: the touch count, or a number per touch


def _first(n: int, params: Params) -> tuple[Fraction, ...]:
    return tuple(Fraction(int(i == n - 1)) for i in range(n))


def _last(n: int, params: Params) -> tuple[Fraction, ...]:
    return tuple(Fraction(int(i == 0)) for i in range(n))


def _linear(n: int, params: Params) -> tuple[Fraction, ...]:
    return (Fraction(1),) * n


def _position(n: int, params: Params) -> tuple[Fraction, ...]:
    if n <= 2:
        return (Fraction(1),) * n
    middle = Fraction(1, 5) / (n - 2)
    return tuple(Fraction(2, 5) if i in (0, n - 1) else middle for i in range(n))


def _time_decay(ages: tuple[int, ...], params: Params) -> tuple[Fraction, ...]:
    return tuple(_decay(age, params.half_life_days) for age in ages)


def _geometric(levels: tuple[int, ...], params: Params) -> tuple[Fraction, ...]:
    return tuple(params.ratio**level for level in levels)


@dataclass(frozen=True, slots=True)
class Weighting:
    """How an attribution model weighs the touches of one deal.

    `by` names what the weights depend on: "count" (how many touches), "age" (whole days from each
    touch's recommendation to the deal) or "level" (each touch's level). `keep_zero` keeps credits that
    rounded to zero in the statement (models that promise every touch a line).
    """

    weights: Callable[[Any, Params], tuple[Fraction, ...]]
    by: str = "count"
    keep_zero: bool = False


# One entry a model: adding an attribution model is a member of Model and a line here.
WEIGHTINGS: dict[Model, Weighting] = {
    Model.FIRST_TOUCH: Weighting(_first),
    Model.LAST_TOUCH: Weighting(_last),
    Model.LINEAR: Weighting(_linear, keep_zero=True),
    Model.POSITION_BASED: Weighting(_position, keep_zero=True),
    Model.TIME_DECAY: Weighting(_time_decay, by="age"),
    Model.GEOMETRIC: Weighting(_geometric, by="level"),
}


def _shape(model: Model, ages: Sequence[int], levels: Sequence[int]) -> Shape:
    """What the model's weights depend on, from each touch's age in days and level (nearest first)."""
    by = WEIGHTINGS[model].by
    if by == "age":
        return tuple(max(0, age) for age in ages)
    if by == "level":
        return tuple(levels)
    return len(levels)


@functools.lru_cache(maxsize=65536)
def _weights(model: Model, shape: Shape, params: Params) -> tuple[Fraction, ...]:
    weighting = WEIGHTINGS.get(model)
    if weighting is None:
        raise ValueError(f"{model} is a commission plan, not an attribution model")
    return weighting.weights(shape, params)


@functools.lru_cache(maxsize=65536)
def _integer_weights(model: Model, shape: Shape, params: Params) -> tuple[int, ...]:
    """The same weights scaled by their common denominator: equal proportions, integer arithmetic."""
    return _integers(_weights(model, shape, params))


def _integers(ws: Sequence[Fraction]) -> tuple[int, ...]:
    common = math.lcm(*(w.denominator for w in ws)) if ws else 1
    return tuple(w.numerator * (common // w.denominator) for w in ws)


def weights(model: Model, ts: Sequence[Touch], deal_date: date, params: Params) -> list[Fraction]:
    """Each touch's weight under an attribution model (nearest first)."""
    shape = _shape(model, [(deal_date - t.referred_on).days for t in ts], [t.level for t in ts])
    return list(_weights(model, shape, params))


def split(amount: int, ws: Sequence[Fraction]) -> list[int]:
    """Split `amount` in proportion to `ws` exactly: floor each share, then hand the leftover units one
    by one to the largest fractional parts, ties to the earlier (nearer) entry. Refunds mirror sales."""
    return _split(amount, _integers(ws))


def _split(amount: int, ws: Sequence[int]) -> list[int]:
    """`split` over integer weights: share i is |amount|·w_i / Σw, whose fractional part is r_i / Σw."""
    total = sum(ws)
    if not ws or total == 0:
        raise ValueError("nothing to split across")
    magnitude = abs(amount)
    if ws.count(ws[0]) == len(ws):  # equal weights (linear, and most deals of the others): the same rule, directly
        q, r = divmod(magnitude, len(ws))  # every remainder is r, so the r leftover units go to the first r
        floors = [q + 1] * r + [q] * (len(ws) - r)
        return [-f for f in floors] if amount < 0 else floors
    floors: list[int] = []
    remainders: list[int] = []
    for w in ws:
        q, r = divmod(magnitude * w, total)
        floors.append(q)
        remainders.append(r)
    leftover = magnitude - sum(floors)
    if leftover:
        order = sorted(range(len(ws)), key=lambda i: (-remainders[i], i))
        for i in order[:leftover]:
            floors[i] += 1
    return [-f for f in floors] if amount < 0 else floors


def _round_half_away(amount: int, rate: Fraction) -> int:
    """amount × rate rounded half away from zero, in integer arithmetic."""
    whole, rest = divmod(abs(amount) * rate.numerator, rate.denominator)
    if 2 * rest >= rate.denominator:
        whole += 1
    return whole if amount >= 0 else -whole


def credit(deal: DealFacts, upline: Sequence[Step], model: Model, params: Params = Params()) -> list[Credit]:
    """The credit lines of one deal under `model`, given the payer's upline (nearest first, uncapped)."""
    if model.is_commission:
        return _commission(deal, upline_as_of(upline, deal.closed_on), model, params)
    touches, amounts = _Shares(model, params)(deal, upline)
    return [
        Credit(deal.id, step.source, step.name, level, amount, deal.currency)
        for (step, level), amount in zip(touches, amounts, strict=True)
    ]


_DIRECT_STEP = Step(DIRECT, "(direct)", date.min)
_CLIENT = SourceKind.CLIENT


class _Shares:
    """The credited touches of a deal under an attribution model, as (step, level), and their amounts:
    the hot path of a statement, so it walks the upline once, in place, instead of building touch
    objects; the model's settings are looked up once and its integer weights kept per shape."""

    __slots__ = ("by", "depth", "keep_zero", "model", "params", "weights")

    def __init__(self, model: Model, params: Params) -> None:
        weighting = WEIGHTINGS[model]
        self.model, self.params, self.depth = model, params, params.depth
        self.by, self.keep_zero = weighting.by, weighting.keep_zero
        self.weights: dict[Shape, tuple[int, ...]] = {}

    def __call__(self, deal: DealFacts, upline: Sequence[Step]) -> tuple[list[tuple[Step, int | None]], list[int]]:
        when = deal.closed_on
        depth = self.depth
        chosen: list[tuple[Step, int | None]] = []  # the touches: clients of levels 1..depth, then the top channel
        level = 0
        top = None
        for step in upline:
            if step.referred_on > when:  # the upline as of the deal ends below this recommendation
                break
            level += 1
            top = step
            if level <= depth and step.source.kind is _CLIENT:
                chosen.append((step, level))
        if top is not None and top.source.kind is not _CLIENT:
            chosen.append((top, level))
        if not chosen:
            return [(_DIRECT_STEP, None)], [deal.amount]
        by = self.by
        if by == "count":
            shape: Shape = len(chosen)
        else:
            ages = [(when - step.referred_on).days for step, _ in chosen] if by == "age" else []
            shape = _shape(self.model, ages, [lv for _, lv in chosen if lv is not None])
        weights = self.weights.get(shape)
        if weights is None:
            weights = self.weights[shape] = _integer_weights(self.model, shape, self.params)
        amounts = _split(deal.amount, weights)
        if self.keep_zero or all(amounts):
            return chosen, amounts
        kept = [i for i, amount in enumerate(amounts) if amount]
        return [chosen[i] for i in kept], [amounts[i] for i in kept]


def _commission(deal: DealFacts, steps: Sequence[Step], model: Model, params: Params) -> list[Credit]:
    """Per-level rates to clients; the rest to (house)."""
    clients = [(level, s) for level, s in enumerate(steps, 1) if s.source.kind is SourceKind.CLIENT]
    if model is Model.UNILEVEL:
        paid = [(level, s, params.rates[level - 1]) for level, s in clients if level <= len(params.rates) and s.active]
    else:  # compressed: the first active clients of the whole upline take the rates in order
        active = [(level, s) for level, s in clients if s.active][: len(params.rates)]
        paid = [(level, s, params.rates[i]) for i, (level, s) in enumerate(active)]
    lines = [
        Credit(deal.id, s.source, s.name, level, _round_half_away(deal.amount, rate), deal.currency)
        for level, s, rate in paid
    ]
    lines = [line for line in lines if line.amount != 0]
    house = deal.amount - sum(line.amount for line in lines)
    return [*lines, Credit(deal.id, HOUSE, "(house)", None, house, deal.currency)]


def credits_of(
    facts: PeriodFacts, source_id: str, model: Model, params: Params = Params()
) -> tuple[list[Credit], dict[str, int]]:
    """Every credit one source earned from the period's deals, in deal order, and its totals per currency."""
    lines = [c for deal, upline in facts.deals for c in credit(deal, upline, model, params) if c.source.id == source_id]
    totals: dict[str, int] = {}
    for c in lines:
        totals[c.currency] = totals.get(c.currency, 0) + c.amount
    return lines, totals


@dataclass(slots=True)
class StatementRow:
    """What one source earned in one currency over a period, and how many new clients it brought."""

    source: SourceRef
    name: str
    currency: str | None  # None on a row that only counts new clients (no deal credited the source)
    amount: int = 0
    deals: int = 0
    by_level: dict[int, int] = field(default_factory=dict)
    new_clients_level_1: int = 0
    new_clients: int = 0

    @property
    def source_type(self) -> str:
        """client, channel, direct or house."""
        source = self.source
        if source.kind is SourceKind.CHANNEL and source.id in _PSEUDO_TYPES:  # DIRECT or HOUSE, without __eq__
            return _PSEUDO_TYPES[source.id]
        return source.kind.value


def new_client_sources(arrival: Arrival, as_of: date, depth: int) -> list[Touch]:
    """Who brought a new client in: its upline as it stood on `as_of`, capped like the credits are
    (levels 1..depth, plus the root channel that started the chain); nobody means (direct)."""
    ts = touches(upline_as_of(arrival.upline, as_of), depth)
    return ts or [Touch(DIRECT, "(direct)", 1, arrival.arrived_on)]


@gc_paused()
def statement(facts: PeriodFacts, model: Model, params: Params = Params()) -> list[StatementRow]:
    """Credit every deal, total the lines per source and currency, and count each source's new clients.

    Amounts are sums of per-deal integer credits. New clients are counted once per source, on its row
    of the first currency it was credited in (by code; its other currencies' rows say 0, so the column
    adds up to the number of new clients), or on one row without a currency when it was credited
    nothing. Rows are ordered by currency (count-only rows last), then by amount and new
    clients (largest first), then by source id, so the same data always gives the same statement.
    """
    # currency -> source id (ids never repeat across kinds) -> [step, amount, deals, by level, last deal]
    tables: dict[str, dict[str, list[Any]]] = {}
    shares = None if model.is_commission else _Shares(model, params)
    for k, (deal, upline) in enumerate(facts.deals):
        cur = deal.currency
        table = tables.get(cur)
        if table is None:
            table = tables[cur] = {}
        if shares is None:
            lines = credit(deal, upline, model, params)
            touches: list[tuple[Step, int | None]] = [(Step(c.source, c.name, deal.closed_on), c.level) for c in lines]
            amounts = [c.amount for c in lines]
        else:
            touches, amounts = shares(deal, upline)
        for (step, level), amount in zip(touches, amounts, strict=True):
            sid = step.source.id
            acc = table.get(sid)
            if acc is None:
                acc = table[sid] = [step, 0, 0, {}, -1]
            acc[1] += amount
            if level is not None:
                by_level = acc[3]
                by_level[level] = by_level.get(level, 0) + amount
            if acc[4] != k:  # a deal counts once per source, however many of its lines name it
                acc[4] = k
                acc[2] += 1
    rows = [
        StatementRow(acc[0].source, acc[0].name, cur, acc[1], acc[2], acc[3])
        for cur in sorted(tables)
        for acc in tables[cur].values()
    ]
    firsts = {row.source.id: row for row in reversed(rows)}  # each source's row of its first currency
    counted: dict[str, StatementRow] = {}
    for arrival in facts.arrivals:
        for t in new_client_sources(arrival, facts.end, params.depth):
            sid = t.source.id
            row = counted.get(sid)
            if row is None:
                row = counted[sid] = firsts.get(sid) or StatementRow(t.source, t.name, None)
            row.new_clients += 1
            if t.level == 1:
                row.new_clients_level_1 += 1
    rows += [row for row in counted.values() if row.currency is None]
    rows.sort(key=lambda r: (r.currency is None, r.currency or "", -r.amount, -r.new_clients, r.source.id))
    return rows


# -- closed months: a period's facts frozen as canonical JSON lines ---------------------------


def _step_json(s: Step) -> list[Any]:
    return [s.source.kind.value, s.source.id, s.name, s.referred_on.isoformat(), s.active]


def _step(v: list[Any]) -> Step:
    return Step(SourceRef(SourceKind(v[0]), v[1]), v[2], date.fromisoformat(v[3]), bool(v[4]))


def freeze(facts: PeriodFacts) -> list[str]:
    """One canonical JSON line per deal and per new client, with its upline exactly as read."""
    lines = [
        json.dumps(
            {
                "deal": [d.id, d.client_id, d.amount, d.currency, d.closed_on.isoformat()],
                "upline": [_step_json(s) for s in upline],
            },
            separators=(",", ":"),
            ensure_ascii=False,
        )
        for d, upline in facts.deals
    ]
    lines += [
        json.dumps(
            {"arrival": [a.client_id, a.arrived_on.isoformat()], "upline": [_step_json(s) for s in a.upline]},
            separators=(",", ":"),
            ensure_ascii=False,
        )
        for a in facts.arrivals
    ]
    return lines


@gc_paused()
def thaw(start: date, end: date, lines: Iterable[str]) -> PeriodFacts:
    """The facts that `freeze` wrote. Steps shared by many chains become one object again."""
    deals: list[tuple[DealFacts, tuple[Step, ...]]] = []
    arrivals: list[Arrival] = []
    steps: dict[tuple[Any, ...], Step] = {}

    def step(v: list[Any]) -> Step:
        key = tuple(v)
        found = steps.get(key)
        if found is None:
            found = steps[key] = _step(v)
        return found

    for line in lines:
        item = json.loads(line)
        upline = tuple(step(v) for v in item["upline"])
        if "deal" in item:
            i, client, amount, cur, on = item["deal"]
            deals.append((DealFacts(i, client, amount, cur, date.fromisoformat(on)), upline))
        else:
            client, on = item["arrival"]
            arrivals.append(Arrival(client, date.fromisoformat(on), upline))
    return PeriodFacts(start, end, tuple(deals), tuple(arrivals))


def checksum(lines: Iterable[str]) -> str:
    """sha256 over the frozen lines, each followed by a newline."""
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode())
        digest.update(b"\n")
    return f"sha256:{digest.hexdigest()}"


LEVELS = 7
COLUMNS = [
    "source_type",
    "source_id",
    "source_name",
    "currency",
    "amount",
    "amount_minor",
    "deals",
    "new_clients_level_1",
    "new_clients",
    *[f"level_{i}" for i in range(1, LEVELS + 1)],
    "above_level_7",
]


def month_range(text: str) -> tuple[date, date]:
    """YYYY-MM to its first and last day."""
    try:
        year, month = (int(part) for part in text.split("-"))
        start = date(year, month, 1)
    except ValueError:
        raise Invalid.one("month", _("%(text)r is not a month like 2024-05", text=text)) from None
    return start, date(year, month, calendar.monthrange(year, month)[1])  # 9999-12 has an end too


def row_values(row: StatementRow) -> dict[str, Any]:
    """One statement row as export columns (amounts as exact decimal strings)."""
    return dict(zip(COLUMNS, row_cells(row), strict=True))


def _no_money(minor: int) -> str:
    return "0"  # a row that only counts new clients has no currency to write amounts in


def row_cells(row: StatementRow) -> list[Any]:
    """`row_values` as a list in the order of COLUMNS (a month's export formats ~10^5 rows)."""
    cur = row.currency
    money = amount_formatter(cur) if cur else _no_money
    zero = money(0)  # most levels of most rows
    levels = [zero] * LEVELS
    above = 0
    for level, amount in row.by_level.items():
        if level > LEVELS:
            above += amount
        elif amount:
            levels[level - 1] = money(amount)
    return [
        row.source_type,
        row.source.id,
        row.name,
        cur,
        money(row.amount),
        row.amount,
        row.deals,
        row.new_clients_level_1,
        row.new_clients,
        *levels,
        money(above) if above else zero,
    ]
