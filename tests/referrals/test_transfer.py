"""Restores read the next batch while the store writes this one: the reading thread's contract."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from referrals.backup import Reader
from referrals.errors import Invalid
from referrals.i18n import use
from referrals.usecases.transfer import _ahead


def test_items_arrive_in_order_from_another_thread() -> None:
    threads: set[str] = set()

    def items() -> Iterator[int]:
        for i in range(1000):
            threads.add(threading.current_thread().name)
            yield i

    assert list(_ahead(items())) == list(range(1000))
    assert threads == {"read-ahead"}


def test_an_error_is_raised_in_its_place_after_the_items_before_it() -> None:
    def items() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("damaged at 3")

    got: list[int] = []
    with pytest.raises(ValueError, match="damaged at 3"):
        for item in _ahead(items()):
            got.append(item)
    assert got == [1, 2]


def test_leaving_early_stops_the_reader_and_closes_what_it_reads() -> None:
    made: list[int] = []
    closed_in: list[str] = []

    def items() -> Iterator[int]:
        try:
            for i in range(10**9):
                made.append(i)
                yield i
        finally:
            closed_in.append(threading.current_thread().name)

    for item in _ahead(items(), depth=2):
        if item == 5:
            break
    assert closed_in == ["read-ahead"]  # the store's read transaction ends in the thread that opened it
    assert len(made) <= 5 + 1 + 2 + 1  # never more than `depth` ahead (plus the one being put)
    assert not any(t.name == "read-ahead" for t in threading.enumerate())


def test_the_reader_speaks_the_language_of_the_caller() -> None:
    header = (
        b'{"format":"referrals-backup","version":3,'
        b'"workspace":{"id":"ws_1","name":"x","created_at":"2024-01-01T00:00:00+00:00"}}\n'
    )
    lines = [header, b"not json\n"]
    with use("ru"), pytest.raises(Invalid) as err:
        list(_ahead(iter(Reader(lines))))
    assert err.value.errors[0].field == "строка 2"
