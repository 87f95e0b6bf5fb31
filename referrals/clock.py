"""The one place that reads the wall clock, so stores agree on timestamps (UTC, microseconds)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone


def now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


# The calendar date is not the same everywhere at once: from UTC-12 to UTC+14. A date is "in the future"
# only when it has not begun anywhere yet, and a month "has ended" only when it has ended everywhere, so
# a user in any time zone is never refused their own today, nor allowed to close a month still running
# for someone.
_FIRST = timezone(timedelta(hours=14))
_LAST = timezone(timedelta(hours=-12))


def latest_today() -> date:
    """The latest calendar date anywhere on Earth right now: a later date is in the future for everyone."""
    return now().astimezone(_FIRST).date()


def earliest_today() -> date:
    """The earliest calendar date anywhere on Earth right now: a month before it has ended everywhere."""
    return now().astimezone(_LAST).date()
