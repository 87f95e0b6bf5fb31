"""Ids: the layout (type prefix, 26 characters of Crockford base 32, time first) and their order."""

from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st

from referrals.ids import PREFIXES, encode, looks_like_id, new_id, new_ids

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def digits(value: int) -> str:
    """The 26 base-32 digits of a value, one division at a time: the definition `encode` must meet."""
    out = []
    for _ in range(26):
        value, rem = divmod(value, 32)
        out.append(ALPHABET[rem])
    return "".join(reversed(out))


@given(st.integers(min_value=0, max_value=2**128 - 1))
def test_encoding_is_base_32_of_the_whole_value(value: int) -> None:
    assert encode(value) == digits(value)


def test_edges_of_the_range() -> None:
    assert encode(0) == "0" * 26
    assert encode(2**128 - 1) == "7" + "z" * 25  # 128 bits: the first digit holds three
    assert encode(31) == "0" * 25 + "z"


def test_ids_have_the_layout_and_sort_by_creation() -> None:
    made = [new_id("client") for _ in range(1000)]
    assert all(looks_like_id(i) and i.startswith("cl_") for i in made)
    assert made == sorted(made) and len(set(made)) == 1000
    assert {new_id(k)[:3] for k in PREFIXES} == {p + "_" for p in PREFIXES.values()}


def millis(ident: str) -> int:
    """The time part of an id: its first ten digits are the value shifted right by 80 bits."""
    out = 0
    for ch in ident[3:13]:
        out = out * 32 + ALPHABET.index(ch)
    return out


def test_ids_made_at_once_are_ids_made_one_by_one() -> None:
    before = time.time_ns() // 1_000_000
    made = [new_id("deal"), *new_ids("deal", 5000), new_id("deal"), *new_ids("deal", 1), *new_ids("deal", 0)]
    after = time.time_ns() // 1_000_000
    assert len(made) == 5003 and len(set(made)) == 5003
    assert made == sorted(made)  # strictly increasing across both ways of making them
    assert all(looks_like_id(i) and i.startswith("dl_") for i in made)
    assert all(before <= millis(i) <= after for i in made)  # the clock's time, as a single id's
