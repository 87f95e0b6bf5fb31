"""Settings from the environment and the depth rules."""

from __future__ import annotations

import pytest

from referrals.config import DEFAULT_DATABASE_URL, Settings, resolve_depth
from referrals.errors import Invalid
from referrals.ids import looks_like_id, new_id


def test_defaults_need_no_server() -> None:
    s = Settings.from_env({})
    assert s.database_url == DEFAULT_DATABASE_URL == "sqlite:///referrals.db"
    assert s.max_depth == 7 and s.default_depth == 7


def test_env_overrides_and_bad_values() -> None:
    s = Settings.from_env({"REFERRALS_DATABASE_URL": "neo4j://h:7687", "REFERRALS_MAX_DEPTH": "10"})
    assert (s.database_url, s.max_depth, s.default_depth) == ("neo4j://h:7687", 10, 7)
    assert Settings.from_env({"REFERRALS_MAX_DEPTH": "3"}).default_depth == 3
    for bad in ("0", "-1", "x", "51"):
        with pytest.raises(Invalid) as e:
            Settings.from_env({"REFERRALS_MAX_DEPTH": bad})
        assert e.value.field == "REFERRALS_MAX_DEPTH"


def test_resolve_depth() -> None:
    assert resolve_depth(None, 7) == 7 and resolve_depth(None, 4) == 4 and resolve_depth(3, 7) == 3
    for bad in (0, 8, True, "3"):
        with pytest.raises(Invalid) as e:
            resolve_depth(bad, 7)  # type: ignore[arg-type]
        assert e.value.field == "depth"


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
