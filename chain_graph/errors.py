"""The one error hierarchy of chain-graph, and the located input issue it reports.

Every failure a user can cause or fix is a :class:`ChainGraphError` with a stable
``code`` and a Chinese message that says what to do. Input problems found while reading
ledgers are :class:`InputIssue` records; validation gathers all of them and raises one
:class:`LedgerValidationError` that carries the whole list.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "AddressInUseError",
    "ChainGraphError",
    "ConfigError",
    "CoordinationWorkbookError",
    "ForbiddenError",
    "InputIssue",
    "IssueCode",
    "LedgerValidationError",
    "NotFoundError",
    "ProblemLedgerError",
    "StaleItemError",
    "StoreError",
]


class IssueCode(StrEnum):
    """Stable codes of input issues; tests and downstream tools match on these."""

    FILE_UNREADABLE = "E001"
    ENCODING_UNKNOWN = "E002"
    TABLE_MISSING = "E003"
    TABLE_DUPLICATE = "E004"
    TABLE_EMPTY = "E005"
    HEADER_NOT_FOUND = "E006"
    WORKBOOK_TOO_LARGE = "E007"
    FILE_UNRECOGNISED = "E008"
    COLUMN_MISSING = "E010"
    COLUMN_DUPLICATE = "E011"
    VALUE_MISSING = "E020"
    NOT_A_NUMBER = "E021"
    OUT_OF_RANGE = "E022"
    NOT_AN_INTEGER = "E023"
    UNKNOWN_WORD = "E024"
    BAD_DATE = "E025"
    BAD_ADCODE = "E026"
    AMBIGUOUS_UNIT = "E027"
    TOO_LONG = "E028"
    FORMULA_WITHOUT_VALUE = "E029"
    DUPLICATE_ID = "E030"
    FIRM_CONFLICT = "E031"
    PROJECT_ID_COLLISION = "E032"
    UNKNOWN_REFERENCE = "E033"
    SELF_LINK = "E034"
    DUPLICATE_LINK = "E035"
    SHARE_SUM_EXCEEDED = "E036"
    REJECTED_REFERENCE = "E037"
    ADDRESS_REQUIRED = "E038"
    DATE_IN_FUTURE = "E039"
    FIELD_NOT_APPLICABLE = "E040"
    MATERIAL_CODE_DUPLICATE = "E041"
    MATERIAL_NAME_CONFLICT = "E042"
    TOTAL_CONFLICT = "E050"
    SUPPLIER_MISSING = "E051"


@dataclass(frozen=True, slots=True)
class InputIssue:
    """One problem in the user's ledgers, located as the user sees it in Excel.

    Attributes
    ----------
    code
        Stable issue code.
    message
        What is wrong and how to fix it, in Chinese.
    file
        File name inside the data directory.
    sheet
        Sheet name for workbooks, ``""`` for CSV.
    row
        Row number as Excel shows it (header row included, 1-based); 0 for the whole table.
    column
        Header as the user wrote it (or the canonical name when the column is missing).
    value
        The offending cell text, shortened for display.
    """

    code: IssueCode
    message: str
    file: str = ""
    sheet: str = ""
    row: int = 0
    column: str = ""
    value: str = ""

    def location(self) -> str:
        """Return ``file[sheet] 第N行 列`` for messages."""
        parts = [self.file + (f"[{self.sheet}]" if self.sheet else "")]
        if self.row:
            parts.append(f"第{self.row}行")
        if self.column:
            parts.append(f"“{self.column}”列")
        return " ".join(p for p in parts if p)


class ChainGraphError(Exception):
    """Base of every error chain-graph raises on purpose.

    Parameters
    ----------
    message
        A Chinese sentence a user can act on.
    code
        Stable code for programs and tests.
    """

    code: str = "CG000"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class ConfigError(ChainGraphError):
    """A setting or a command-line option is wrong."""

    code = "CG100"


class AddressInUseError(ConfigError):
    """The address the web service should listen on is taken (another program holds the port)."""

    code = "CG101"


class StoreError(ChainGraphError):
    """The store cannot be reached, opened or written."""

    code = "CG200"


class LedgerValidationError(ChainGraphError):
    """The ledgers have problems; ``issues`` lists every one of them."""

    code = "CG300"

    def __init__(self, issues: list[InputIssue]) -> None:
        super().__init__(f"台账校验未通过：共 {len(issues)} 个问题，未写入任何数据。")
        self.issues = issues


class CoordinationWorkbookError(LedgerValidationError):
    """A 跨区域协调清单 workbook (another city's, or one for the province) cannot be read.

    ``issues`` lists every problem found, each located by file, sheet, Excel row and column;
    the message names the first, so that a caller that shows only the message (the API)
    still says where to look.
    """

    code = "CG310"

    def __init__(self, issues: list[InputIssue]) -> None:
        first = issues[0]
        more = f"（共 {len(issues)} 个问题，此为第一个）" if len(issues) > 1 else ""
        ChainGraphError.__init__(
            self, f"跨区域协调清单未能读取：{first.location()}：{first.message}［{first.code.value}］{more}"
        )
        self.issues = issues


class ProblemLedgerError(ChainGraphError):
    """A ledger action that the status rules refuse (closing without a note, …)."""

    code = "CG400"


class StaleItemError(ProblemLedgerError):
    """Someone else changed the ledger item since it was read: reload and try again."""

    code = "CG409"


class BusyError(ChainGraphError):
    """Too many what-ifs at once: try again in a moment."""

    code = "CG503"


class TimeLimitError(ChainGraphError):
    """A computation outlived its time limit (a what-if too large): ask for less."""

    code = "CG504"


class ForbiddenError(ChainGraphError):
    """The caller may see the record but not act on it (a request addressed to another unit)."""

    code = "CG403"


class NotFoundError(ChainGraphError):
    """The ledger item, firm or project asked for does not exist (or is not visible)."""

    code = "CG404"
