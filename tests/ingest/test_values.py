from __future__ import annotations

from typing import Any

import pytest

from chain_graph.errors import IssueCode
from ingest.values import PARSERS, ValueProblem, normalize_id


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("percent", "85", 85.0),
        ("percent", "85%", 85.0),
        ("percent", "85 %", 85.0),
        ("percent", "８５％", 85.0),
        ("percent", "0", 0.0),
        ("percent", "100", 100.0),
        ("money", "1,200.5", 1200.5),
        ("money", "1200.5", 1200.5),
        ("money", "¥1,200", 1200.0),
        ("money", "￥300万元", 300.0),
        ("money", "300万", 300.0),
        ("money", "1.2亿元", 12000.0),
        ("int", "30", 30),
        ("int", "30天", 30),
        ("int", "30.0", 30),
        ("bool", "是", True),
        ("bool", "否", False),
        ("bool", "Y", True),
        ("bool", "n", False),
        ("bool", "yes", True),
        ("bool", "FALSE", False),
        ("bool", "1", True),
        ("bool", "0", False),
        ("bool", "√", True),
        ("bool", "×", False),
        ("date", "2020-04-30", "2020-04-30"),
        ("date", "2020/4/30", "2020-04-30"),
        ("date", "2020年4月30日", "2020-04-30"),
        ("date", "2020-04-30 00:00:00", "2020-04-30"),
        ("date", "43951", "2020-04-30"),
        ("status", "正常", "normal"),
        ("status", "部分停产", "partial"),
        ("status", "停产", "stopped"),
        ("status", "Stopped", "stopped"),
        ("level", "省级", "provincial"),
        ("category", "电力燃气", "电力燃气"),
        ("problem_status", "已销号", "closed"),
        ("problem_status", "挂号", "registered"),
        ("adcode", "431202", "431202"),
        ("adcode", "431202000000", "431202"),
        ("adcode", "４３１２０２", "431202"),
        ("id", " ＧＹ００１ ", "GY001"),
    ],
)
def test_parses_as_officials_type(kind: str, text: str, expected: Any) -> None:
    assert PARSERS[kind](text) == expected


@pytest.mark.parametrize(
    ("kind", "text", "code"),
    [
        ("percent", "101", IssueCode.OUT_OF_RANGE),
        ("percent", "-5%", IssueCode.OUT_OF_RANGE),
        ("percent", "八十五", IssueCode.NOT_A_NUMBER),
        ("money", "-1", IssueCode.OUT_OF_RANGE),
        ("money", "1200元", IssueCode.AMBIGUOUS_UNIT),
        ("money", "abc", IssueCode.NOT_A_NUMBER),
        ("money", "nan", IssueCode.NOT_A_NUMBER),
        ("money", "inf", IssueCode.NOT_A_NUMBER),
        ("int", "2.5", IssueCode.NOT_AN_INTEGER),
        ("int", "-3", IssueCode.OUT_OF_RANGE),
        ("bool", "也许", IssueCode.UNKNOWN_WORD),
        ("status", "停业整顿中", IssueCode.UNKNOWN_WORD),
        ("category", "环保", IssueCode.UNKNOWN_WORD),
        ("date", "2020-13-01", IssueCode.BAD_DATE),
        ("date", "9999-01-01", IssueCode.BAD_DATE),
        ("date", "下周", IssueCode.BAD_DATE),
        ("adcode", "4312", IssueCode.BAD_ADCODE),
        ("text", "长" * 3000, IssueCode.TOO_LONG),
        ("id", "X" * 65, IssueCode.TOO_LONG),
    ],
)
def test_rejects_with_a_stable_code(kind: str, text: str, code: IssueCode) -> None:
    with pytest.raises(ValueProblem) as caught:
        PARSERS[kind](text)
    assert caught.value.code is code
    assert caught.value.message  # a Chinese sentence, never empty


def test_full_width_ids_equal_half_width() -> None:
    assert normalize_id("ＱＹ－００１") == normalize_id("QY-001")
