"""What "today" means when users live from UTC-12 to UTC+14: a date is in the future only when no place
has reached it, and a month is over only when it has ended everywhere."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from referrals import clock
from referrals.errors import Invalid
from tests.conftest import make_sqlite_store


def at(monkeypatch: pytest.MonkeyPatch, *when: int) -> None:
    monkeypatch.setattr(clock, "now", lambda: datetime(*when, tzinfo=UTC))


def test_today_runs_from_utc_minus_12_to_utc_plus_14(monkeypatch: pytest.MonkeyPatch) -> None:
    at(monkeypatch, 2026, 12, 31, 23, 0)
    assert clock.latest_today() == date(2027, 1, 1)  # already New Year's Day on Kiritimati
    assert clock.earliest_today() == date(2026, 12, 31)
    at(monkeypatch, 2027, 1, 1, 11, 59)
    assert clock.earliest_today() == date(2026, 12, 31)  # still the old year on Baker Island
    at(monkeypatch, 2027, 1, 1, 12, 0)
    assert clock.earliest_today() == date(2027, 1, 1)


def test_a_month_closes_once_it_has_ended_everywhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    store = make_sqlite_store(tmp_path / "r.db")
    ws = store.create_workspace("w").id
    at(monkeypatch, 2027, 1, 1, 11, 59)
    with pytest.raises(Invalid) as e:
        store.close_month(ws, "2026-12")
    assert "from 2027-01-01 12:00 UTC" in e.value.reason
    at(monkeypatch, 2027, 1, 1, 12, 0)
    assert store.close_month(ws, "2026-12").month == "2026-12"
    store.close()
