"""The ``analyze --json`` contract, field by field, on a hand-checked data set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chain_graph.gaps import analyze
from chain_graph.settings import Settings
from cli.main import app
from ingest.loader import read_directory
from tests.defaults import SETTINGS
from tests.ledger_files import CANONICAL, write_canonical

# Canonical data (tests/ledger_files.py):
#   S1 长沙 (stopped, recovery 20 d) -钢材 60 %, stock 10 d-> E1 (output 30000)
#   S2 武汉 (normal)                 -钢材 40 %-> E1;  -芯片 100 %, not critical-> E2
#   E1 鹤城区 (normal)               -机电设备 100 %, stock 30 d-> P1 (plan 20000)
#   E2 芷江 (partial 60 %, output 5000)
# a(S1) = 0, a(E1) = 1 − 0.6 = 0.4, a(P1) = 0.4, a(E2) = 0.6 (own capacity), a(S2) = 1.
EXPECTED_AVAILABILITY = {"E1": 0.4, "E2": 0.6, "S1": 0.0, "S2": 1.0, "P1": 0.4}
OUTPUT_AT_RISK = 30000 * 0.6 + 5000 * 0.4  # 20000
INVESTMENT_AT_RISK = 20000 * 0.6  # 12000


@pytest.fixture
def result_json(canonical_dir: Path) -> dict[str, object]:
    return analyze(read_directory(canonical_dir, settings=SETTINGS).ledgers, settings=SETTINGS).to_json()


def test_top_level_keys(result_json: dict[str, object]) -> None:
    assert set(result_json) >= {
        "summary",
        "availability",
        "blocked",
        "single_source",
        "restoration_order",
        "exposure",
    }


def test_summary(result_json: dict[str, object]) -> None:
    assert result_json["summary"] == {
        "firms": 4,
        "projects": 1,
        "links": 4,
        "blocked": 1,
        "output_at_risk": pytest.approx(OUTPUT_AT_RISK),
        "investment_at_risk": pytest.approx(INVESTMENT_AT_RISK),
        "value_at_risk": pytest.approx(OUTPUT_AT_RISK + INVESTMENT_AT_RISK),
    }


def test_availability_of_every_firm_and_project(result_json: dict[str, object]) -> None:
    assert result_json["availability"] == pytest.approx(EXPECTED_AVAILABILITY)


def test_blocked_records(result_json: dict[str, object]) -> None:
    blocked = result_json["blocked"]
    assert isinstance(blocked, list)
    # S1: restoring it lifts E1 and P1 to 1: 30000·0.6 + 20000·0.6 = 30000.
    # E2 is partial (60 %) but supplies nobody, so it is not blocked.
    assert len(blocked) == 1
    first = blocked[0]
    assert first == {
        "rank": 1,
        "id": "S1",
        "name": "长沙丙钢材有限公司",
        "scope": "in_province",
        "route_to": "省工业和信息化厅",
        "target_region": "长沙市",
        "recovered_value": pytest.approx(30000.0),
        "recovered_output": pytest.approx(18000.0),
        "recovered_investment": pytest.approx(12000.0),
        "days_to_impact": 10,
        "inventory_covers": False,
        "affected": ["E1", "P1"],
        # The only other maker of 钢材 is S2 (Wuhan, running), already E1's other supplier:
        # moving S1's 60 % to it lifts E1 and P1 as restoring S1 does.
        "substitutes": [
            {
                "buyer_id": "E1",
                "material": "钢材",
                "candidates": [
                    {
                        "rank": 1,
                        "id": "S2",
                        "name": "武汉丁电子有限公司",
                        "scope": "out_of_province",
                        "gain": pytest.approx(30000.0),
                        "buyers": 1,
                        "availability": 1.0,
                    }
                ],
            }
        ],
    }
    for record in blocked:
        assert list(record) == [
            "rank",
            "id",
            "name",
            "scope",
            "route_to",
            "target_region",
            "recovered_value",
            "recovered_output",
            "recovered_investment",
            "days_to_impact",
            "inventory_covers",
            "affected",
            "substitutes",
        ]


def test_single_source_restoration_exposure(result_json: dict[str, object]) -> None:
    assert result_json["single_source"] == [
        {"buyer_id": "P1", "material": "机电设备", "supplier_id": "E1", "share": 100.0}
    ]
    assert result_json["restoration_order"] == [
        {"id": "S1", "marginal_value": pytest.approx(30000.0), "cumulative_value": pytest.approx(30000.0)}
    ]
    # Stopping E1: E1 and P1 fall from 0.4 to 0: 30000·0.4 + 20000·0.4 = 20000.
    # Stopping S2: E1's steel supply falls to 0, the same 20000; E2's chips are not critical.
    # S1 is stopped already.
    assert result_json["exposure"] == [
        {"id": "E1", "value_at_risk_if_stopped": pytest.approx(20000.0)},
        {"id": "S2", "value_at_risk_if_stopped": pytest.approx(20000.0)},
        {"id": "S1", "value_at_risk_if_stopped": 0.0},
    ]
    assert result_json["starved"] == ["E1"]


@pytest.mark.parametrize(
    ("adcode", "scope", "route_to", "target"),
    [
        ("431228", "local", "芷江侗族自治县人民政府", "芷江侗族自治县"),
        ("431200", "local", "市工业和信息化局", "怀化市"),
        ("430111", "in_province", "省工业和信息化厅", "长沙市"),
        ("520602", "out_of_province", "省工业和信息化厅", "贵州省"),
        ("", "unknown", None, None),
    ],
)
def test_each_scope_routes_the_blocked_supplier(
    tmp_path: Path, adcode: str, scope: str, route_to: str | None, target: str | None
) -> None:
    suppliers = [list(r) for r in CANONICAL["suppliers"]]
    suppliers[1][2] = "" if adcode else "地址不详"
    suppliers[1][3] = adcode
    directory = write_canonical(tmp_path / "d", {**CANONICAL, "suppliers": suppliers})
    [record] = analyze(read_directory(directory, settings=SETTINGS).ledgers, settings=SETTINGS).to_json()[
        "blocked"
    ]
    assert (record["scope"], record["route_to"], record["target_region"]) == (scope, route_to, target)


def test_local_and_coordination_lists(canonical_dir: Path) -> None:
    result = analyze(read_directory(canonical_dir, settings=SETTINGS).ledgers, settings=SETTINGS)
    assert result.local_list().empty
    assert result.coordination_list()["id"].tolist() == ["S1"]


def test_home_city_setting_changes_the_routing(canonical_dir: Path) -> None:
    result = analyze(
        read_directory(canonical_dir, settings=SETTINGS).ledgers, settings=Settings(home_adcode="430100")
    )
    assert result.local_list()["route_to"].tolist() == ["雨花区人民政府"]


def test_cli_prints_the_same_json(canonical_dir: Path, result_json: dict[str, object]) -> None:
    result = CliRunner().invoke(app, ["analyze", str(canonical_dir), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == result_json


def test_cli_reads_the_store(canonical_dir: Path, tmp_path: Path, result_json: dict[str, object]) -> None:
    runner = CliRunner()
    url = f"sqlite:///{tmp_path}/a.db"
    assert runner.invoke(app, ["ingest", str(canonical_dir), "--store", url]).exit_code == 0
    result = runner.invoke(app, ["analyze", "--store", url, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["availability"] == pytest.approx(result_json["availability"])


def test_cli_report_is_readable(canonical_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cli.common import console

    # The console is made once, when the CLI is imported: its width does not follow COLUMNS.
    monkeypatch.setattr(console, "width", 200)
    result = CliRunner().invoke(app, ["analyze", str(canonical_dir)])
    assert result.exit_code == 0, result.output
    for label in ("缺口分析摘要", "堵点供应商", "跨区域协调清单", "单一来源关键物料", "长沙丙钢材"):
        assert label in result.output


def test_cli_refuses_broken_ledgers(tmp_path: Path) -> None:
    from tests.ingest.broken import write_broken

    result = CliRunner().invoke(app, ["analyze", str(write_broken(tmp_path / "b")), "--json"])
    assert result.exit_code == 1


def test_chain_summary(canonical_dir: Path) -> None:
    table = analyze(
        read_directory(canonical_dir, settings=SETTINGS).ledgers, settings=SETTINGS
    ).chain_summary()
    rows = {r["chain"]: r for r in table.to_dict("records")}
    # 装备制造: E1 (30000, a = 0.4), held back by S1; 食品加工: E2 (5000, a = 0.6), by no one.
    assert rows["装备制造"]["count"] == 1
    assert rows["装备制造"]["availability"] == pytest.approx(0.4)
    assert rows["装备制造"]["value_at_risk"] == pytest.approx(18000.0)
    assert rows["装备制造"]["blocked_suppliers"] == 1
    assert rows["食品加工"]["value_at_risk"] == pytest.approx(2000.0)
    assert rows["食品加工"]["blocked_suppliers"] == 0
    assert table["chain"].tolist() == ["装备制造", "食品加工"]  # largest value at risk first


def test_county_summary(canonical_dir: Path) -> None:
    table = analyze(
        read_directory(canonical_dir, settings=SETTINGS).ledgers, settings=SETTINGS
    ).county_summary(home_adcode="431200")
    rows = {r["county"]: r for r in table.to_dict("records")}
    # 鹤城区: E1 (30000) and P1 (plan 20000), both at 0.4.
    assert rows["431202"]["name"] == "鹤城区"
    assert rows["431202"]["count"] == 2
    assert rows["431202"]["value_at_risk"] == pytest.approx(30000.0)
    assert rows["431202"]["availability"] == pytest.approx(0.4)
    assert rows["431202"]["blocked_suppliers"] == 1
    assert rows["431228"]["value_at_risk"] == pytest.approx(2000.0)
    assert set(rows) == {"431202", "431228"}  # suppliers outside the city are not counties
