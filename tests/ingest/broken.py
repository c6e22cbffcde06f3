"""A deliberately broken data directory, with every issue it must produce."""

from __future__ import annotations

from pathlib import Path

from chain_graph.errors import IssueCode as C
from tests.ledger_files import write_canonical

BROKEN = {
    "enterprises": [
        ["id", "name", "address", "adcode", "output_value", "status", "capacity"],
        ["E1", "甲", "鹤城区", "", "100", "normal", ""],  # row 2: fine
        ["E2", "", "鹤城区", "", "", "", ""],  # 3: name missing
        ["E3", "丙", "", "", "", "", ""],  # 4: no address nor adcode
        ["E4", "丁", "鹤城区", "", "-5", "", ""],  # 5: negative money
        ["E5", "戊", "鹤城区", "", "abc", "", ""],  # 6: not a number
        ["E6", "己", "鹤城区", "", "1", "停业", ""],  # 7: unknown status word
        ["E6", "己", "鹤城区", "", "1", "", ""],  # 8: duplicate id (with 7)
        ["E7", "庚", "鹤城区", "4312", "", "", ""],  # 9: bad adcode
        ["E8", "辛", "鹤城区", "", "", "", "120"],  # 10: capacity > 100
    ],
    "suppliers": [
        ["id", "name", "address", "recovery_days"],
        ["S1", "供一", "长沙市", ""],  # 2: fine
        ["E1", "另一个名字", "鹤城区", ""],  # 3: conflicts with ent. row 2
        ["S2", "供二", "长沙市", "2.5"],  # 4: not an integer
        ["S3", "供三", "长沙市", ""],
        ["S4", "供四", "长沙市", ""],
    ],
    "projects": [
        ["id", "name", "address", "level"],
        ["S1", "撞号项目", "鹤城区", ""],  # 2: collides with a firm id
        ["P1", "项目一", "鹤城区", "市级"],  # 3: fine
        ["P2", "项目二", "鹤城区", "乡级"],  # 4: unknown level
    ],
    "links": [
        ["supplier_id", "buyer_id", "material", "share", "critical"],
        ["S1", "X9", "钢材", "", ""],  # 2: unknown buyer
        ["S1", "S1", "钢材", "", ""],  # 3: self link
        ["S3", "P1", "水泥", "50", ""],  # 4: duplicate (with 5)
        ["S3", "P1", "水泥", "50", ""],  # 5: 50 + 50 is not over 100
        ["S3", "P1", "钢材", "70", ""],  # 6: shares 70 + 50 > 100
        ["S4", "P1", "钢材", "50%", ""],  # 7
        ["S4", "P1", "电缆", "", "也许"],  # 8: unknown boolean
        ["S4", "P1", "", "", ""],  # 9: material missing
    ],
    "problems": [
        ["id", "subject_id", "category"],  # description column missing
        ["W1", "P1", "资金"],
    ],
}

# (file, excel row, code) of every issue, hand-listed from the table above.
EXPECTED = {
    ("enterprises.csv", 3, C.VALUE_MISSING),
    ("enterprises.csv", 4, C.ADDRESS_REQUIRED),
    ("enterprises.csv", 5, C.OUT_OF_RANGE),
    ("enterprises.csv", 6, C.NOT_A_NUMBER),
    ("enterprises.csv", 7, C.UNKNOWN_WORD),
    ("enterprises.csv", 7, C.DUPLICATE_ID),
    ("enterprises.csv", 8, C.DUPLICATE_ID),
    ("enterprises.csv", 9, C.BAD_ADCODE),
    ("enterprises.csv", 10, C.OUT_OF_RANGE),
    ("suppliers.csv", 3, C.FIRM_CONFLICT),
    ("suppliers.csv", 4, C.NOT_AN_INTEGER),
    ("projects.csv", 2, C.PROJECT_ID_COLLISION),
    ("projects.csv", 4, C.UNKNOWN_WORD),
    ("links.csv", 2, C.UNKNOWN_REFERENCE),
    ("links.csv", 3, C.SELF_LINK),
    ("links.csv", 4, C.DUPLICATE_LINK),
    ("links.csv", 5, C.DUPLICATE_LINK),
    ("links.csv", 6, C.SHARE_SUM_EXCEEDED),
    ("links.csv", 7, C.SHARE_SUM_EXCEEDED),
    ("links.csv", 8, C.UNKNOWN_WORD),
    ("links.csv", 9, C.VALUE_MISSING),
    ("problems.csv", 0, C.COLUMN_MISSING),
}


def write_broken(directory: Path) -> Path:
    return write_canonical(directory, BROKEN)
