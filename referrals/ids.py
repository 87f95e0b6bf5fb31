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


def _next_value() -> int:
    """48 bits of milliseconds, 80 random bits; strictly increasing within this process."""
    global _last
    with _lock:
        value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
        if value <= _last:
            value = _last + 1
        _last = value
        return value


def new_id(kind: str) -> str:
    """A fresh id for a record of `kind`; ids made by one process sort by creation order."""
    value = _next_value()
    chars = []
    for _ in range(26):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return f"{PREFIXES[kind]}_{''.join(reversed(chars))}"


def looks_like_id(text: str) -> bool:
    """True when `text` has the shape of an id made by new_id (of any kind)."""
    return bool(_ID.match(text))
