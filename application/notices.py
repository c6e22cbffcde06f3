"""The monthly dispatch (月调度) and quarterly inspection (季督查) notices of the whole city.

The scorecard (:mod:`chain_graph.scorecard`) of the current ledgers, the status reports and
the problem ledger, written by :mod:`exports.notice` as ``.xlsx``, ``.html`` or ``.docx``.
The status reports are read in one place (:func:`status_reports`).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pandas as pd

from application.documents import REGIONS_PNG_WIDTH, regions_figure, regions_picture
from application.visibility import Visibility
from application.workspace import Snapshot, Workspace
from chain_graph.errors import ConfigError
from chain_graph.problem_ledger import ProblemLedger
from chain_graph.regions import region_name
from chain_graph.scorecard import Period, Scorecard, scorecard
from chain_graph.settings import Settings
from exports.notice import write_notice
from viz.raster import svg_png

__all__ = [
    "NOTICE_SUFFIXES",
    "default_issuer",
    "notice",
    "notice_file",
    "status_reports",
    "write_notice_file",
]

NOTICE_SUFFIXES = (".xlsx", ".html", ".docx")
"""The campaign spec's default round weekday, used only while the setting is not there."""


def status_reports(ws: Workspace) -> pd.DataFrame:
    """Return every status report (:data:`~chain_graph.campaign.REPORT_COLUMNS`).

    The store's ``reports()`` when it has one; a store without it has none (an empty table).
    """
    return ws.reports()


def default_issuer(settings: Settings) -> str:
    """Return the notice's issuing unit (落款): the home city's bureau of industry.

    Examples
    --------
    >>> default_issuer(Settings(home_adcode="431200"))
    '怀化市工业和信息化局'
    """
    return f"{region_name(settings.home_adcode) or '市'}工业和信息化局"


def notice(ws: Workspace, snap: Snapshot, *, period: Period, today: dt.date) -> Scorecard:
    """Return the city's scorecard of ``period``, counted up to ``today`` while it runs."""
    ledger = ws.ledger()
    return scorecard(
        snap.graph,
        snap.base_ledgers,
        status_reports(ws),
        ledger.items,
        ledger.events,
        period=period,
        settings=ws.settings,
        weekday=ws.settings.report_weekday,
        until=today,
    )


def write_notice_file(
    ws: Workspace,
    card: Scorecard,
    path: Path,
    *,
    issuer: str,
    regions_svg: str = "",
    regions_png: bytes | None = None,
) -> None:
    """Write the notice as ``.xlsx``, ``.html`` or ``.docx`` (by suffix), dated today.

    ``regions_svg`` (:func:`application.documents.regions_figure`) adds the regional map;
    ``regions_png`` is the same as a picture (by default ``regions_svg`` rasterised).
    """
    suffix = path.suffix.lower()
    if suffix not in NOTICE_SUFFIXES:
        raise ConfigError(f"通报输出文件应以 .xlsx、.html 或 .docx 结尾，当前为 {path.name}")
    with ws.store() as store:
        issued = ProblemLedger(store).now().date()
    png = regions_png
    if png is None and regions_svg and suffix != ".html":
        png = svg_png(regions_svg, width=REGIONS_PNG_WIDTH)
    write_notice(path, card, issuer=issuer, issued=issued, regions_svg=regions_svg, regions_png=png)


def notice_file(
    ws: Workspace, snap: Snapshot, *, period: Period, fmt: str, today: dt.date
) -> tuple[str, bytes]:
    """Return the city's notice of ``period`` as a file (name, bytes): ``xlsx``, ``html`` or ``docx``.

    Written once per period, format and data, ledger and reports version.
    """
    if f".{fmt}" not in NOTICE_SUFFIXES:
        raise ConfigError(f"通报格式应为 xlsx、html 或 docx，当前为 {fmt!r}")
    ledger = ws.ledger()
    kind = "月调度" if period.kind == "month" else "季督查"

    reported = len(ws.reports())

    def build() -> tuple[str, bytes]:
        # The scorecard once for every format of the notice.
        card = snap.memo(
            ("notice", period, today, reported),
            lambda: notice(ws, snap, period=period, today=today),
            ledger=ledger.version,
        )
        city = Visibility.whole_city()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"notice.{fmt}"
            write_notice_file(
                ws,
                card,
                path,
                issuer=default_issuer(ws.settings),
                regions_svg=regions_figure(snap, city),
                regions_png=regions_picture(snap, city) if fmt != "html" else None,
            )
            return f"{period.label}{kind}通报.{fmt}", path.read_bytes()

    key = ("notice-file", period, fmt, today, reported)
    return snap.memo(key, build, ledger=ledger.version)
