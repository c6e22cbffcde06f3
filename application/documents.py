"""Document use cases: the lists, the ledger and the weekly report, as the caller may see them.

The rows come from :mod:`application.queries` and :mod:`application.problems` (so a county's
download holds what its pages show); :mod:`exports` gives them their official form, and
:func:`write_document` writes it as xlsx, CSV or HTML, atomically.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from pathlib import Path
from typing import Literal

from application import campaign, queries, supply
from application.problems import visible_events, visible_items
from application.visibility import Visibility
from application.workspace import LedgerSnapshot, Snapshot, Workspace
from chain_graph.errors import ConfigError
from chain_graph.problem_ledger import ProblemLedger
from chain_graph.regions import region_name
from chain_graph.report import WeeklyReport, report_period, weekly_report
from exports.lists import coordination_sheets, ledger_sheets, local_sheets
from exports.report import write_html, write_report_docx, write_report_xlsx
from exports.supply import gap_sheets
from exports.workbook import Sheet, write_csv, write_xlsx
from viz.raster import svg_png

__all__ = [
    "SheetFormat",
    "coordination_document",
    "download",
    "gap_document",
    "ledger_document",
    "local_document",
    "regions_figure",
    "regions_picture",
    "report_file",
    "weekly",
    "write_report",
    "write_sheets",
]

SheetFormat = Literal["xlsx", "csv"]


def coordination_document(
    snap: Snapshot, vis: Visibility, *, as_of: dt.date, by_region: bool = False
) -> tuple[str, list[Sheet]]:
    """跨区域协调清单 (file stem, sheets); ``by_region`` adds a sheet per target province/city.

    The last sheet, 替代供应商, gives each row's link its ranked substitute suppliers.

    The two workbooks have different stems (``跨区域协调清单按地区分表…`` with the regions'
    sheets), so that both can be downloaded into one folder.
    """
    rows = queries.coordination(snap, vis)
    stem = f"跨区域协调清单{'按地区分表' if by_region else ''}{as_of:%Y%m%d}"
    substitutes = supply.substitute_rows(snap, vis, rows)
    return stem, coordination_sheets(rows, as_of=as_of, by_region=by_region, substitutes=substitutes)


def local_document(snap: Snapshot, vis: Visibility, *, as_of: dt.date) -> tuple[str, list[Sheet]]:
    """本地配套企业督促复产清单 (file stem, one sheet per county)."""
    return f"本地配套企业督促复产清单{as_of:%Y%m%d}", local_sheets(queries.local(snap, vis), as_of=as_of)


def gap_document(snap: Snapshot, *, as_of: dt.date) -> tuple[str, list[Sheet]]:
    """补链清单 (file stem, one sheet): the city's investment-attraction plan, the same for every reader."""
    sheets = gap_sheets(supply.gap_list(snap), as_of=as_of, threshold=snap.settings.local_gap_threshold)
    return f"产业链补链清单{as_of:%Y%m%d}", sheets


def ledger_document(
    ledger: LedgerSnapshot, snap: Snapshot, vis: Visibility, *, today: dt.date
) -> tuple[str, list[Sheet]]:
    """问题台账 (file stem, the items and their 办理记录), from one read of the ledger."""
    shown = visible_items(ledger.items, snap, vis)
    sheets = ledger_sheets(shown, visible_events(ledger.events, shown), snap.ledgers, today=today)
    return f"问题台账{today:%Y%m%d}", sheets


def download(
    ws: Workspace,
    snap: Snapshot,
    vis: Visibility,
    kind: Literal["coordination", "local", "ledger", "gaps"],
    *,
    fmt: SheetFormat,
    today: dt.date,
    by_region: bool = False,
) -> tuple[str, bytes]:
    """Return a list as a file (its name and bytes), written once per data and ledger version.

    ``kind``: 跨区域协调清单, 本地配套企业督促复产清单, 问题台账 or 补链清单, as ``vis`` sees it.
    """
    # The ledger's workbook: one read, so the workbook and its cache key are of one version.
    ledger = ws.ledger() if kind == "ledger" else None

    def build() -> tuple[str, bytes]:
        if kind == "coordination":
            name, sheets = coordination_document(
                snap, vis, as_of=today, by_region=by_region and fmt == "xlsx"
            )
        elif kind == "local":
            name, sheets = local_document(snap, vis, as_of=today)
        elif kind == "gaps":
            name, sheets = gap_document(snap, as_of=today)
        else:
            assert ledger is not None
            name, sheets = ledger_document(ledger, snap, vis, today=today)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"document.{fmt}"
            write_sheets(path, sheets, fmt=fmt)
            return f"{name}.{fmt}", path.read_bytes()

    return snap.memo(
        ("download", kind, vis.key, fmt, today, by_region), build, ledger=ledger.version if ledger else None
    )


def write_sheets(path: Path, sheets: list[Sheet], *, fmt: SheetFormat) -> None:
    """Write ``sheets`` as one workbook, or as CSV (one table: the first sheet)."""
    if fmt == "xlsx":
        write_xlsx(path, sheets)
    elif fmt == "csv":
        write_csv(path, sheets[:1])
    else:
        raise ConfigError(f"导出格式只能是 xlsx 或 csv，当前为 {fmt!r}")


def weekly(
    ws: Workspace,
    snap: Snapshot,
    vis: Visibility,
    *,
    start: dt.date | None,
    end: dt.date | None,
    today: dt.date,
    target: float | None = None,
) -> WeeklyReport:
    """Return the weekly report of a period (default: the seven days up to today).

    ``target`` defaults to the ``capacity_target`` setting. The ledger part counts the
    items ``vis`` sees.
    """
    return _weekly(ws, snap, vis, ws.ledger(), start=start, end=end, today=today, target=target)


def _with_campaign(ws: Workspace, snap: Snapshot, vis: Visibility, report: WeeklyReport) -> WeeklyReport:
    """Add the campaign to a weekly report: the rounds up to its end, the targets, who has not reported.

    A county's report carries its own county's line and rows (the city's line otherwise).
    """
    reports = ws.reports()
    ends = campaign.rounds(ws.settings, end=report.end)
    if not ends:
        return report
    group: campaign.Group = "county" if vis.is_county else "city"
    trend = campaign.series(snap, vis, reports, ends=ends, group=group)
    compliance = campaign.compliance(snap, vis, reports, end=ends[-1])
    targets = tuple(
        {"metric": t["metric"], "value": t["value"], "by": t["by"], "scope": t["scope"], **t["rounds"][-1]}
        for t in campaign.targets(snap, vis, reports, ends=ends)
        if t["rounds"]
    )
    return dataclasses.replace(
        report,
        trend=trend[["round", "recovery", "availability", "at_target"]].reset_index(drop=True),
        targets=targets,
        unreported=compliance[compliance["compliance"] < 1].reset_index(drop=True),
    )


def _weekly(
    ws: Workspace,
    snap: Snapshot,
    vis: Visibility,
    ledger: LedgerSnapshot,
    *,
    start: dt.date | None,
    end: dt.date | None,
    today: dt.date,
    target: float | None,
) -> WeeklyReport:
    if target is not None and not 0 < target <= 1:
        raise ConfigError(f"产能恢复目标应在 0 到 1 之间，当前为 {target}")
    first, last = report_period(start, end, today=today)
    goal = ws.settings.capacity_target if target is None else target

    def build() -> WeeklyReport:
        shown = visible_items(ledger.items, snap, vis)
        report = weekly_report(
            snap.analysis,
            shown,
            visible_events(ledger.events, shown),
            start=first,
            end=last,
            target=goal,
            mask=vis.own_mask(snap.analysis.graph) if vis.is_county else None,
            shown=vis.map_mask(snap.analysis.graph) if vis.is_county else None,
            area=region_name(vis.county) if vis.is_county else "全市",
        )
        return _with_campaign(ws, snap, vis, report)

    return snap.memo(("weekly", vis.key, first, last, goal), build, ledger=ledger.version)


def report_file(
    ws: Workspace,
    snap: Snapshot,
    vis: Visibility,
    *,
    start: dt.date | None,
    end: dt.date | None,
    today: dt.date,
    target: float | None = None,
    fmt: Literal["xlsx", "html", "docx"],
) -> tuple[str, bytes]:
    """Return the weekly report as an ``.xlsx`` or printable ``.html`` file (name, bytes).

    Written once per report: per period, target, visibility and ledger version.
    """
    ledger = ws.ledger()  # one read: the report and its file's key are of the same version
    report = _weekly(ws, snap, vis, ledger, start=start, end=end, today=today, target=target)
    version = ledger.version

    def build() -> tuple[str, bytes]:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"report.{fmt}"
            png = regions_picture(snap, vis) if fmt != "html" else None
            write_report(ws, report, path, regions_svg=regions_figure(snap, vis), regions_png=png)
            area = "" if report.area == "全市" else report.area
            name = f"{area}周报告{report.start:%Y%m%d}-{report.end:%Y%m%d}.{fmt}"
            return name, path.read_bytes()

    key = ("weekly-file", vis.key, report.start, report.end, report.target, fmt)
    return snap.memo(key, build, ledger=version)


def regions_figure(snap: Snapshot, vis: Visibility) -> str:
    """Return the regional distribution map ``vis`` may see, all three panels, as one SVG.

    Drawn once per data version and visibility (every report and notice shows it).
    """
    from application.regions import regions_map
    from viz.regions import regions_svg

    def draw() -> str:
        drawn = regions_map(snap, vis, view="all", links=False)
        return regions_svg(drawn.panels, title=drawn.title)

    return snap.memo(("regions-figure", vis.key), draw)


def regions_picture(snap: Snapshot, vis: Visibility) -> bytes:
    """Return :func:`regions_figure` as a PNG for the Word and xlsx documents, once per data version."""
    return snap.memo(
        ("regions-picture", vis.key), lambda: svg_png(regions_figure(snap, vis), width=REGIONS_PNG_WIDTH)
    )


def write_report(
    ws: Workspace,
    report: WeeklyReport,
    path: Path,
    *,
    regions_svg: str = "",
    regions_png: bytes | None = None,
) -> None:
    """Write the weekly report as ``.xlsx``, printable ``.html`` or Word ``.docx`` (by the suffix).

    The Word report is signed by the city's bureau of industry, or the county's. The
    regional map is ``regions_svg`` in HTML, ``regions_png`` elsewhere (by default
    ``regions_svg`` rasterised).
    """
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".html", ".docx"):
        raise ConfigError(f"周报告输出文件应以 .xlsx、.html 或 .docx 结尾，当前为 {path.name}")
    with ws.store() as store:
        generated = ProblemLedger(store).now()
    png = regions_png
    if png is None and regions_svg and suffix != ".html":
        png = svg_png(regions_svg, width=REGIONS_PNG_WIDTH)
    if suffix == ".xlsx":
        write_report_xlsx(path, report, exported=generated.date(), regions_png=png)
    elif suffix == ".docx":
        area = (region_name(ws.settings.home_adcode) or "市") if report.area == "全市" else report.area
        write_report_docx(
            path, report, issuer=f"{area}工业和信息化局", issued=generated.date(), regions_png=png
        )
    else:
        write_html(path, report, generated=generated, regions_svg=regions_svg)


REGIONS_PNG_WIDTH = 2000
"""Pixels across the regional map's image: sharp when printed 25 cm wide (about 200 dpi)."""
