"""What an import plans: its options, what it is checked against (View) and what it will write (Changes)."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from referrals.importing.cells import DateOrder, date_order, decimal_hint
from referrals.importing.read import KINDS, Problem, Row
from referrals.model import Channel, Client, Deal, Referral


class Undated(enum.StrEnum):
    """What dates a recommendation its row gives no date for (README "Importing")."""

    REFUSE = "refuse"  # the row is refused unless it has referred_on, or acquired_on in the same row
    ACQUIRED = "acquired"  # the client's acquired date, from the row or the workspace
    BEFORE_FIRST_DEAL = "before-first-deal"  # the client's first deal (files or workspace), else acquired


@dataclass(frozen=True)
class PlanOptions:
    """How values are read and what an undated recommendation gets."""

    order: DateOrder | None = None  # of DD/MM vs MM/DD dates; None: each column's own, when it agrees
    undated: Undated = Undated.REFUSE
    update: bool = False  # overwrite what a stored client already holds (default: only fill what is empty)


DATE_FIELDS = ("acquired_on", "referred_on", "closed_on")


@dataclass
class Hints:
    """What a column's values say together: the order of its slash dates, the decimal mark of its amounts."""

    orders: dict[tuple[str, str], DateOrder | str | None] = field(default_factory=dict)  # (file, field)
    decimals: dict[str, str | None] = field(default_factory=dict)  # file -> decimal mark of its amounts

    @classmethod
    def of(cls, rows: Sequence[Row]) -> Hints:
        dates: dict[tuple[str, str], list[str]] = defaultdict(list)
        amounts: dict[str, list[str]] = defaultdict(list)
        for r in rows:
            for f in DATE_FIELDS:
                if f in r.values and f not in r.plain:
                    dates[(r.file, f)].append(r.values[f])
            if "amount" in r.values and "amount" not in r.plain:
                amounts[r.file].append(r.values["amount"])
        return cls(
            {key: date_order(values) for key, values in dates.items()},
            {name: decimal_hint(values) for name, values in amounts.items()},
        )


# -- planning against the workspace ------------------------------------------------------------


@dataclass(frozen=True)
class View:
    """What the workspace holds that an import is checked against."""

    clients: Sequence[Client]
    channels: Sequence[Channel]
    referrals: Sequence[Referral]
    deals: Sequence[Deal]
    closed_months: frozenset[str] = frozenset()


@dataclass
class Changes:
    """What an import will write, what it leaves alone, and every problem found."""

    new_channels: list[Channel] = field(default_factory=list)
    updated_channels: list[Channel] = field(default_factory=list)
    new_clients: list[Client] = field(default_factory=list)
    updated_clients: list[Client] = field(default_factory=list)
    new_referrals: list[Referral] = field(default_factory=list)
    new_deals: list[Deal] = field(default_factory=list)
    updated_deals: list[Deal] = field(default_factory=list)
    summary: dict[str, dict[str, int]] = field(
        default_factory=lambda: {k: {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0} for k in KINDS}
    )
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # what was read differently than written; no refusal
    dated: dict[str, int] = field(default_factory=dict)  # recommendations dated by the undated policy, by how
    matches: list[str] = field(default_factory=list)  # each row matched to a client, why, and what it fills
    batch: str | None = None  # the id of the batch an import wrote, which `import undo` takes

    @property
    def writes(self) -> int:
        """How many records the import writes."""
        return sum(
            len(x)
            for x in (
                self.new_channels,
                self.updated_channels,
                self.new_clients,
                self.updated_clients,
                self.new_referrals,
                self.new_deals,
                self.updated_deals,
            )
        )
