"""The one place that reads the wall clock, so stores agree on timestamps (UTC, microseconds)."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)
