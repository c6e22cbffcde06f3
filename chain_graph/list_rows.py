"""Coordination requests as tables: the province's list, the counties' lists, the ledger.

Rows are built from the analysis and the ledgers with English column names; the exports
(:mod:`exports`) give them their Chinese headers and their spreadsheet form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from chain_graph.gaps import GapAnalysis
from chain_graph.graph import SupplyGraph
from chain_graph.labels import ACTION_LABELS, PROBLEM_STATUS_LABELS, PRODUCTION_STATUS_LABELS
from chain_graph.model import LedgerTables, ProblemStatus
from chain_graph.problem_ledger import LedgerEvent, LedgerItem, overdue_days
from chain_graph.regions import region_name

__all__ = ["coordination_rows", "history_rows", "ledger_rows", "local_rows", "place_name", "problem_text"]


def place_name(adcode: str) -> str:
    """Return ``省 市 县`` for an adcode (as far as it is known).

    Examples
    --------
    >>> place_name("431202"), place_name("420100"), place_name("")
    ('湖南省 怀化市 鹤城区', '湖北省 武汉市', '')
    """
    if not adcode:
        return ""
    parts = [region_name(adcode[:2] + "0000"), region_name(adcode[:4] + "00"), region_name(adcode)]
    names: list[str] = []
    for part in parts:
        if part and part not in names:
            names.append(part)
    return " ".join(names)


def problem_text(firm: pd.Series) -> str:
    """Return 存在问题 of a firm: its production state (with capacity) and its problem, in words."""
    text = str(firm.get("problem", "") or "")
    state = PRODUCTION_STATUS_LABELS.get(str(firm.get("status", "")), "")
    capacity = firm.get("capacity")
    if capacity is not None and not pd.isna(capacity):
        state += f"（产能 {capacity:g}%）"
    return "；".join(p for p in (state, text) if p)


def coordination_rows(analysis: GapAnalysis, ledgers: LedgerTables) -> pd.DataFrame:
    """跨区域协调清单: one row per (blocked supplier, direct buyer, material), rank order.

    Suppliers with scope ``in_province`` or ``out_of_province``. ``output`` and
    ``investment`` are what restoring the supplier gives that row's buyer, ``total`` the
    supplier's whole recovered value (every row of it), ``priority`` the supplier's
    position in the list (1…n). See :func:`_request_rows`.
    """
    return _request_rows(analysis.coordination_list(), ledgers, analysis.graph)


def local_rows(analysis: GapAnalysis, ledgers: LedgerTables) -> pd.DataFrame:
    """本地配套企业督促复产清单: the same rows for local suppliers, with their county.

    The list goes to each county (属地) for its own suppliers, so ``priority`` is the
    supplier's position among the blocked suppliers of its county (1…n in each county).
    """
    rows = _request_rows(analysis.local_list(), ledgers, analysis.graph)
    by_county = rows.groupby("supplier_county", sort=False)["priority"].rank(method="dense")
    return rows.assign(priority=by_county.astype(int))


_REQUEST_COLUMNS = [
    "no",
    "buyer_id",
    "buyer",
    "buyer_county",
    "supplier_id",
    "supplier",
    "supplier_adcode",
    "supplier_place",
    "supplier_county",
    "material",
    "problem",
    "request",
    "output",
    "investment",
    "total",
    "stock_days",
    "recovery_days",
    "priority",
    "route_to",
    "target_region",
    "scope",
]


def _request_rows(blocked: pd.DataFrame, ledgers: LedgerTables, graph: SupplyGraph) -> pd.DataFrame:
    """Return one row per (blocked supplier, direct buyer, material).

    Suppliers in rank order, then their links by buyer and material. ``output`` and
    ``investment`` are the buyer's output value or annual plan × the rise of its
    availability when the supplier alone is restored (:func:`chain_graph.analysis.recovery`'s
    ``gains``), on the first row of each (supplier, buyer) and 0 on the others, so that
    a column's sum counts no buyer twice. ``total`` is the supplier's whole recovered
    value, through every tier: at least the sum of its rows. ``priority`` is the
    supplier's position in ``blocked``, 1…n. Built as table operations: a province has
    thousands of blocked suppliers and tens of thousands of rows.
    """
    if blocked.empty:
        return pd.DataFrame(columns=_REQUEST_COLUMNS)
    firms = ledgers.firms.drop_duplicates("id").set_index("id")
    nodes = pd.concat([ledgers.firms[["id", "name", "adcode"]], ledgers.projects[["id", "name", "adcode"]]])
    node_name = dict(zip(nodes["id"], nodes["name"], strict=True))
    node_code = dict(zip(nodes["id"], nodes["adcode"], strict=True))
    suppliers = blocked.reset_index(drop=True)
    suppliers = suppliers.assign(_order=np.arange(len(suppliers)))
    links = ledgers.links.sort_values(["buyer_id", "material"], kind="stable").reset_index(drop=True)
    links = links.assign(_link=np.arange(len(links)))
    rows = suppliers.merge(links, left_on="id", right_on="supplier_id", how="inner", suffixes=("", "_link"))
    rows = rows.sort_values(["_order", "_link"], kind="stable").reset_index(drop=True)
    of_supplier = firms.loc[suppliers["id"]]
    problem = dict(
        zip(suppliers["id"], [problem_text(firm) for _, firm in of_supplier.iterrows()], strict=True)
    )
    code = rows["id"].map(firms["adcode"]).astype(str)
    names = {c: region_name(c) for c in set(code) | {node_code.get(b, "") for b in rows["buyer_id"]}}
    places = {c: place_name(c) for c in set(code)}
    buyer_code = rows["buyer_id"].map(lambda b: node_code.get(b, ""))
    recovery = rows["id"].map(firms["recovery_days"])
    output, investment = _buyer_gains(suppliers, rows, graph)
    table = pd.DataFrame(
        {
            "no": np.arange(1, len(rows) + 1),
            "buyer_id": rows["buyer_id"],
            "buyer": [node_name.get(b, b) for b in rows["buyer_id"]],
            "buyer_county": buyer_code.map(names),
            "supplier_id": rows["id"],
            "supplier": rows["name"],
            "supplier_adcode": code,
            "supplier_place": code.map(places),
            "supplier_county": [names[c] or "县市区待核实" for c in code],
            "material": rows["material"],
            "problem": rows["id"].map(problem),
            "request": [f"协调尽快恢复生产，保障{m or '配套产品'}供应" for m in rows["material"]],
            # + 0.0 turns a -0.0 left by a subtraction into 0.0
            "output": output + 0.0,
            "investment": investment + 0.0,
            "total": rows["recovered_value"] + 0.0,
            "stock_days": pd.Series(  # whole days or None: 7 in JSON, never 7.0
                [None if pd.isna(d) else int(d) for d in rows["stock_days"]], index=rows.index, dtype=object
            ),
            "recovery_days": pd.Series([None if pd.isna(r) else int(r) for r in recovery], index=rows.index),
            # rows are in supplier order: the k-th supplier with rows has priority k
            "priority": pd.factorize(rows["_order"])[0] + 1,
            "route_to": rows["route_to"].fillna(""),
            "target_region": rows["target_region"].fillna(""),
            "scope": rows["scope"],
        }
    )
    return table[_REQUEST_COLUMNS]


def _buyer_gains(
    suppliers: pd.DataFrame, rows: pd.DataFrame, graph: SupplyGraph
) -> tuple[pd.Series, pd.Series]:
    """Output and investment (万元) each row's buyer regains when the row's supplier is restored.

    On the first row of each (supplier, buyer) only: a buyer with several materials from
    one supplier gains once.
    """
    long = suppliers[["id", "affected", "gains"]].explode(["affected", "gains"]).dropna(subset=["affected"])
    gain_of = pd.Series(
        long["gains"].to_numpy(dtype=float),
        index=pd.MultiIndex.from_arrays([long["id"].astype(str), long["affected"].astype(str)]),
    )
    pair = pd.MultiIndex.from_arrays([rows["id"].astype(str), rows["buyer_id"].astype(str)])
    gain = gain_of.reindex(pair).fillna(0.0).to_numpy() * ~rows.duplicated(["id", "buyer_id"]).to_numpy()
    position = rows["buyer_id"].map(graph.index).fillna(-1).astype(int).to_numpy()
    known = position >= 0
    output = np.where(known, gain * graph.output_weight[position], 0.0)
    investment = np.where(known, gain * graph.investment_weight[position], 0.0)
    return pd.Series(output, index=rows.index), pd.Series(investment, index=rows.index)


def ledger_rows(items: Sequence[LedgerItem], ledgers: LedgerTables, *, today: dt.date) -> pd.DataFrame:
    """问题台账: one row per item with its status, overdue days and escalations, by id."""
    nodes = pd.concat([ledgers.firms[["id", "name"]], ledgers.projects[["id", "name"]]])
    name = dict(zip(nodes["id"], nodes["name"], strict=True))
    rows = [
        {
            "id": i.id,
            "subject": name.get(i.subject_id, i.subject_id),
            "supplier": name.get(i.supplier_id, i.supplier_id),
            "category": i.category.value,
            "description": i.description,
            "responsible_unit": i.responsible_unit,
            "co_units": "、".join(i.co_units),
            "deadline": i.deadline,
            "status": PROBLEM_STATUS_LABELS[ProblemStatus(i.status)],
            "overdue_days": overdue_days(i, today),
            "escalations": i.escalations,
            "closing_note": i.closing_note,
            "created_at": i.created_at,
            "updated_at": i.updated_at,
        }
        for i in sorted(items, key=lambda item: item.id)
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "id",
            "subject",
            "supplier",
            "category",
            "description",
            "responsible_unit",
            "co_units",
            "deadline",
            "status",
            "overdue_days",
            "escalations",
            "closing_note",
            "created_at",
            "updated_at",
        ],
    )


def history_rows(events: Sequence[LedgerEvent]) -> pd.DataFrame:
    """办理记录: every event of the given items, by item and sequence."""
    rows = [
        {
            "item_id": e.item_id,
            "seq": e.seq,
            "at": e.at,
            "by": e.by,
            "action": ACTION_LABELS[e.action],
            "from_status": PROBLEM_STATUS_LABELS[e.from_status] if e.from_status else "",
            "to_status": PROBLEM_STATUS_LABELS[e.to_status],
            "note": e.note,
            "detail": e.detail,
        }
        for e in sorted(events, key=lambda event: (event.item_id, event.seq))
    ]
    return pd.DataFrame(
        rows, columns=["item_id", "seq", "at", "by", "action", "from_status", "to_status", "note", "detail"]
    )
