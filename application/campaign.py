"""Campaign use cases (campaign spec): series, compliance, ranks and targets, as a caller may see them.

The figures are :mod:`chain_graph.campaign`'s, on the current ledgers and the recorded status
reports. A county sees the city's headline line, its own county's rows (series, compliance,
its rank among the counties), and its own chains; never another county's rows. Results are
kept per data version and per reports version (reports are append-only: their count and
last ``seq`` name a version).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from application.visibility import Visibility
from application.workspace import Snapshot
from chain_graph import campaign
from chain_graph.analysis import key_enterprises
from chain_graph.campaign import Target
from chain_graph.errors import ConfigError
from chain_graph.regions import region_name
from chain_graph.report import FIRST_YEAR, LAST_YEAR
from chain_graph.settings import Settings

__all__ = [
    "ROUNDS_SHOWN",
    "compliance",
    "due",
    "load_targets",
    "overview",
    "ranking",
    "rounds",
    "save_targets",
    "series",
    "targets",
]

ROUNDS_SHOWN = 12
"""Rounds a series shows by default: the last twelve weeks."""

Group = Literal["city", "county", "chain"]


def _version(reports: pd.DataFrame) -> tuple[int, int]:
    """Return the reports' version: append-only, so their count and last ``seq`` name it."""
    return len(reports), int(reports["seq"].max()) if len(reports) else 0


def rounds(settings: Settings, *, end: dt.date, count: int = ROUNDS_SHOWN) -> list[dt.date]:
    """Return the ends of the last ``count`` rounds up to ``end`` (the weekday of the settings).

    Examples
    --------
    >>> from chain_graph.settings import Settings
    >>> [str(d) for d in rounds(Settings(), end=dt.date(2026, 12, 1), count=2)]
    ['2026-11-20', '2026-11-27']
    >>> rounds(Settings(), end=dt.date(1, 1, 1))
    Traceback (most recent call last):
    ...
    chain_graph.errors.ConfigError: 截至日期 0001-01-01 应在 2000 年到 2100 年之间
    """
    if not FIRST_YEAR <= end.year <= LAST_YEAR:
        raise ConfigError(f"截至日期 {end} 应在 {FIRST_YEAR} 年到 {LAST_YEAR} 年之间")
    return campaign.round_ends(end - dt.timedelta(days=7 * count - 1), end, weekday=settings.report_weekday)


def series(
    snap: Snapshot, vis: Visibility, reports: pd.DataFrame, *, ends: list[dt.date], group: Group
) -> pd.DataFrame:
    """Return the series per round and group that ``vis`` may see.

    A county: the ``city`` line is the whole city's (the headline figures everyone sees);
    ``county`` gives its own county's rows only; ``chain`` its own enterprises' chains.
    Groups are named: a county's rows carry ``name`` (its Chinese name).
    """

    def build() -> pd.DataFrame:
        settings = snap.settings
        if vis.is_county and group == "chain":  # its own enterprises' chains: figures of its own
            own = vis.own_mask(snap.graph)
            table = _series(snap, reports, ends=ends, groups=("chain",), mask=own)["chain"]
        else:  # the whole city's figures, the same for everyone: computed once for every group
            table = snap.memo(
                ("campaign-series-all", tuple(ends), _version(reports)),
                lambda: _series(snap, reports, ends=ends, groups=GROUPS),
            )[group]
        if group == "county":
            table = table[table["group"].str.startswith(settings.home_adcode[:4])]
            if vis.is_county:
                table = table[table["group"] == vis.county]
            table = table.assign(name=[region_name(c) or c for c in table["group"]])
        return table.reset_index(drop=True)

    return snap.memo(("campaign-series", vis.key, group, tuple(ends), _version(reports)), build)


GROUPS: tuple[Group, ...] = ("city", "county", "chain")
"""The groups a series is given for."""


def _series(
    snap: Snapshot,
    reports: pd.DataFrame,
    *,
    ends: list[dt.date],
    groups: tuple[Group, ...],
    mask: np.ndarray | None = None,
) -> dict[str, pd.DataFrame]:
    settings = snap.settings
    return campaign.series_by_groups(
        snap.graph,
        snap.base_ledgers,  # each round overlays the reports up to it on the base
        reports,
        ends=ends,
        groups=groups,
        output_threshold=settings.key_output_threshold,
        tax_threshold=settings.key_tax_threshold,
        threshold=settings.blocked_threshold,
        mask=mask,
    )


def due(snap: Snapshot) -> pd.DataFrame:
    """Return who must report each round: the key scale enterprises and the key projects, with county."""
    graph = snap.graph
    settings = snap.settings
    key = key_enterprises(
        graph, output_threshold=settings.key_output_threshold, tax_threshold=settings.key_tax_threshold
    )
    chosen = key | graph.is_project
    return pd.DataFrame({"id": graph.ids[chosen].astype(str), "county": graph.adcodes[chosen].astype(str)})


def compliance(snap: Snapshot, vis: Visibility, reports: pd.DataFrame, *, end: dt.date) -> pd.DataFrame:
    """Return who has reported in the round ending ``end``, per county (a county: its own row).

    Columns of :func:`chain_graph.campaign.compliance`, plus ``name``, ``rank`` (counties
    ranked by compliance, highest first, then by adcode; a county's rank is among all
    counties) and ``missing_names``, the names of the ids in ``missing``.
    """

    def build() -> pd.DataFrame:
        table = campaign.compliance(reports, end=end, due=due(snap))
        table = table[table["county"].str.startswith(snap.settings.home_adcode[:4])]
        order = table.sort_values(["compliance", "county"], ascending=[False, True], kind="stable").index
        table = table.assign(rank=pd.Series(range(1, len(order) + 1), index=order))
        if vis.is_county:
            table = table[table["county"] == vis.county]
        names = pd.Series([[snap.name_of.get(i, i) for i in ids] for ids in table["missing"]], dtype=object)
        return table.reset_index(drop=True).assign(
            name=[region_name(c) or c for c in table["county"]], missing_names=names
        )

    return snap.memo(("campaign-compliance", vis.key, end, _version(reports)), build)


def ranking(
    snap: Snapshot, vis: Visibility, reports: pd.DataFrame, *, ends: list[dt.date]
) -> tuple[pd.DataFrame, int]:
    """Return the counties' ranks per round with their change, and how many are ranked last round.

    A county gets its own rows only (its rank, of how many).
    """
    table = campaign.county_ranking(series(snap, Visibility.whole_city(), reports, ends=ends, group="county"))
    counties = int((table["round"] == ends[-1]).sum()) if ends else 0
    if vis.is_county:
        table = table[table["group"] == vis.county]
    return table.reset_index(drop=True), counties


class _TargetEntry(BaseModel):
    """One line of targets.yaml."""

    model_config = ConfigDict(extra="forbid")

    metric: Literal["recovery", "availability", "at_target", "started", "completed", "progress"]
    value: float = Field(ge=0)
    by: dt.date
    scope: str = "city"


def load_targets(path: Path) -> list[Target]:
    r"""Read a targets file (a YAML list of ``{metric, value, by, scope}``); a mistake is located.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "targets.yaml"
    >>> _ = p.write_text("- {metric: recovery, value: 0.9, by: 2026-04-30}\n", encoding="utf-8")
    >>> load_targets(p)
    [Target(metric='recovery', value=0.9, by=datetime.date(2026, 4, 30), scope='city')]
    >>> _ = p.write_text("- {metric: speed, value: 1, by: 2026-04-30}\n", encoding="utf-8")
    >>> try:
    ...     load_targets(p)
    ... except ConfigError as error:
    ...     print(error.message.split("、")[0])
    目标文件 targets.yaml 第 1 项 metric：应为 recovery
    """
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"读不了目标文件 {path.name}：{error}") from None
    if not isinstance(entries, list):
        raise ConfigError(f"目标文件 {path.name} 应为一个列表，每项含 metric、value、by、scope")
    found = []
    for k, entry in enumerate(entries, start=1):
        try:
            item = _TargetEntry.model_validate(entry)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "内容"
            message = (
                f"应为 {'、'.join(campaign.METRICS)} 之一" if where == "metric" else first.get("msg", "有误")
            )
            raise ConfigError(f"目标文件 {path.name} 第 {k} 项 {where}：{message}") from None
        found.append(Target(item.metric, item.value, item.by, item.scope))
    return found


def save_targets(path: Path, entries: list[dict[str, str]]) -> list[Target]:
    """Validate targets typed in the console and write them as the targets file, atomically.

    ``entries`` are rows of text (``metric``, ``value``, ``by``, ``scope``; a row left all
    blank is dropped). A mistake is refused, located by row, and nothing is written.
    """
    found: list[Target] = []
    for k, entry in enumerate(entries, start=1):
        if not any(str(v).strip() for v in entry.values()):
            continue
        fields = {key: str(value).strip() for key, value in entry.items() if str(value).strip()}
        try:
            item = _TargetEntry.model_validate(fields)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "内容"
            label = {"metric": "指标", "value": "目标值", "by": "期限", "scope": "范围"}.get(where, where)
            raise ConfigError(f"第 {k} 行“{label}”有误：{first.get('msg', '')}") from None
        found.append(Target(item.metric, item.value, item.by, item.scope))
    rows = [{"metric": t.metric, "value": t.value, "by": t.by, "scope": t.scope} for t in found]
    text = "# 复工复产目标（在控制台设置）\n" + yaml.safe_dump(rows, allow_unicode=True, sort_keys=False)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)  # whole or not at all
    return found


def targets(
    snap: Snapshot, vis: Visibility, reports: pd.DataFrame, *, ends: list[dt.date]
) -> list[dict[str, Any]]:
    """Return each target ``vis`` may see with its actual and state at each round.

    A target's scope is the city, a county (only that county and the city see it) or a chain.
    """
    path = snap.settings.targets_file
    if not path or not ends:
        return []
    found = []
    for target in load_targets(Path(path)):
        if vis.is_county and target.scope not in ("city", vis.county):
            continue
        group: Group = "city" if target.scope == "city" else "county" if target.scope.isdigit() else "chain"
        table = series(snap, Visibility.whole_city(), reports, ends=ends, group=group)
        rows = table[table["group"] == target.scope] if group != "city" else table
        actual = pd.Series(rows[target.metric].to_numpy(dtype=float), index=list(rows["round"]))
        states = campaign.target_states(target, actual.dropna())
        found.append(
            {
                "metric": target.metric,
                "value": target.value,
                "by": target.by,
                "scope": target.scope,
                "rounds": [
                    {"round": day, "actual": float(actual[day]), "state": states.get(day)}
                    for day in actual.index
                    if not np.isnan(actual[day])
                ],
            }
        )
    return found


def overview(snap: Snapshot, vis: Visibility, reports: pd.DataFrame, *, today: dt.date) -> dict[str, Any]:
    """Return what the console's campaign panel shows at ``today``.

    The recovery line of the last rounds and of today, in the round still open (the
    city's; a county's own too), the target, counties ranked at the last point with their
    change (a county: its own rank of how many), who has not reported in the last closed
    round, and what changed since the point before.
    """
    closed = rounds(snap.settings, end=today)
    if not closed:
        return {"rounds": []}
    ends = closed if closed[-1] == today else [*closed, today]  # the open round so far: today's point
    city = series(snap, vis, reports, ends=ends, group="city")
    counties = series(snap, Visibility.whole_city(), reports, ends=ends, group="county")
    ranked = campaign.county_ranking(counties)
    last = ranked[ranked["round"] == ends[-1]]
    own = series(snap, vis, reports, ends=ends, group="county") if vis.is_county else None
    if vis.is_county:
        mine = last[last["group"] == vis.county]
        ranks = {"own": _records(mine), "of": len(last)}
    else:
        ranks = {"all": _records(last)}
    now, before = city.iloc[-1], city.iloc[-2] if len(city) > 1 else city.iloc[-1]
    return {
        "rounds": ends,
        "city": _records(city),
        "own": None if own is None else _records(own),
        "target": snap.settings.capacity_target,
        "ranks": ranks,
        "closed": closed[-1],
        "compliance": _records(compliance(snap, vis, reports, end=closed[-1]).drop(columns=["missing"])),
        "change": {
            column: float(now[column] - before[column])
            for column in ("recovery", "availability", "at_target", "blocked", "value_at_risk")
        },
    }


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in table.replace({np.nan: None}).to_dict("records")]
