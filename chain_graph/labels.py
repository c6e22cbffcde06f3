"""Every Chinese label chain-graph shows, in one place and one wording.

Keys are the plain string values of the code's enums (``Scope``, ``ProblemStatus``,
``Action``, ``Role``), so a label is looked up with the enum member or its value alike.
The CLI, the console, the exports and the maps all read these; none writes its own.
"""

from __future__ import annotations

__all__ = [
    "ACTION_LABELS",
    "BLOCKED_SORT_LABELS",
    "ITEM_SORT_LABELS",
    "KIND_LABELS",
    "METRIC_LABELS",
    "NODE_STATUS_LABELS",
    "PROBLEM_STATUS_LABELS",
    "PRODUCTION_STATUS_LABELS",
    "ROLE_LABELS",
    "SCOPE_LABELS",
    "SHARE_BASIS_LABELS",
    "TABLE_LABELS",
    "TARGET_STATE_LABELS",
]

SCOPE_LABELS: dict[str, str] = {
    "local": "本地",
    "in_province": "省内市外",
    "out_of_province": "省外",
    "unknown": "地址待核实",
}
"""Where a supplier sits relative to the home city (analysis spec, routing table)."""

SHARE_BASIS_LABELS: dict[str, str] = {"value": "按采购额", "groups": "按采购方"}
"""How a gap material's local share is computed (supply spec: by value where values exist)."""

PRODUCTION_STATUS_LABELS: dict[str, str] = {"normal": "正常", "partial": "部分停产", "stopped": "停产"}
"""A firm's production status as the ledgers write it."""

NODE_STATUS_LABELS: dict[str, str] = {**PRODUCTION_STATUS_LABELS, "starved": "断供（上游受阻）"}
"""A node's state on a map: its production status, or starved (held back by its suppliers)."""

KIND_LABELS: dict[str, str] = {"enterprise": "重点企业", "project": "重点项目", "supplier": "配套企业"}
"""What a node is."""

PROBLEM_STATUS_LABELS: dict[str, str] = {"registered": "已挂号", "in_progress": "办理中", "closed": "已销号"}
"""The status of a problem-ledger item (挂号 → 办理中 → 销号)."""

ACTION_LABELS: dict[str, str] = {
    "register": "挂号",
    "start": "开始办理",
    "close": "销号",
    "reopen": "重新打开",
    "extend": "延期",
    "escalate": "督办",
    "note": "进展备注",
}
"""What can be done to a problem-ledger item."""

ROLE_LABELS: dict[str, str] = {
    "admin": "市工业和信息化局",
    "county": "县市区政府",
    "province": "省工业和信息化厅",
    "viewer": "只读",
}
"""Who a user of the web service is."""

BLOCKED_SORT_LABELS: dict[str, str] = {
    "rank": "排序（综合）",
    "value": "影响产值与投资",
    "days": "距影响天数",
}
"""How the blocked suppliers may be ordered (keys: ``application.queries.BLOCKED_SORTS``)."""

ITEM_SORT_LABELS: dict[str, str] = {
    "id": "编号",
    "deadline": "期限（最近的在前）",
    "overdue": "逾期天数（最多的在前）",
    "updated": "最近办理",
}
"""How ledger items may be ordered (keys: ``application.problems.SORTS``)."""

METRIC_LABELS: dict[str, str] = {
    "recovery": "产能恢复率（0–1）",
    "availability": "产值加权可用度（0–1）",
    "at_target": "达到目标产能的重点企业（家）",
    "started": "开复工项目（个）",
    "completed": "累计完成投资（万元）",
    "progress": "时序进度（0–1）",
}
"""What a campaign target is set on (campaign spec, Targets)."""

TARGET_STATE_LABELS: dict[str, str] = {
    "reached": "已达成",
    "on_track": "进度正常",
    "behind": "落后",
    "missed": "未完成",
}
"""The state of a target at a round."""

TABLE_LABELS: dict[str, str] = {
    "firms": "企业（含配套企业）",
    "projects": "重点项目",
    "links": "供应关系",
    "problems": "问题台账",
    "materials": "物料目录",
}
"""The tables of a store, as import reports count them."""
