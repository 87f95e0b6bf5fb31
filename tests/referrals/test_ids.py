"""Ids: the layout (type prefix, 26 characters of Crockford base 32, time first) and their order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from referrals.ids import PREFIXES, encode, looks_like_id, new_id

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
