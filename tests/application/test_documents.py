"""The documents as downloaded: the coordination list's two workbooks have their own names."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from application.documents import coordination_document
from application.visibility import Visibility
from application.workspace import Snapshot
from ingest.loader import read_directory
from tests.defaults import SETTINGS

TODAY = dt.date(2026, 11, 28)


@pytest.fixture
def snap(canonical_dir: Path) -> Snapshot:
    return Snapshot(
        version=1, ledgers=read_directory(canonical_dir, settings=SETTINGS).ledgers, settings=SETTINGS
    )


@pytest.mark.parametrize(
    ("by_region", "stem", "sheets"),
    [
        (False, "跨区域协调清单20261128", ["跨区域协调清单", "替代供应商"]),
        (True, "跨区域协调清单按地区分表20261128", ["跨区域协调清单", "长沙市", "替代供应商"]),
    ],
)
def test_each_coordination_workbook_has_its_own_name(
    snap: Snapshot, by_region: bool, stem: str, sheets: list[str]
) -> None:
    name, built = coordination_document(snap, Visibility.whole_city(), as_of=TODAY, by_region=by_region)
    assert name == stem
    assert [s.name for s in built] == sheets
