"""The county boundary on problem-ledger items (:meth:`Visibility.sees_item`)."""

from __future__ import annotations

import datetime as dt

import pytest

from application.visibility import Visibility
from chain_graph.problem_ledger import LedgerItem

ADCODE = {"E1": "431202", "E2": "431202", "S3": "431202", "S2": "420106", "P2": "431228", "S5": "420106"}
LINKS = {("S3", "S2"), ("S2", "P2"), ("S3", "E1"), ("S2", "S5"), ("S5", "E2"), ("S5", "E1")}
NOW = dt.datetime(2026, 11, 20, 9)


@pytest.mark.parametrize(
    ("subject", "supplier", "seen"),
    [
        ("E1", "", True),  # an own subject
        ("E1", "S3", True),  # an own subject and an own supplier
        ("E2", "S2", False),  # an own subject held back by a supplier two tiers up, elsewhere
        ("S2", "S3", True),  # an own supplier and its direct buyer (a partner, named)
        ("P2", "S3", False),  # an own supplier holding back another county's project further down
        ("P2", "S2", False),  # nothing of the county's
        ("E1", "S5", True),  # an own subject and its direct supplier (a partner)
    ],
)
def test_a_county_sees_items_of_its_own_and_its_partners(subject: str, supplier: str, seen: bool) -> None:
    item = LedgerItem(id="W", subject_id=subject, supplier_id=supplier, created_at=NOW, updated_at=NOW)
    supplies = lambda s, b: (s, b) in LINKS  # noqa: E731
    assert Visibility.of_county("431202").sees_item(item, ADCODE, supplies=supplies) is seen
    assert Visibility.whole_city().sees_item(item, ADCODE, supplies=supplies)
