"""Settings from the environment and the depth rules."""

from __future__ import annotations

import pytest

from referrals.config import CREDIT_DEPTH, DEFAULT_DATABASE_URL, MAX_DEPTH, Settings, credit_depth, view_depth
from referrals.errors import Invalid
from referrals.ids import looks_like_id, new_id


def test_defaults_need_no_server() -> None:
    s = Settings.from_env({})
    assert s.database_url == DEFAULT_DATABASE_URL == "sqlite:///referrals.db"


def test_env_overrides() -> None:
    assert Settings.from_env({"REFERRALS_DATABASE_URL": "neo4j://h:7687"}).database_url == "neo4j://h:7687"
    assert Settings.from_env({}).draw_limit == 100_000
    assert Settings.from_env({"REFERRALS_DRAW_LIMIT": "500"}).draw_limit == 500
    assert Settings.from_env({}).webgl_from == 10_000
    assert Settings.from_env({"REFERRALS_WEBGL_FROM": "2000"}).webgl_from == 2000
    with pytest.raises(Invalid) as refused:
        Settings.from_env({"REFERRALS_DRAW_LIMIT": "0"})
    assert refused.value.errors[0].field == "REFERRALS_DRAW_LIMIT"


def test_one_depth_rule_with_one_bound() -> None:
    """Views show everything unless asked for fewer levels; credit goes seven levels up by default;
    both take 1..50 and nothing else."""
    assert (CREDIT_DEPTH, MAX_DEPTH) == (7, 50)
    assert view_depth(None) is None and view_depth(9) == 9 and view_depth(50) == 50
    assert credit_depth(None) == 7 and credit_depth(10) == 10 and credit_depth(50) == 50
    for check in (view_depth, credit_depth):
        for bad in (0, 51, True, "3", 2.0):
            with pytest.raises(Invalid) as e:
                check(bad)  # type: ignore[arg-type]
            assert e.value.field == "depth" and "1 to 50" in e.value.reason


def test_ids_are_opaque_prefixed_and_ordered() -> None:
    ids = [new_id("client") for _ in range(1000)]
    assert ids == sorted(ids) and len(set(ids)) == 1000
    assert all(i.startswith("cl_") and looks_like_id(i) for i in ids)
    assert new_id("deal").startswith("dl_")


def test_the_phone_region_reads_national_numbers_and_refuses_unknown_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    from referrals.config import phone_region
    from referrals.model import ClientInput

    assert phone_region({}) == "RU" and phone_region({"REFERRALS_PHONE_REGION": " de "}) == "DE"
    assert ClientInput.parse({"name": "A", "phone": "8 916 123-45-67"}).phone == "+79161234567"
    monkeypatch.setenv("REFERRALS_PHONE_REGION", "DE")
    assert ClientInput.parse({"name": "A", "phone": "030 901820"}).phone == "+4930901820"
    assert ClientInput.parse({"name": "A", "phone": "+7 916 123-45-67"}).phone == "+79161234567"  # a code wins
    with pytest.raises(Invalid) as e:
        phone_region({"REFERRALS_PHONE_REGION": "XX"})
    assert e.value.field == "REFERRALS_PHONE_REGION"
