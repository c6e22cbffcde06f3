"""Corrupted data directories, made the same way every time, and what validating one says.

Each corpus is a set of ledgers as officials lay them out (titles, a 序号 column, totals and
signature lines, Chinese or English headers, GB18030 or UTF-8, CSV or XLSX), with values as
they type them (padded, full-width, with invisible characters, repeated a lot) and a share of
cells replaced by hostile text. :func:`outcome` is everything a validation reports, in a
form that can be saved and compared: every located issue, every skipped line, every rejected
row, and a digest of the ledgers built from the valid rows.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any

from ingest.validate import Validation
from tests.ledger_files import write_csv, write_xlsx

ADDRESSES = [
    "湖南省怀化市鹤城区迎丰路1号",
    "芷江侗族自治县工业园",
    "湖南省长沙市雨花区",
    "湖北省武汉市洪山区",
    "广东省深圳市南山区",
    "新晃县工业园",
    "怀化高新区",
    " 湖南省怀化市会同县团结路607号 ",
    "湖南省怀化市麻阳苗族自治县高新大道200号",
    "北京市朝阳区",
    "不知道",
]
HOSTILE = [
    "",
    " ",
    "\u3000",
    '=HYPERLINK("x")',
    "+1",
    "-1",
    "@SUM(A1)",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e309",
    "9" * 40,
    "9999-12-31",
    "0x1F",
    "１２３",
    "true",
    "否",
    "\u200b",
    "\ufeff",
    "😀",
    "<script>",
    "'",
    '"',
    "\\",
    "a\nb",
    "\t",
    "100%",
    "1,000",
    "1.2亿元",
    "30天",
    "5元",
    "-3",
    "2.5",
    "101",
    "停业",
    "乡级",
    "2020年4月30日",
    "2020/4/31",
    "45000",
    "431202000000",
    "4312",
    "431202.0",
    "\u202e司公限有",
    "合计",
    "填表人：张三",
    "注：见说明",
    "x" * 2100,
    "E1",
    "S1",
    "P1",
    "ＥＩ",
    "E\u200b1",
    " S2 ",
]
STATUSES = ["normal", "partial", "stopped", "", "正常", "部分停产", "停产", " 正常 ", "ＮＯＲＭＡＬ"]
MATERIALS = [
    "钢材",
    "钢 材",
    "钢板",
    "热轧钢板",
    "芯片",
    "集成电路",
    "ＩＣ",
    "包装材料",
    "木材",
    "Ｗood",
    "wood",
]
CODES = ["", "", "", "M01", "ｍ０１", "7208", "HS 8542", "M02"]
MONEY = ["", "0", "300", "1,200.5", "0.5亿元", "20000", "¥ 12", "600万元", "30000"]
PERCENT = ["", "0", "45", "100", "85%", "85 %", "0.5", "60"]
DAYS = ["", "0", "7", "60", "30天", "15"]
BOOLS = ["yes", "no", "是", "否", "", "√", "×", "1", "0", "Y"]
DATES = ["", "2026-12-31", "2026/1/5", "2026年4月30日", "46000"]

HEADERS = {
    "enterprises": (
        ["id", "name", "address", "adcode", "chain", "output_value", "tax", "status", "capacity", "phone"],
        [
            "企业编号",
            "企业名称",
            "地址",
            "行政区划代码",
            "所属产业链",
            "年产值(万元)",
            "年纳税额（万元）",
            "生产状态",
            "产能恢复率",
            "联系电话",
        ],
    ),
    "suppliers": (
        ["id", "name", "address", "adcode", "status", "capacity", "recovery_days", "problem"],
        [
            "供应商编号",
            "供应商名称",
            "地址",
            "行政区划代码",
            "生产状态",
            "产能恢复率",
            "预计恢复天数",
            "存在问题",
        ],
    ),
    "projects": (
        ["id", "name", "address", "level", "category", "total_investment", "annual_plan", "completed"],
        [
            "项目编号",
            "项目名称",
            "建设地点",
            "项目级别",
            "项目类别",
            "总投资",
            "年度计划投资",
            "本年完成投资",
        ],
    ),
    "links": (
        [
            "supplier_id",
            "buyer_id",
            "material",
            "share",
            "critical",
            "stock_days",
            "annual_value",
            "material_code",
        ],
        [
            "供应商编号",
            "需求方编号",
            "配套产品",
            "供应占比",
            "是否关键",
            "库存可用天数",
            "年采购额(万元)",
            "物料编码",
        ],
    ),
    "problems": (
        ["id", "subject_id", "category", "description", "deadline", "status"],
        ["问题编号", "对象编号", "问题类别", "问题描述", "完成时限", "办理状态"],
    ),
    "materials": (["code", "name", "aliases", "chain"], ["物料编码", "物料名称", "别名", "所属产业链"]),
}
CATALOGUE = [
    ["M01", "钢材", "钢板；热轧钢板", "装备"],
    ["ｍ０１", "钢材", "", ""],
    ["M02", "芯片", "集成电路、IC", ""],
]


def _id(rng: random.Random, prefix: str, n: int) -> str:
    """An id as typed: now and then padded, full-width or with a zero-width space."""
    plain = f"{prefix}{rng.randrange(n)}"
    style = rng.random()
    if style < 0.05:
        return f" {plain} "
    if style < 0.08:
        return plain.translate({ord(c): ord(c) + 0xFEE0 for c in plain})
    if style < 0.10:
        return plain[:1] + "\u200b" + plain[1:]
    return plain


def _rows(rng: random.Random, n: int) -> dict[str, list[list[str]]]:
    firms_e, firms_s, projects = n, 2 * n, max(3, n // 3)
    enterprises = [
        [
            f"E{i}",
            f"企业{i % (n - 2)}",
            rng.choice(ADDRESSES),
            rng.choice(["", "", "431202", "431227 ", "4312020"]),
            rng.choice(["装备", "", "食品"]),
            rng.choice(MONEY),
            rng.choice(MONEY),
            rng.choice(STATUSES),
            rng.choice(PERCENT),
            rng.choice(["", "0745-1234567"]),
        ]
        for i in range(firms_e)
    ]
    suppliers = [
        [
            f"S{i}" if rng.random() > 0.05 else f"E{rng.randrange(firms_e)}",
            f"供应商{i}",
            rng.choice(ADDRESSES),
            rng.choice(["", "", "", "430111", "420106"]),
            rng.choice(STATUSES),
            rng.choice(PERCENT),
            rng.choice(DAYS),
            rng.choice(["", "原材料供应中断", "用工不足"]),
        ]
        for i in range(firms_s)
    ]
    project_rows = [
        [
            f"P{i}",
            f"项目{i}",
            rng.choice(ADDRESSES),
            rng.choice(["", "市级", "省级", "national", "city"]),
            rng.choice(["基础设施", "产业", ""]),
            rng.choice(MONEY),
            rng.choice(MONEY),
            rng.choice(MONEY),
        ]
        for i in range(projects)
    ]
    links = [
        [
            _id(rng, "S", firms_s),
            _id(rng, "E", firms_e) if rng.random() < 0.7 else _id(rng, "P", projects),
            rng.choice(MATERIALS),
            rng.choice(PERCENT),
            rng.choice(BOOLS),
            rng.choice(DAYS),
            rng.choice(MONEY),
            rng.choice(CODES),
        ]
        for _ in range(6 * n)
    ]
    problems = [
        [
            f"W{i}",
            _id(rng, "S", firms_s) if rng.random() < 0.5 else _id(rng, "P", projects),
            rng.choice(["用工", "原材料", "物流运输", "资金", "", "其他"]),
            rng.choice(["钢材断供", "征地未完成", ""]),
            rng.choice(DATES),
            rng.choice(["", "挂号", "办理中", "已销号", "closed"]),
        ]
        for i in range(n // 2)
    ]
    materials = [list(row) for row in CATALOGUE]
    return {
        "enterprises": enterprises,
        "suppliers": suppliers,
        "projects": project_rows,
        "links": links,
        "problems": problems,
        "materials": materials,
    }


def _corrupt(rng: random.Random, rows: list[list[str]], share: float) -> None:
    for row in rows:
        for column in range(len(row)):
            if rng.random() < share:
                row[column] = rng.choice(HOSTILE)


def _laid_out(rng: random.Random, name: str, rows: list[list[str]]) -> list[list[str]]:
    """Lay a table out as a county office might: title, 序号, totals and signatures."""
    english, chinese = HEADERS[name]
    header = list(chinese if rng.random() < 0.5 else english)
    body = [list(r) for r in rows]
    numbered = rng.random() < 0.4
    if numbered:
        header = ["序号", *header]
        body = [[str(i + 1), *r] for i, r in enumerate(body)]
    width = len(header)
    if rng.random() < 0.3:
        header.append("备注")
        body = [[*r, rng.choice(["", "", "待核实"])] for r in body]
        width += 1
    for _ in range(rng.randrange(3)):
        body.insert(rng.randrange(len(body) + 1), [""] * width)
    if rng.random() < 0.4:
        body.insert(rng.randrange(len(body) + 1), list(header))
    lines: list[list[str]] = []
    if rng.random() < 0.6:
        lines.append([f"怀化市{name}台账"] + [""] * (width - 1))
    lines += [header, *body]
    if rng.random() < 0.5:
        lines.append(["合计", *[""] * (width - 2), "100"])
    if rng.random() < 0.5:
        lines.append(["填表人：张三", "", "联系电话：0745-1234567", *[""] * (width - 3)])
    return lines


def write_corpus(directory: Path, seed: int, *, n: int = 40, share: float = 0.06, xlsx: bool = False) -> Path:
    """Write corpus ``seed``: ``n`` enterprises, twice as many suppliers, ``6n`` links."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    tables = _rows(rng, n)
    sheets = {}
    for name, rows in tables.items():
        if name != "materials":
            _corrupt(rng, rows, share)
        sheets[name] = _laid_out(rng, name, rows)
    if xlsx:
        write_xlsx(directory / "台账.xlsx", {_SHEET[name]: rows for name, rows in sheets.items()})
        return directory
    for name, rows in sheets.items():
        encoding = (
            "gb18030" if rng.random() < 0.3 and not any("😀" in c for r in rows for c in r) else "utf-8"
        )
        write_csv(directory / f"{name}.csv", rows, encoding=encoding)
    return directory


_SHEET = {
    "enterprises": "重点企业",
    "suppliers": "供应商",
    "projects": "重点项目",
    "links": "供应关系",
    "problems": "问题台账",
    "materials": "物料目录",
}


def outcome(validation: Validation) -> dict[str, Any]:
    """Everything a validation says, as JSON-ready data (the ledgers as a digest)."""
    ledgers = validation.ledgers
    digest = hashlib.sha256()
    for name in ledgers.TABLES:
        frame = getattr(ledgers, name)
        digest.update(name.encode())
        digest.update(repr([(c, str(t)) for c, t in frame.dtypes.items()]).encode())
        digest.update(frame.to_csv(index=False).encode())
    return {
        "blocking": validation.blocking,
        "issues": [
            [i.code.value, i.message, i.file, i.sheet, i.row, i.column, i.value] for i in validation.issues
        ],
        "skipped": [[s.file, s.sheet, s.row, s.kind, s.text] for s in validation.skipped],
        "rejected": [
            [r.table.source.path.name, r.table.rows[r.position], [i.code.value for i in r.issues]]
            for r in validation.rejected
        ],
        "counts": ledgers.counts(),
        "ledgers": digest.hexdigest(),
    }
