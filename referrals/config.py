"""Settings read from environment variables, with defaults that run with no server at all."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import phonenumbers

from referrals.errors import Invalid
from referrals.i18n import _

DEFAULT_DATABASE_URL = "sqlite:///referrals.db"
# The depth rule, written once (README "Depth: credit and views"):
# * the credit depth decides who shares a deal's credit: the payer's nearest CREDIT_DEPTH sources by
#   default (the seventh level), a parameter of attribution only;
# * views (chain, tree, stats, analysis, the page, graph exports) show the whole network unless the
#   caller asks for fewer levels, and then they say what lies beyond; nodes past CREDIT_DEPTH levels
#   below a root are marked, since that root gets no credit for their deals;
# * every depth a caller gives, of either kind, is a whole number from 1 to MAX_DEPTH.
CREDIT_DEPTH = 7
MAX_DEPTH = 50
# How deep a traversal follows its links at most: a guard against a loop in damaged data (the rules
# forbid cycles); real chains are far shorter.
WALK_LIMIT = 10_000


# Limits of one HTTP request (README "Limits and guarantees"); each can be changed by its variable.
MAX_BODY_BYTES = 10 * 1024 * 1024  # REFERRALS_MAX_BODY_BYTES: larger bodies answer 413
MAX_IMPORT_ROWS = 20_000  # REFERRALS_MAX_IMPORT_ROWS: rows of one POST /imports; the CLI has no such cap
IDEMPOTENCY_TTL_HOURS = 24  # REFERRALS_IDEMPOTENCY_TTL_HOURS: how long a stored answer is replayed
IDEMPOTENCY_LEASE_SECONDS = 120  # REFERRALS_IDEMPOTENCY_LEASE_SECONDS: a claim whose request died frees then
HEAVY_CONCURRENCY = 2  # REFERRALS_HEAVY_CONCURRENCY: heavy reads of one workspace computed at once, per process
HEAVY_WAIT_SECONDS = 20  # REFERRALS_HEAVY_WAIT_SECONDS: how long a heavy read waits for a turn before 429
DRAW_LIMIT = 100_000  # REFERRALS_DRAW_LIMIT: nodes the page draws at once; past it, the network's biggest trees
WEBGL_FROM = 10_000  # REFERRALS_WEBGL_FROM: views of this many nodes or more are drawn in WebGL, smaller ones in SVG


@dataclass(frozen=True, slots=True)
class Settings:
    """What the service and the CLI need to know about their surroundings."""

    database_url: str = DEFAULT_DATABASE_URL
    max_body_bytes: int = MAX_BODY_BYTES
    max_import_rows: int = MAX_IMPORT_ROWS
    idempotency_ttl_hours: int = IDEMPOTENCY_TTL_HOURS
    idempotency_lease_seconds: int = IDEMPOTENCY_LEASE_SECONDS
    heavy_concurrency: int = HEAVY_CONCURRENCY
    heavy_wait_seconds: int = HEAVY_WAIT_SECONDS
    draw_limit: int = DRAW_LIMIT
    webgl_from: int = WEBGL_FROM

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read REFERRALS_* variables; refuse malformed values with the variable's name."""
        env = os.environ if env is None else env
        url = env.get("REFERRALS_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
        return cls(
            database_url=url,
            max_body_bytes=_whole(env, "REFERRALS_MAX_BODY_BYTES", MAX_BODY_BYTES, 1024),
            max_import_rows=_whole(env, "REFERRALS_MAX_IMPORT_ROWS", MAX_IMPORT_ROWS, 1),
            idempotency_ttl_hours=_whole(env, "REFERRALS_IDEMPOTENCY_TTL_HOURS", IDEMPOTENCY_TTL_HOURS, 1),
            idempotency_lease_seconds=_whole(env, "REFERRALS_IDEMPOTENCY_LEASE_SECONDS", IDEMPOTENCY_LEASE_SECONDS, 1),
            heavy_concurrency=_whole(env, "REFERRALS_HEAVY_CONCURRENCY", HEAVY_CONCURRENCY, 1),
            heavy_wait_seconds=_whole(env, "REFERRALS_HEAVY_WAIT_SECONDS", HEAVY_WAIT_SECONDS, 0),
            draw_limit=_whole(env, "REFERRALS_DRAW_LIMIT", DRAW_LIMIT, 1),
            webgl_from=_whole(env, "REFERRALS_WEBGL_FROM", WEBGL_FROM, 1),
        )


def _whole(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    """A whole-number variable, or its default when unset; refused with its name when malformed."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < minimum:
        raise Invalid.one(name, _("must be a whole number of at least %(n)s", n=minimum))
    return int(raw)


DEFAULT_PHONE_REGION = "RU"  # REFERRALS_PHONE_REGION: the country of phone numbers written without a code


def phone_region(env: Mapping[str, str] | None = None) -> str:
    """The ISO 3166 region whose numbers may be written without a country code (8 916 ... in RU)."""
    env = os.environ if env is None else env
    region = env.get("REFERRALS_PHONE_REGION", "").strip().upper() or DEFAULT_PHONE_REGION
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise Invalid.one(
            "REFERRALS_PHONE_REGION", _("%(region)r is not a region code such as RU, DE or US", region=region)
        )
    return region


def _checked_depth(depth: object, field: str) -> int:
    if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= MAX_DEPTH:
        raise Invalid.one(field, _("must be a whole number from 1 to %(most)s", most=MAX_DEPTH))
    return depth


def view_depth(depth: int | None, field: str = "depth") -> int | None:
    """The levels a view shows: None (the default) for all of them, else 1..MAX_DEPTH."""
    return None if depth is None else _checked_depth(depth, field)


def credit_depth(depth: int | None, field: str = "depth") -> int:
    """The levels of a chain sharing a deal's credit: CREDIT_DEPTH by default, else 1..MAX_DEPTH."""
    return CREDIT_DEPTH if depth is None else _checked_depth(depth, field)
