"""Settings read from environment variables, with defaults that run with no server at all."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from referrals.errors import Invalid

DEFAULT_DATABASE_URL = "sqlite:///referrals.db"
DEFAULT_DEPTH = 7
HARD_MAX_DEPTH = 50  # the stores prepare one traversal per depth up to this bound


@dataclass(frozen=True, slots=True)
class Settings:
    """What the service and the CLI need to know about their surroundings."""

    database_url: str = DEFAULT_DATABASE_URL
    max_depth: int = DEFAULT_DEPTH

    @property
    def default_depth(self) -> int:
        """Depth used when a caller asks for none: seven levels, or less if capped lower."""
        return min(DEFAULT_DEPTH, self.max_depth)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read REFERRALS_* variables; refuse malformed values with the variable's name."""
        env = os.environ if env is None else env
        url = env.get("REFERRALS_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
        raw_depth = env.get("REFERRALS_MAX_DEPTH", "").strip() or str(DEFAULT_DEPTH)
        if not raw_depth.isdigit() or not 1 <= int(raw_depth) <= HARD_MAX_DEPTH:
            raise Invalid.one("REFERRALS_MAX_DEPTH", f"must be a whole number from 1 to {HARD_MAX_DEPTH}")
        return cls(database_url=url, max_depth=int(raw_depth))


def resolve_depth(depth: int | None, max_depth: int) -> int:
    """The depth to traverse: the default when None, else checked against the configured cap."""
    if depth is None:
        return min(DEFAULT_DEPTH, max_depth)
    if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= max_depth:
        raise Invalid.one("depth", f"must be a whole number from 1 to {max_depth}")
    return depth
