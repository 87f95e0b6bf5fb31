"""Validated inputs: trimming, normalising, and errors that name the field and the reason."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from referrals.errors import Invalid
from referrals.model import (
    ChannelInput,
    ChannelKind,
    ClientInput,
    ClientPatch,
    ClientQuery,
    ClientStatus,
    DealInput,
    DealPatch,
    ReferralInput,
    SourceKind,
    name_key,
)
from referrals.money import Money


def reasons(excinfo: pytest.ExceptionInfo[Invalid]) -> dict[str, str]:
    return {e.field: e.reason for e in excinfo.value.errors}


def test_client_input_normalises() -> None:
    c = ClientInput.parse(
        {
            "name": "  Ana\u0301 Lima ",
            "email": " Ana@Example.COM ",
            "tags": [" VIP", "vip", "design "],
            "status": "LEAD",
            "acquired_on": "2024-02-29",
        }
    )
    assert c.name == "Aná Lima"  # NFC: the combining accent is folded into one character
    assert c.email == "ana@example.com"
    assert c.tags == ("design", "vip")
    assert c.status is ClientStatus.LEAD
    assert c.acquired_on == date(2024, 2, 29)


def test_client_input_reports_every_bad_field() -> None:
    with pytest.raises(Invalid) as e:
        ClientInput.parse(
            {
                "name": "   ",
                "email": "not-an-email",
                "status": "vip",
                "tags": "a,b",
                "acquired_on": "2024-02-30",
                "colour": "red",
            }
        )
    got = reasons(e)
    assert got["name"] == "must not be blank"
    assert "not an email" in got["email"]
    assert "lead, active, inactive" in got["status"]
    assert got["tags"] == "must be a list of strings"
    assert "ISO 8601" in got["acquired_on"]
    assert got["colour"] == "unknown field"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "name"),
        ({"name": 5}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "a\x00b"}, "name"),
        ({"name": "A", "tags": [""]}, "tags[0]"),
        ({"name": "A", "tags": ["ok", 3]}, "tags[1]"),
        ({"name": "A", "acquired_on": "2024-01-01T10:00:00"}, "acquired_on"),
        ({"name": "A", "acquired_on": datetime(2024, 1, 1)}, "acquired_on"),
        ({"name": "A", "email": "a@b"}, "email"),
    ],
)
def test_client_input_refusals(data: dict, field: str) -> None:
    with pytest.raises(Invalid) as e:
        ClientInput.parse(data)
    assert field in reasons(e)


def test_client_patch_only_touches_given_fields() -> None:
    patch = ClientPatch.parse({"notes": None, "email": "B@X.COM"})
    assert patch.email == "b@x.com" and patch.notes is None
    from referrals.model import UNSET

    assert patch.name is UNSET and patch.tags is UNSET
    with pytest.raises(Invalid) as e:
        ClientPatch.parse({"name": None})
    assert reasons(e) == {"name": "required"}


def test_channel_input() -> None:
    ch = ChannelInput.parse({"name": " LinkedIn ", "kind": "Social"})
    assert (ch.name, ch.kind) == ("LinkedIn", ChannelKind.SOCIAL)
    with pytest.raises(Invalid) as e:
        ChannelInput.parse({"name": "x", "kind": "billboard"})
    assert "kind" in reasons(e)


def test_referral_input() -> None:
    r = ReferralInput.parse({"source_id": "cl_a", "client_id": "cl_b", "referred_on": "2024-01-02", "note": " hi "})
    assert r.source.kind is SourceKind.CLIENT and r.note == "hi"
    with pytest.raises(Invalid) as e:
        ReferralInput.parse({"source_kind": "friend", "client_id": "cl_b"})
    assert {"source_kind", "source_id", "referred_on"} <= set(reasons(e))
    with pytest.raises(Invalid) as e:
        ReferralInput.parse({"source_id": "cl_a", "client_id": "cl_a", "referred_on": "2024-01-02"})
    assert "themselves" in reasons(e)["source_id"]


def test_deal_input_and_patch() -> None:
    d = DealInput.parse({"client_id": "cl_a", "amount": "10.5", "currency": "eur", "closed_on": "2024-05-01"})
    assert d.amount == Money(1050, "EUR")
    with pytest.raises(Invalid) as e:
        DealInput.parse({"client_id": "cl_a", "amount": 10.5, "currency": "EUR", "closed_on": "May 1"})
    assert {"amount", "closed_on"} <= set(reasons(e))
    patch = DealPatch.parse({"amount": "7"}, current=d.amount)
    assert patch.amount == Money(700, "EUR")
    patch = DealPatch.parse({"currency": "JPY"}, current=Money(700, "JPY"))
    assert patch.amount == Money(700, "JPY")


def test_paging_limits() -> None:
    for bad in (0, 501, True, "10"):
        with pytest.raises(Invalid) as e:
            ClientQuery(limit=bad)  # type: ignore[arg-type]
        assert e.value.field == "limit"


def test_name_key_folds_case_and_width() -> None:
    assert name_key("STRASSE") == name_key("straße")
    assert name_key("ＡＢＣ") == "abc"
