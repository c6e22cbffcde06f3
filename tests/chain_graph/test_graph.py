"""build_graph: the links' ends found by object or by text alike; ids must be distinct."""

from __future__ import annotations

import pandas as pd
import pytest

from chain_graph.graph import build_graph
from chain_graph.model import LedgerTables


def _fresh(text: str) -> str:
    return "".join([text, ""])  # an equal text in a new object


def _ledgers(*, shared: bool) -> LedgerTables:
    ids = ["S1", "S2", "E1"]
    firm_ids = [_fresh(i) for i in ids]
    of = dict(zip(ids, firm_ids, strict=True)) if shared else {i: _fresh(i) for i in ids}
    return LedgerTables.from_frames(
        firms=pd.DataFrame({"id": firm_ids, "is_enterprise": [False, False, True]}),
        projects=pd.DataFrame({"id": [_fresh("P1")]}),
        links=pd.DataFrame(
            {
                "supplier_id": [of["S1"], of["S2"], of["E1"]],
                "buyer_id": [of["E1"], of["E1"], "P1"],
                "material": ["钢", "钢", "设备"],
                "share": [60.0, 40.0, 100.0],
            }
        ),
    )


@pytest.mark.parametrize("shared", [True, False])
def test_link_ends_whether_or_not_the_links_hold_their_firms_objects(shared: bool) -> None:
    graph = build_graph(_ledgers(shared=shared))
    ends = [(str(graph.ids[s]), str(graph.ids[d])) for s, d in zip(graph.src, graph.dst, strict=True)]
    assert ends == [("S1", "E1"), ("S2", "E1"), ("E1", "P1")]


def test_a_project_with_a_firms_id_is_refused() -> None:
    """Found in review: by object, the lookup no longer failed on an id given twice."""
    ledgers = _ledgers(shared=True)
    clash = LedgerTables.from_frames(
        firms=ledgers.firms, projects=pd.DataFrame({"id": [_fresh("E1")]}), links=ledgers.links
    )
    with pytest.raises(ValueError, match="编号重复"):
        build_graph(clash)


def test_id_rank_orders_ids_ending_in_nul_as_python() -> None:
    """numpy's fixed-width text dropped the NUL: "A\\x00" tied with "A" (found in review)."""
    ledgers = LedgerTables.from_frames(
        firms=pd.DataFrame({"id": ["A\x00", "B", "A"], "is_enterprise": [True, True, True]})
    )
    graph = build_graph(ledgers)
    assert [str(graph.ids[i]) for i in graph.id_rank.argsort()] == ["A", "A\x00", "B"]
