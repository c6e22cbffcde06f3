"""The columnar Neo4j read: whole tables in keyset pages of column lists.

The store contract (``test_contract.py``) proves ``load`` returns what was written with a
batch of 3; here the pages' edges are walked on purpose (pages of one row, a table that fills
its pages exactly, a supplier with no links, one with more links than a page) and each page
query is checked to be an index-ordered seek, not a scan and a sort per page.
"""

from __future__ import annotations

import neo4j
import pandas as pd
import pytest

from chain_graph.model import LedgerTables
from chain_graph.store import cypher
from chain_graph.store.neo4j_store import Neo4jStore
from tests.chain_graph.store.plans import operators

_NAN = float("nan")

_TABLES = LedgerTables.from_frames(
    firms=pd.DataFrame(
        {
            "id": ["S1", "S2", "S3", "E1", "甲"],
            "name": ["一号", "二号", "", "整车", "甲厂"],
            "output_value": [1.5, _NAN, 3.0, 120.0, _NAN],
            "recovery_days": pd.array([None, 3, None, 10, 0], dtype="Int64"),
            "is_enterprise": [False, False, False, True, True],
            "is_supplier": [True, True, True, False, True],
        }
    ),
    projects=pd.DataFrame({"id": ["P1", "P2"], "name": ["一期", ""], "total_investment": [10.0, _NAN]}),
    links=pd.DataFrame(
        {
            # S1 has more links than a page holds; S2 none; 甲 (after every Latin id) one.
            "supplier_id": ["S1", "S1", "S1", "S1", "S3", "甲"],
            "buyer_id": ["E1", "E1", "E1", "P1", "甲", "E1"],
            "material": ["钢材", "铝材", "芯片", "钢材", "轴承", "车架"],
            "share": [0.5, _NAN, 1.0, 0.2, _NAN, 0.75],
            "critical": [True, False, False, True, False, True],
            "stock_days": pd.array([7, None, 0, None, 3, None], dtype="Int64"),
            "annual_value": [_NAN, 2.0, _NAN, _NAN, 1.0, _NAN],
        }
    ),
    problems=pd.DataFrame({"id": ["Q1", "Q2"], "subject_id": ["E1", "P1"], "category": ["", "用工"]}),
    materials=pd.DataFrame({"code": ["M01", "M02"], "name": ["钢材", "芯片"]}),
)


def _same(a: LedgerTables, b: LedgerTables) -> None:
    a, b = a.canonical(), b.canonical()
    for name in LedgerTables.TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)


@pytest.mark.parametrize("batch", [1, 2, 5, 1000])
def test_load_is_the_written_tables_whatever_the_page_size(neo4j_url: str, batch: int) -> None:
    # 5 firms: pages of 1 and 5 end exactly at a table's end, 2 one short of it.
    with Neo4jStore(neo4j_url, batch_size=3, page_size=3) as writer:
        writer.clear()
        writer.write(_TABLES)
    with Neo4jStore(neo4j_url, batch_size=batch, page_size=batch) as reader:
        _same(reader.load(), _TABLES)


def test_load_of_an_empty_store_is_empty(neo4j_store: Neo4jStore) -> None:
    assert neo4j_store.load().counts() == dict.fromkeys(LedgerTables.TABLES, 0)


@pytest.mark.parametrize("query", [*cypher.READ_BATCH.values(), cypher.READ_LINKS_BATCH])
def test_a_page_is_an_index_ordered_seek(neo4j_store: Neo4jStore, query: str) -> None:
    neo4j_store.write(_TABLES)
    with neo4j.GraphDatabase.driver(neo4j_store.url, notifications_min_severity="OFF") as driver:
        summary = driver.execute_query("EXPLAIN " + query, g=0, after="S1", inclusive=False, limit=2).summary
    assert summary.plan is not None
    found = operators(summary.plan)
    assert "NodeUniqueIndexSeek" in found, found
    assert not found & {"Sort", "PartialSort", "Top", "NodeByLabelScan", "AllNodesScan"}, found
