"""The tree builder shared by both stores."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from graph.common import tree_node
from referrals.model import NOTHING_BEYOND, Beyond, ClientStatus, SourceKind, SourceRef, TreeNode


@pytest.mark.parametrize(
    "values",
    [
        (
            1,
            "cl_a",
            "Ana",
            ClientStatus.ACTIVE,
            SourceRef(SourceKind.CHANNEL, "ch_f"),
            "rf_1",
            date(2024, 5, 1),
            {},
            0,
            NOTHING_BEYOND,
        ),
        (
            7,
            "cl_b",
            "Bo",
            ClientStatus.INACTIVE,
            SourceRef(SourceKind.CLIENT, "cl_a"),
            "rf_2",
            date(2025, 1, 31),
            {"EUR": 5, "RUB": 1250},
            3,
            Beyond(clients=4, revenue={"RUB": 99}),
        ),
    ],
)
def test_a_node_made_by_position_is_the_dataclass_made_by_its_fields(values: tuple[object, ...]) -> None:
    names = [f.name for f in dataclasses.fields(TreeNode)]
    made = tree_node(*values)
    expected = TreeNode(**dict(zip(names, values, strict=True)))
    assert type(made) is TreeNode
    assert made == expected
    assert [getattr(made, n) for n in names] == list(values)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.name = "Changed"  # type: ignore[misc]
