"""What-if scenarios (情景推演): the analysis after hypothetical changes, as a difference.

A :class:`Scenario` stops or restores given firms, sets capacities, stops every firm in a
region (an adcode prefix: ``42`` is 湖北省, ``4301`` 长沙市), or moves links to substitute
suppliers (the supply spec's ``substitute``: a buyer's material from one supplier to
another, share and flags kept). :func:`run_scenario`
changes the graph and :class:`ScenarioResult` reports what changed against the current
state.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from chain_graph.analysis import blocked, key_enterprises, losses, weighted_availability
from chain_graph.errors import ConfigError
from chain_graph.gaps import GapAnalysis, analyze, headline
from chain_graph.graph import SupplyGraph
from chain_graph.materials import Catalogue, identities
from chain_graph.settings import Settings

__all__ = [
    "MOST_FIRMS",
    "Scenario",
    "ScenarioResult",
    "Substitution",
    "apply_scenario",
    "load_scenario",
    "run_scenario",
]


MOST_FIRMS = 1000
"""Most firms one scenario may name in each of stop, restore and capacity."""
FirmId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class Substitution(BaseModel):
    """One moved link: ``buyer``'s ``material`` from supplier ``from`` to supplier ``to``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    buyer: FirmId
    material: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    from_: FirmId = Field(alias="from")
    to: FirmId

    def label(self) -> str:
        """Return the move as officials read it."""
        return f"{self.buyer} 的“{self.material}”由 {self.from_} 改由 {self.to} 供应"


class Scenario(BaseModel):
    """Hypothetical changes to own capacities.

    Examples
    --------
    >>> Scenario(stop=["GY001"], capacity={"GY002": 50}, stop_regions=["42"]).stop_regions
    ['42']
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="情景", max_length=100)
    stop: list[FirmId] = Field(
        default_factory=list, max_length=MOST_FIRMS, description="firms set to capacity 0"
    )
    restore: list[FirmId] = Field(
        default_factory=list, max_length=MOST_FIRMS, description="firms set to capacity 100 %"
    )
    capacity: dict[FirmId, float] = Field(
        default_factory=dict, max_length=MOST_FIRMS, description="firm id → capacity in percent (0–100)"
    )
    stop_regions: list[str] = Field(
        default_factory=list, max_length=50, description="adcode prefixes whose firms all stop"
    )
    substitute: list[Substitution] = Field(
        default_factory=list,
        max_length=MOST_FIRMS,
        description="links moved to substitute suppliers: {buyer, material, from, to}",
    )

    @field_validator("capacity")
    @classmethod
    def _percent(cls, value: dict[str, float]) -> dict[str, float]:
        for firm, percent in value.items():
            if not 0 <= percent <= 100:
                msg = f"{firm} 的产能应在 0 到 100 之间，当前为 {percent}"
                raise ValueError(msg)
        return value

    @field_validator("stop_regions")
    @classmethod
    def _prefixes(cls, value: list[str]) -> list[str]:
        for prefix in value:
            if not prefix.isdigit() or not 2 <= len(prefix) <= 6:
                msg = f"地区应为 2 到 6 位行政区划代码前缀（如 42、4301），当前为 {prefix!r}"
                raise ValueError(msg)
        return value


def load_scenario(path: Path) -> Scenario:
    """Read a scenario from a YAML or JSON file.

    Raises
    ------
    ConfigError
        When the file is missing, unreadable, or not a valid scenario.
    """
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
        return Scenario.model_validate(data or {})
    except OSError as error:
        raise ConfigError(f"无法读取情景文件 {path}：{error.strerror}") from error
    except (ValueError, yaml.YAMLError) as error:
        detail = error.errors()[0]["msg"] if isinstance(error, ValidationError) else str(error)
        raise ConfigError(f"情景文件 {path} 有误：{detail}") from error


def apply_scenario(graph: SupplyGraph, scenario: Scenario) -> SupplyGraph:
    """Return the graph with the scenario's capacities and moved links.

    Raises
    ------
    ConfigError
        For an id that is not a firm of the graph, or a moved link that does not exist.
    """
    capacity = graph.capacity.copy()
    index = graph.index

    def position(firm: str) -> int:
        found = index.get(firm)
        if found is None or graph.is_project[found]:
            msg = f"情景中的企业编号“{firm}”不存在（只能调整企业和供应商，不能调整项目）"
            raise ConfigError(msg)
        return found

    for prefix in scenario.stop_regions:
        region = np.array([str(code).startswith(prefix) for code in graph.adcodes], dtype=bool)
        capacity[region & ~graph.is_project] = 0.0
    for firm in scenario.stop:
        capacity[position(firm)] = 0.0
    for firm in scenario.restore:
        capacity[position(firm)] = 1.0
    for firm, percent in scenario.capacity.items():
        capacity[position(firm)] = percent / 100.0
    changed = graph.with_capacity(capacity)
    if not scenario.substitute:
        return changed
    links, sources = _moved_links(graph, scenario.substitute, position=position)
    return changed.with_sources(links, sources)


def _moved_links(
    graph: SupplyGraph, moves: list[Substitution], *, position: Callable[[str], int]
) -> tuple[np.ndarray, np.ndarray]:
    """Return the links the moves name (by material identity) and their new suppliers."""
    catalogue = Catalogue(graph.catalogue)
    links: list[int] = []
    sources: list[int] = []
    for move in moves:
        supplier, target = position(move.from_), position(move.to)
        buyer = graph.index.get(move.buyer)
        if buyer is None:
            raise ConfigError(f"替代推演中的需求方“{move.buyer}”不存在")
        key = identities([move.material], catalogue=catalogue)[0]
        found = np.flatnonzero((graph.src == supplier) & (graph.dst == buyer) & (graph.material_key == key))
        if found.size == 0:
            msg = f"替代推演：{move.from_} 并不向 {move.buyer} 供应“{move.material}”，无法替代"
            raise ConfigError(msg)
        if target == buyer:
            raise ConfigError(f"替代推演：{move.to} 就是需求方本身，不能作为替代供应商")
        links.append(int(found[0]))
        sources.append(target)
    if len(set(links)) < len(links):
        raise ConfigError("替代推演中同一供应关系被替代了两次")
    return np.array(links, dtype=np.int64), np.array(sources, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class ScenarioResult:
    """The analysis before a scenario and the graph after it.

    What the difference reports (:meth:`to_json`) needs of the changed graph is its
    availability, its blocked suppliers and its values at risk: a few propagations, not a
    whole analysis (a what-if answers in milliseconds on a province). The whole analysis
    after the scenario is :attr:`after`, computed on first use.
    """

    scenario: Scenario
    before: GapAnalysis
    graph: SupplyGraph
    """The graph after the scenario."""
    settings: Settings

    @functools.cached_property
    def after(self) -> GapAnalysis:
        """The whole analysis after the scenario (computed on first use)."""
        return analyze(self.graph, settings=self.settings)

    def _summary_after(self) -> tuple[dict[str, Any], set[str]]:
        """Headline figures after the scenario and its blocked suppliers' ids."""
        g, settings = self.graph, self.settings
        now = blocked(g, threshold=settings.blocked_threshold)
        summary = headline(g, blocked_count=len(now), at_risk=losses(g))
        keys = key_enterprises(
            g, output_threshold=settings.key_output_threshold, tax_threshold=settings.key_tax_threshold
        )
        summary["key_recovery"] = weighted_availability(g, keys)
        return summary, set(g.ids[now].astype(str).tolist())

    def changes(self, *, limit: int | None = 50) -> list[dict[str, Any]]:
        """Firms and projects whose availability changed, largest value change first."""
        g = self.before.graph
        a0, a1 = g.base_availability, self.graph.base_availability
        delta = a1 - a0
        moved = np.flatnonzero(np.abs(delta) > 1e-9)
        value = -delta[moved] * g.weight[moved]  # 万元 more at risk
        order = moved[np.lexsort((g.ids[moved].astype(str), -np.abs(delta[moved]), -np.abs(value)))]
        value_of = dict(zip(moved.tolist(), value.tolist(), strict=True))
        return [
            {
                "id": str(g.ids[x]),
                "name": str(g.names[x]),
                "before": float(a0[x]),
                "after": float(a1[x]),
                "value_at_risk_change": value_of[int(x)],
            }
            for x in order[:limit]
        ]

    def to_json(self) -> dict[str, Any]:
        """Return the difference from the current state, as a JSON object."""
        before = self.before.summary()
        before["key_recovery"] = weighted_availability(self.before.graph, self.before.key_enterprises)
        after, now = self._summary_after()
        was = set(self.before.blocked["id"])
        return {
            "scenario": self.scenario.model_dump(by_alias=True),
            "summary_before": before,
            "summary_after": after,
            "delta": {
                key: after[key] - before[key]
                for key in (
                    "blocked",
                    "output_at_risk",
                    "investment_at_risk",
                    "value_at_risk",
                    "key_recovery",
                )
            },
            "blocked_added": sorted(now - was),
            "blocked_removed": sorted(was - now),
            "availability_changes": self.changes(),
        }


def run_scenario(
    graph: SupplyGraph,
    scenario: Scenario,
    *,
    settings: Settings,
    before: GapAnalysis | None = None,
) -> ScenarioResult:
    """Analyse the graph as it is and after the scenario.

    Examples
    --------
    >>> from chain_graph.analysis import example_graph
    >>> from chain_graph.graph import from_networkx
    >>> from chain_graph.settings import Settings
    >>> result = run_scenario(from_networkx(example_graph()), Scenario(restore=["S"]), settings=Settings())
    >>> result.to_json()["delta"]["value_at_risk"]
    -900.0
    """
    before = before or analyze(graph, settings=settings)
    return ScenarioResult(scenario, before, apply_scenario(graph, scenario), settings)
