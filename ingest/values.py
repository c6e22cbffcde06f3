"""Cell values as officials type them, parsed into canonical values.

Each parser takes the cell text (already trimmed, never empty) and returns the canonical
value or raises :class:`ValueProblem` with an issue code and a Chinese message. Parsers
are pure and cheap; :mod:`ingest.validate` calls each once per *distinct* cell text, so a
column of five million ``是`` costs one call.

A column of a million distinct ids or amounts still costs a million calls, so
:func:`parse_plain` first tries the whole column at once: when every cell is written the
plain way (ASCII ids without blanks, digits with a decimal point), the parsers would return
each cell as it is (or as ``float``/``int`` reads it) and raise for none, and the column is
parsed with a few passes in C. Any other column is left to the parsers, cell text by cell
text, so what a cell means and what is said of it never depends on the fast path.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable
from typing import Any

import numpy as np

from chain_graph.errors import IssueCode
from chain_graph.model import ProblemCategory, ProblemStatus, ProductionStatus, ProjectLevel

__all__ = ["PARSERS", "ValueProblem", "normalize_id", "parse_plain"]

MAX_TEXT_LENGTH = 2000
"""Longest accepted text cell; longer ones are almost always a paste accident."""


class ValueProblem(Exception):
    """A cell that cannot be read as its column's kind."""

    def __init__(self, code: IssueCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def normalize_id(text: str) -> str:
    """Return the comparable form of an id: NFKC, without spaces or invisible characters.

    Invisible means Unicode format characters: zero-width spaces, BOMs, direction marks.

    Examples
    --------
    >>> normalize_id(" ＧＹ００１ ")
    'GY001'
    >>> normalize_id("GY\u200b001\ufeff")
    'GY001'
    """
    if text.isascii():
        return "".join(text.split())
    value = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in "".join(value.split()) if unicodedata.category(ch) != "Cf")


def _text(text: str) -> str:
    """Free text as written, without direction overrides (they can disguise what a name says).

    >>> _text("\u202e司公限有")
    '司公限有'
    """
    if len(text) > MAX_TEXT_LENGTH:
        raise ValueProblem(IssueCode.TOO_LONG, f"文字过长（{len(text)} 个字符，最多 {MAX_TEXT_LENGTH} 个）")
    return text if text.isascii() else text.translate(_BIDI_CONTROLS)


def _id(text: str) -> str:
    value = normalize_id(_text(text))
    if len(value) > 64:
        raise ValueProblem(IssueCode.TOO_LONG, "编号过长（最多 64 个字符）")
    return value


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _number(text: str) -> float:
    cleaned = unicodedata.normalize("NFKC", text).replace(",", "").replace(" ", "")
    if not _NUMBER.fullmatch(cleaned):
        raise ValueProblem(IssueCode.NOT_A_NUMBER, "不是数字")
    value = float(cleaned)
    if not math.isfinite(value):
        raise ValueProblem(IssueCode.NOT_A_NUMBER, "不是有限的数字")
    return value


def _money(text: str) -> float:
    """万元; ``¥``/``￥`` and ``万元``/``万`` are dropped, ``亿元`` is ×10000, bare ``元`` is refused."""
    value = unicodedata.normalize("NFKC", text).strip().lstrip("¥").strip()
    factor = 1.0
    if value.endswith(("亿元", "亿")):
        value, factor = value.removesuffix("元").removesuffix("亿"), 10000.0
    elif value.endswith(("万元", "万")):
        value = value.removesuffix("元").removesuffix("万")
    elif value.endswith("元"):
        raise ValueProblem(
            IssueCode.AMBIGUOUS_UNIT, "金额单位为“元”，本列以万元计：请填写万元数，或写明“万元”"
        )
    number = _number(value) * factor
    if number < 0:
        raise ValueProblem(IssueCode.OUT_OF_RANGE, "金额不能为负数")
    return number


def _percent(text: str) -> float:
    value = unicodedata.normalize("NFKC", text).strip().removesuffix("%").strip()
    number = _number(value)
    if not 0 <= number <= 100:
        raise ValueProblem(IssueCode.OUT_OF_RANGE, "百分比应在 0 到 100 之间")
    return number


def _int(text: str) -> int:
    value = unicodedata.normalize("NFKC", text).strip().removesuffix("天").strip()
    number = _number(value)
    if number != int(number):
        raise ValueProblem(IssueCode.NOT_AN_INTEGER, "应为整数（天数）")
    if number < 0:
        raise ValueProblem(IssueCode.OUT_OF_RANGE, "天数不能为负数")
    if number > 100000:
        raise ValueProblem(IssueCode.OUT_OF_RANGE, "天数过大（超过 100000）")
    return int(number)


def _count(text: str) -> int:
    """Parse a head count (在岗人数): a whole number, not negative."""
    value = unicodedata.normalize("NFKC", text).strip().removesuffix("人").strip()
    number = _number(value)
    if number != int(number):
        raise ValueProblem(IssueCode.NOT_AN_INTEGER, "应为整数（人数）")
    if number < 0:
        raise ValueProblem(IssueCode.OUT_OF_RANGE, "人数不能为负数")
    return int(number)


def _words(table: dict[str, Any], what: str) -> Callable[[str], Any]:
    allowed = "、".join(k for k in table if not k.isascii())

    def parse(text: str) -> Any:
        key = unicodedata.normalize("NFKC", text).strip().lower()
        if key not in table:
            raise ValueProblem(IssueCode.UNKNOWN_WORD, f"无法识别的{what}，可填：{allowed}")
        return table[key]

    return parse


_BOOLEANS: dict[str, bool] = {
    "是": True,
    "否": False,
    "y": True,
    "n": False,
    "yes": True,
    "no": False,
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "√": True,
    "×": False,
    "1.0": True,
    "0.0": False,
    "x": False,
}
_STATUSES = {
    "正常": ProductionStatus.NORMAL,
    "正常生产": ProductionStatus.NORMAL,
    "已复产": ProductionStatus.NORMAL,
    "normal": ProductionStatus.NORMAL,
    "部分停产": ProductionStatus.PARTIAL,
    "部分复产": ProductionStatus.PARTIAL,
    "partial": ProductionStatus.PARTIAL,
    "停产": ProductionStatus.STOPPED,
    "全面停产": ProductionStatus.STOPPED,
    "未复产": ProductionStatus.STOPPED,
    "stopped": ProductionStatus.STOPPED,
}
_LEVELS = {
    "国家级": ProjectLevel.NATIONAL,
    "national": ProjectLevel.NATIONAL,
    "省级": ProjectLevel.PROVINCIAL,
    "provincial": ProjectLevel.PROVINCIAL,
    "市级": ProjectLevel.CITY,
    "city": ProjectLevel.CITY,
}
_CATEGORIES = {c.value: c for c in ProblemCategory}
_PROBLEM_STATUSES = {
    "挂号": ProblemStatus.REGISTERED,
    "已挂号": ProblemStatus.REGISTERED,
    "registered": ProblemStatus.REGISTERED,
    "办理中": ProblemStatus.IN_PROGRESS,
    "in_progress": ProblemStatus.IN_PROGRESS,
    "已销号": ProblemStatus.CLOSED,
    "销号": ProblemStatus.CLOSED,
    "closed": ProblemStatus.CLOSED,
}

_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _date(text: str) -> str:
    value = unicodedata.normalize("NFKC", text).strip()
    match = _DATE.fullmatch(value)
    try:
        if match:
            day = dt.date(*(int(g) for g in match.groups()))
        elif re.fullmatch(r"\d{5}(\.0+)?", value):  # an Excel date serial read as a number
            day = _EXCEL_EPOCH + dt.timedelta(days=int(float(value)))
        else:
            raise ValueError(value)
    except ValueError:
        raise ValueProblem(IssueCode.BAD_DATE, "无法识别的日期，请写成 2020-04-30 或 2020年4月30日") from None
    if not 2000 <= day.year <= 2100:
        raise ValueProblem(IssueCode.BAD_DATE, "日期年份应在 2000 到 2100 之间")
    return day.isoformat()


def _adcode(text: str) -> str:
    value = normalize_id(text).removesuffix(".0")
    if re.fullmatch(r"\d{12}", value):
        value = value[:6]
    if not re.fullmatch(r"\d{6}", value):
        raise ValueProblem(IssueCode.BAD_ADCODE, "行政区划代码应为 6 位数字（如 431202）")
    return value


PARSERS: dict[str, Callable[[str], Any]] = {
    "id": _id,
    "text": _text,
    "money": _money,
    "percent": _percent,
    "int": _int,
    "count": _count,
    "bool": _words(_BOOLEANS, "是/否"),
    "date": _date,
    "adcode": _adcode,
    "status": _words({k: v.value for k, v in _STATUSES.items()}, "生产状态"),
    "level": _words({k: v.value for k, v in _LEVELS.items()}, "项目级别"),
    "category": _words({k: v.value for k, v in _CATEGORIES.items()}, "问题类别"),
    "problem_status": _words({k: v.value for k, v in _PROBLEM_STATUSES.items()}, "办理状态"),
}
"""Parser per column kind (see :data:`ingest.schema.Kind`)."""


_ASCII_BLANKS = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"
"""The ASCII characters ``str.split()`` splits on (what :func:`normalize_id` removes)."""
_DIGITS = b"0123456789"
_SEPARATOR = "\x00"


def _only(joined: str, allowed: bytes) -> bool:
    """Whether ``joined`` (cells joined by NUL) is ASCII made of ``allowed`` characters only."""
    if not joined.isascii():
        return False
    raw = joined.encode("ascii")
    return not raw.translate(None, allowed + _SEPARATOR.encode())


def _floats(cells: np.ndarray) -> np.ndarray | None:
    """Read digit-and-point cells as ``float`` reads them; ``None`` when one is not a number."""
    try:
        numbers = cells.astype(np.float64)
    except ValueError:  # "1.2.3", "."
        return None
    return numbers if np.isfinite(numbers).all() else None


def parse_plain(kind: str, cells: np.ndarray) -> np.ndarray | None:
    """Parse a column of non-empty cells written the plain way, all at once.

    Returns an object array of exactly what ``PARSERS[kind]`` returns for each cell, when
    every cell is plain for its kind and none would be refused; ``None`` otherwise (then
    parse cell text by cell text). Plain means: for ``id``, ASCII without blanks, at most 64
    characters; for ``text``, at most 2,000 characters without direction controls; for
    ``money``, digits with at most a decimal point; for ``percent`` the same, optionally
    ending in ``%``, from 0 to 100; for ``int`` and ``count``, digits (days up to 100,000);
    for ``adcode``, six digits.

    Examples
    --------
    >>> cells = np.array(["GY001", "QY002"], dtype=object)
    >>> parse_plain("id", cells).tolist(), parse_plain("id", np.array(["ＧＹ1"], dtype=object))
    (['GY001', 'QY002'], None)
    >>> parse_plain("percent", np.array(["75.7%", "100"], dtype=object)).tolist()
    [75.7, 100.0]
    >>> parse_plain("money", np.array(["1,200.5"], dtype=object)) is None
    True
    """
    if not len(cells):
        return cells
    joined = _SEPARATOR.join(cells)
    longest = max(map(len, cells))
    if kind == "id":
        if (
            longest > 64
            or not joined.isascii()
            or len(joined.encode("ascii").translate(None, _ASCII_BLANKS)) != len(joined)
        ):
            return None
        return cells
    if kind == "text":
        if longest > MAX_TEXT_LENGTH or (
            not joined.isascii() and any(chr(c) in joined for c in _BIDI_CONTROLS)
        ):
            return None
        return cells
    if kind == "adcode":
        return cells if longest == 6 and min(map(len, cells)) == 6 and _only(joined, _DIGITS) else None
    if kind == "money":
        if longest > 300 or not _only(joined, _DIGITS + b"."):
            return None
        numbers = _floats(cells)
        return None if numbers is None else numbers.astype(object)
    if kind == "percent":
        if longest > 300 or not _only(joined, _DIGITS + b".%"):
            return None
        if "%" in joined:
            if joined.count("%") != joined.count("%" + _SEPARATOR) + joined.endswith("%"):
                return None  # a % not at the end of its cell
            cells = np.array([c.removesuffix("%") for c in cells], dtype=object)
        numbers = _floats(cells)
        if numbers is None or not ((numbers >= 0) & (numbers <= 100)).all():
            return None
        return numbers.astype(object)
    if kind in ("int", "count"):
        if longest > 6 or not _only(joined, _DIGITS):
            return None
        whole = cells.astype(np.int64)
        if kind == "int" and (whole > 100000).any():
            return None
        return whole.astype(object)
    return None
