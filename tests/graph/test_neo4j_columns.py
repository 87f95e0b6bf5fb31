"""Column helpers of the Neo4j reads, against their definitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from graph.neo4j.db import utc_days

_ZONES = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
_TIMES = st.datetimes(datetime(1900, 1, 1), datetime(2200, 1, 1), timezones=_ZONES)


@given(st.lists(_TIMES, max_size=30))
def test_epoch_seconds_become_their_utc_days(times: list[datetime]) -> None:
    seconds = [int(t.timestamp() // 1) for t in times]
    assert utc_days(seconds) == [t.astimezone(UTC).date().isoformat() for t in times]


def test_a_day_starts_at_midnight_utc() -> None:
    midnight = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp())
    assert utc_days([midnight - 1, midnight, -1, 0]) == ["2026-02-28", "2026-03-01", "1969-12-31", "1970-01-01"]
