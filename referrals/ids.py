"""Stable, opaque identifiers: a type prefix and a time-ordered random part (ULID layout)."""

from __future__ import annotations

import base64
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


# Base 32 of the standard alphabet, read as ours: the encoding runs in C (a bulk write makes ids by the
# hundred thousand).
_OURS = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _ALPHABET.encode())


def encode(value: int) -> str:
    """The 26 characters of a 128-bit value, most significant first: 160 bits (32 characters) of base 32
    whose first six characters are always zero."""
    return base64.b32encode(value.to_bytes(20, "big"))[6:].translate(_OURS).decode()


def new_id(kind: str) -> str:
    """A fresh id for a record of `kind`; ids made by one process sort by creation order."""
    return f"{PREFIXES[kind]}_{encode(_next_value())}"


def looks_like_id(text: str) -> bool:
    """True when `text` has the shape of an id made by new_id (of any kind)."""
    return bool(_ID.match(text))
