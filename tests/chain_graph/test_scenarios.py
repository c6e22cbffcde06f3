"""What-if scenarios on the canonical data (see test_gaps.py for its hand-computed state:
value at risk 32000 = E1 18000 + E2 2000 + P1 12000)."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from chain_graph.analysis import weighted_availability
from chain_graph.errors import ConfigError
from chain_graph.graph import SupplyGraph, build_graph, from_networkx
from chain_graph.scenarios import Scenario, apply_scenario, load_scenario, run_scenario
from cli.main import app
from ingest.loader import read_directory
from tests.chain_graph.test_analysis_properties import supply_graphs
from tests.defaults import SETTINGS
from tests.fuzzing import examples


@pytest.fixture
def graph(canonical_dir: Path) -> SupplyGraph:
    return build_graph(read_directory(canonical_dir, settings=SETTINGS).ledgers)


@pytest.mark.parametrize(
    ("scenario", "value_at_risk", "added", "removed"),
    [
        # S2 stops: E1's steel falls to 0 → E1 and P1 at 0: 30000 + 20000 + 2000.
        (Scenario(stop=["S2"]), 52000.0, ["S2"], []),
        # 湖北 (42) stops: S2 is in 武汉 (420106): the same.
        (Scenario(stop_regions=["42"]), 52000.0, ["S2"], []),
        # S1 restored: E1 and P1 at 1; only E2's own 40 % gap remains.
        (Scenario(restore=["S1"]), 2000.0, [], ["S1"]),
        # S1 at 50 %: E1 = P1 = 1 − 0.6·0.5 = 0.7 → 9000 + 6000 + 2000; S1 still blocked.
        (Scenario(capacity={"S1": 50}), 17000.0, [], []),
    ],
)
def test_scenarios_against_hand_computed_values(
    graph: SupplyGraph, scenario: Scenario, value_at_risk: float, added: list[str], removed: list[str]
) -> None:
    result = run_scenario(graph, scenario, settings=SETTINGS).to_json()
    assert result["summary_before"]["value_at_risk"] == pytest.approx(32000.0)
    assert result["summary_after"]["value_at_risk"] == pytest.approx(value_at_risk)
    assert result["delta"]["value_at_risk"] == pytest.approx(value_at_risk - 32000.0)
    assert result["blocked_added"] == added
    assert result["blocked_removed"] == removed


def test_changes_list_biggest_value_first(graph: SupplyGraph) -> None:
    changes = run_scenario(graph, Scenario(stop=["S2"]), settings=SETTINGS).changes()
    assert [c["id"] for c in changes] == ["E1", "P1", "S2"]  # 12000, 8000, then S2 (no value)
    assert changes[0]["before"] == pytest.approx(0.4)
    assert changes[0]["after"] == 0.0


@pytest.mark.parametrize(
    "scenario",
    [Scenario(stop=["nobody"]), Scenario(restore=["P1"]), Scenario(capacity={"X": 10})],
)
def test_unknown_or_project_ids_are_refused(graph: SupplyGraph, scenario: Scenario) -> None:
    with pytest.raises(ConfigError):
        run_scenario(graph, scenario, settings=SETTINGS)


@pytest.mark.parametrize("bad", [{"stop_regions": ["4"]}, {"capacity": {"S1": 120}}, {"halt": ["S1"]}])
def test_bad_scenario_files_are_config_errors(tmp_path: Path, bad: dict[str, object]) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(ConfigError):
        load_scenario(path)


def test_cli_scenario_file_and_options(canonical_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "情景.yaml"
    path.write_text("name: 湖北停产\nstop_regions: ['42']\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["analyze", str(canonical_dir), "--scenario", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["scenario"]["name"] == "湖北停产"
    assert data["delta"]["value_at_risk"] == pytest.approx(20000.0)
    both = runner.invoke(
        app, ["analyze", str(canonical_dir), "--scenario", str(path), "--restore", "S1", "--json"]
    )
    # 湖北 stopped and S1 restored: E1's steel = 1 − 0.4 = 0.6 → 12000 + 8000 + 2000.
    assert json.loads(both.stdout)["summary_after"]["value_at_risk"] == pytest.approx(22000.0)
    table = runner.invoke(app, ["analyze", str(canonical_dir), "--stop", "S2"], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "情景推演" in table.output
    wrong = runner.invoke(app, ["analyze", str(canonical_dir), "--stop", "nobody"])
    assert wrong.exit_code == 2
    assert "nobody" in wrong.output


def test_a_substitute_move_gives_what_the_substitutes_table_says() -> None:
    from chain_graph.analysis import example_graph
    from chain_graph.graph import from_networkx

    G = example_graph()
    G.add_edge("V", "F", key="钢", w=1.0)  # V makes steel for someone else
    g = from_networkx(G)
    scenario = Scenario.model_validate(
        {"substitute": [{"buyer": "E", "material": " 钢 ", "from": "S", "to": "V"}]}
    )
    result = run_scenario(g, scenario, settings=SETTINGS).to_json()
    # E's 60 % of steel now comes from V (running): E and P back to 1, 900 万元 recovered
    assert result["delta"]["value_at_risk"] == pytest.approx(-900.0)
    assert result["scenario"]["substitute"] == [{"buyer": "E", "material": " 钢 ", "from": "S", "to": "V"}]
    table = run_scenario(g, Scenario(), settings=SETTINGS).before.substitutes
    row = table[(table["supplier_id"] == "S") & (table["candidate_id"] == "V")].iloc[0]
    assert float(row["gain"]) == pytest.approx(-result["delta"]["value_at_risk"])


@pytest.mark.parametrize(
    ("move", "message"),
    [
        ({"buyer": "E", "material": "铜", "from": "S", "to": "U"}, "并不向 E 供应“铜”"),
        ({"buyer": "E", "material": "钢", "from": "S", "to": "E"}, "就是需求方本身"),
        ({"buyer": "X", "material": "钢", "from": "S", "to": "U"}, "需求方“X”不存在"),
        ({"buyer": "E", "material": "钢", "from": "S", "to": "P"}, "企业编号“P”不存在"),
    ],
)
def test_a_substitute_move_that_cannot_be_made_is_refused(move: dict[str, str], message: str) -> None:
    from chain_graph.analysis import example_graph
    from chain_graph.graph import from_networkx

    g = from_networkx(example_graph())
    with pytest.raises(ConfigError, match=message):
        apply_scenario(g, Scenario.model_validate({"substitute": [move]}))


@st.composite
def _scenarios(draw: st.DrawFn) -> tuple[nx.MultiDiGraph, Scenario]:
    G = draw(supply_graphs())
    firms = sorted(n for n, a in G.nodes(data=True) if a.get("kind") != "project")
    pick = st.lists(st.sampled_from(firms), max_size=2, unique=True) if firms else st.just([])
    return G, Scenario(
        stop=draw(pick),
        restore=draw(pick),
        capacity={f: draw(st.sampled_from([0, 30, 89, 100])) for f in draw(pick)},
    )


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_scenarios())
def test_difference_equals_the_one_from_the_whole_analysis(case: tuple[nx.MultiDiGraph, Scenario]) -> None:
    # The difference takes what it needs of the changed graph alone; the oracle is the
    # whole analysis of that graph (what the difference was computed from before).
    G, scenario = case
    try:
        result = run_scenario(from_networkx(G), scenario, settings=SETTINGS)
    except ConfigError:
        return  # a firm both stopped and restored, and the like: refused either way
    answer = result.to_json()
    whole = result.after
    expected = whole.summary() | {"key_recovery": weighted_availability(whole.graph, whole.key_enterprises)}
    assert answer["summary_after"] == pytest.approx(expected)
    was, now = set(result.before.blocked["id"]), set(whole.blocked["id"])
    assert answer["blocked_added"] == sorted(now - was)
    assert answer["blocked_removed"] == sorted(was - now)
