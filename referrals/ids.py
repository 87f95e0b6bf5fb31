"""Stable, opaque identifiers: a type prefix and a time-ordered random part (ULID layout)."""

from __future__ import annotations

import os
import re
import threading
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
PREFIXES = {
    "workspace": "ws",
    "client": "cl",
    "channel": "ch",
    "referral": "rf",
    "deal": "dl",
    "token": "tk",
    "claim": "ik",
    "import": "im",
}
_ID = re.compile(r"^[a-z]{2}_[0-9a-hjkmnp-tv-z]{26}$")


_lock = threading.Lock()
_last = 0


def _values(n: int) -> list[int]:
    """n values of 48 bits of milliseconds and 80 random bits, strictly increasing within this process
    (a value not above the last one made is the last one plus one)."""
    global _last
    noise = os.urandom(10 * n)
    with _lock:
        ms = (time.time_ns() // 1_000_000) << 80
        out = []
        last = _last
        for i in range(0, 10 * n, 10):
            value = ms | int.from_bytes(noise[i : i + 10], "big")
            if value <= last:
                value = last + 1
            out.append(value)
            last = value
        _last = last
        return out


# Two base-32 digits per ten bits: 13 look-ups spell a 128-bit value (a bulk write makes ids by the
# hundred thousand; the standard library's base 32 loops in Python, 2.5x slower).
_PAIRS = tuple(a + b for a in _ALPHABET for b in _ALPHABET)


def encode(value: int) -> str:
    """The 26 characters of a 128-bit value, most significant first (the first digit holds three bits)."""
    t = _PAIRS
    return (
        t[value >> 120]
        + t[(value >> 110) & 1023]
        + t[(value >> 100) & 1023]
        + t[(value >> 90) & 1023]
        + t[(value >> 80) & 1023]
        + t[(value >> 70) & 1023]
        + t[(value >> 60) & 1023]
        + t[(value >> 50) & 1023]
        + t[(value >> 40) & 1023]
        + t[(value >> 30) & 1023]
        + t[(value >> 20) & 1023]
        + t[(value >> 10) & 1023]
        + t[value & 1023]
    )


def new_id(kind: str) -> str:
    """A fresh id for a record of `kind`; ids made by one process sort by creation order."""
    return new_ids(kind, 1)[0]


def new_ids(kind: str, n: int) -> list[str]:
    """n fresh ids for records of `kind`, in creation order: what n calls of `new_id` would give, made at
    once (one clock reading, one draw of randomness)."""
    prefix = PREFIXES[kind] + "_"
    return [prefix + encode(v) for v in _values(n)] if n > 0 else []


def looks_like_id(text: str) -> bool:
    """True when `text` has the shape of an id made by new_id (of any kind)."""
    return bool(_ID.match(text))
