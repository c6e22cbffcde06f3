"""Whitelist use cases (重点产业链供应链企业白名单推荐): the city's nominations as a caller may see them.

The nominations are the city's (:func:`chain_graph.whitelist.nominations`, its first
``whitelist_top`` firms); this module cuts them to what a caller may see: the whole list for
the city, the province and viewers; a county's own firms among them, with their rank in
the city's list. The workbook (:func:`download`) is the city's document: who may read it is
the front door's permission, as for the coordination list.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pandas as pd

from application.documents import SheetFormat, write_sheets
from application.visibility import Visibility
from application.workspace import Snapshot
from chain_graph.whitelist import nominations as ranked
from exports.whitelist import whitelist_sheets
from exports.workbook import Sheet

__all__ = ["download", "nominations", "whitelist_document"]


def nominations(snap: Snapshot, vis: Visibility) -> pd.DataFrame:
    """Return the city's nominations that ``vis`` sees, in rank order (the city's ranks)."""

    def city() -> pd.DataFrame:
        return ranked(snap.analysis, snap.ledgers, top=snap.settings.whitelist_top)

    def build() -> pd.DataFrame:  # a county's is sliced from the city's, ranked once per version
        return vis.rows(snap.memo(("whitelist-city",), city)).reset_index(drop=True)

    return snap.memo(("whitelist", vis.key), build)


def whitelist_document(snap: Snapshot, vis: Visibility, *, as_of: dt.date) -> tuple[str, list[Sheet]]:
    """白名单推荐表 (file stem, one sheet)."""
    sheets = whitelist_sheets(nominations(snap, vis), as_of=as_of)
    return f"重点产业链供应链企业白名单推荐表{as_of:%Y%m%d}", sheets


def download(snap: Snapshot, vis: Visibility, *, fmt: SheetFormat, today: dt.date) -> tuple[str, bytes]:
    """Return the 白名单推荐表 as a file (its name and bytes), written once per data version."""

    def build() -> tuple[str, bytes]:
        name, sheets = whitelist_document(snap, vis, as_of=today)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"document.{fmt}"
            write_sheets(path, sheets, fmt=fmt)
            return f"{name}.{fmt}", path.read_bytes()

    return snap.memo(("whitelist-download", vis.key, fmt, today), build)
