"""Neo4j-only behaviour against real servers: the graph model, re-imports, faults and auth.

The store contract shared with SQLite is in ``test_contract.py``; here a second, private
server (with a password) is started so that it can be killed without disturbing the others.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import neo4j
import pandas as pd
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from chain_graph.errors import StoreError
from chain_graph.model import LedgerTables
from chain_graph.settings import Settings
from chain_graph.store import neo4j_store, open_store
from chain_graph.store.neo4j_store import Neo4jStore
from cli.main import app
from ingest.loader import read_directory
from ingest.synth import synthesize
from tests.defaults import SETTINGS
from tests.ledger_files import CANONICAL, SUPPLIERS, write_canonical
from tests.neo4j_server import Neo4jServer, free_port

runner = CliRunner()
PASSWORD = "chain-graph-test-pw"


def _cypher(url: str, query: str, auth: tuple[str, str] | None = None) -> list[dict[str, Any]]:
    with neo4j.GraphDatabase.driver(url, auth=auth, notifications_min_severity="OFF") as driver:
        return [record.data() for record in driver.execute_query(query).records]


def _graph_counts(url: str, auth: tuple[str, str] | None = None) -> dict[str, int]:
    labels = _cypher(url, "MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS n", auth)
    types = _cypher(url, "MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS n", auth)
    return {row["label"]: row["n"] for row in labels} | {row["type"]: row["n"] for row in types}


@pytest.fixture(scope="module")
def private_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jServer]:
    """A Neo4j of this module's own, with authentication on, that tests may kill."""
    server = Neo4jServer(tmp_path_factory.mktemp("neo4j-private"), free_port(), PASSWORD)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def city_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("city")
    synthesize(out, firms=2300, seed=3)
    return out


def test_cli_ingest_twice_gives_the_same_graph(
    neo4j_url: str, city_dir: Path, neo4j_store: Neo4jStore
) -> None:
    first = runner.invoke(app, ["ingest", str(city_dir), "--store", neo4j_url])
    assert first.exit_code == 0, first.output
    once = _graph_counts(neo4j_url)
    second = runner.invoke(app, ["ingest", str(city_dir), "--store", neo4j_url])
    assert second.exit_code == 0, second.output
    assert _graph_counts(neo4j_url) == once
    expected = read_directory(city_dir, settings=SETTINGS).ledgers.counts()
    assert once["Firm"] == expected["firms"]
    assert once["Project"] == expected["projects"]
    assert once["SUPPLIES"] == expected["links"]
    assert once["Problem"] == expected["problems"]
    assert once["ChainGraphMeta"] == 3  # the data version, the current and the next generation
    assert neo4j_store.data_version() == 2


def test_graph_model_labels_regions_and_problems(neo4j_store: Neo4jStore, canonical_dir: Path) -> None:
    ledgers = read_directory(canonical_dir, settings=SETTINGS).ledgers
    neo4j_store.write(ledgers)
    url = neo4j_store.url
    enterprises = {r["id"] for r in _cypher(url, "MATCH (n:Enterprise) RETURN n.id AS id")}
    suppliers = {r["id"] for r in _cypher(url, "MATCH (n:Supplier) RETURN n.id AS id")}
    assert enterprises == set(ledgers.firms.loc[ledgers.firms["is_enterprise"], "id"])
    assert suppliers == set(ledgers.firms.loc[ledgers.firms["is_supplier"], "id"])
    located = {
        (r["id"], r["adcode"])
        for r in _cypher(
            url, "MATCH (n:Entity)-[:LOCATED_IN]->(r:Region) RETURN n.id AS id, r.adcode AS adcode"
        )
    }
    everything = pd.concat([ledgers.firms[["id", "adcode"]], ledgers.projects[["id", "adcode"]]])
    assert located == {(i, a) for i, a in everything.itertuples(index=False) if a}
    concerns = {
        (r["p"], r["s"])
        for r in _cypher(url, "MATCH (p:Problem)-[:CONCERNS]->(s:Entity) RETURN p.id AS p, s.id AS s")
    }
    assert concerns == set(ledgers.problems[["id", "subject_id"]].itertuples(index=False, name=None))


def test_an_upsert_moves_labels_and_region(neo4j_store: Neo4jStore) -> None:
    firm = pd.DataFrame(
        {
            "id": ["F1"],
            "name": ["甲"],
            "adcode": ["431202"],
            "status": ["normal"],
            "is_enterprise": [True],
            "is_supplier": [False],
        }
    )
    neo4j_store.write(LedgerTables.from_frames(firms=firm))
    neo4j_store.write(
        LedgerTables.from_frames(firms=firm.assign(adcode="431221", is_enterprise=False, is_supplier=True))
    )
    neo4j_store.wait_for_cleanup()  # this Cypher reads every generation: the replaced one must be gone
    rows = _cypher(
        neo4j_store.url,
        "MATCH (n:Firm)-[:LOCATED_IN]->(r:Region) "
        "RETURN labels(n) AS labels, r.adcode AS adcode, r.name AS name",
    )
    assert len(rows) == 1
    assert sorted(rows[0]["labels"]) == ["Entity", "Firm", "Supplier"]
    assert rows[0]["adcode"] == "431221"
    assert rows[0]["name"] == "中方县"


# What each Cypher block of the README returns on the canonical ledgers with S2 (武汉, 湖北)
# stopped, worked out by hand: S2 holds back P1 through E1 (two tiers); S1 (长沙) and S2 are
# the stopped suppliers; E1 (机械) takes 60 % of its steel from S1 and 40 % from S2; W1 (due
# 2026-12-31) and W2 (no deadline) are open.
README_ROWS = [
    [{"供应商": "武汉丁电子有限公司", "所在地": "武昌区", "重点项目": "鹤城区物流园建设项目", "层级": 2}],
    [
        {"行政区划代码": "420106", "县市区": "武昌区", "受阻供应商": 1},  # ties: by adcode
        {"行政区划代码": "430111", "县市区": "雨花区", "受阻供应商": 1},
    ],
    [
        {
            "企业": "怀化甲机械有限公司",
            "供应商": "长沙丙钢材有限公司",
            "状态": "stopped",
            "产能": None,
            "物料": "钢材",
            "占比": 60.0,
            "库存天数": 10,
        },
        {
            "企业": "怀化甲机械有限公司",
            "供应商": "武汉丁电子有限公司",
            "状态": "stopped",
            "产能": None,
            "物料": "钢材",
            "占比": 40.0,
            "库存天数": None,
        },
    ],
    [
        {
            "对象": "怀化甲机械有限公司",
            "类别": "原材料",
            "责任单位": "市工业和信息化局",
            "期限": "2026-12-31",
        },
        {"对象": "鹤城区物流园建设项目", "类别": "其他", "责任单位": "市发展改革委", "期限": ""},
    ],
]


def test_the_cypher_in_the_readme_returns_what_it_says(neo4j_store: Neo4jStore, tmp_path: Path) -> None:
    suppliers = [list(row) for row in SUPPLIERS]
    suppliers[2][4] = "stopped"  # S2
    data = write_canonical(tmp_path / "data", {**CANONICAL, "suppliers": suppliers})
    neo4j_store.write(read_directory(data, settings=SETTINGS).ledgers)
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in readme.split("```cypher\n")[1:]]
    assert len(blocks) == len(README_ROWS)
    for block, expected in zip(blocks, README_ROWS, strict=True):
        rows = _cypher(neo4j_store.url, block)
        assert rows == expected, block


def test_wrong_password_is_one_clear_line(private_server: Neo4jServer) -> None:
    result = runner.invoke(
        app, ["analyze", "--store", private_server.url], env={"NEO4J_PASSWORD": "wrong-password"}
    )
    assert result.exit_code == 3
    assert "用户名或密码错误" in result.output
    assert "NEO4J_PASSWORD" in result.output
    assert "Traceback" not in result.output


def test_server_down_is_one_clear_line() -> None:
    url = f"neo4j://127.0.0.1:{free_port()}"
    result = runner.invoke(app, ["analyze", "--store", url])
    assert result.exit_code == 3
    assert "服务未启动" in result.output
    assert "neo4j.sh start" in result.output
    assert "Traceback" not in result.output


def test_settings_come_from_the_environment(
    private_server: Neo4jServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHAIN_GRAPH_STORE", private_server.url)
    monkeypatch.setenv("NEO4J_USER", "neo4j")
    monkeypatch.setenv("NEO4J_PASSWORD", PASSWORD)
    monkeypatch.setenv("NEO4J_DATABASE", "neo4j")
    with open_store(settings=Settings()) as store:
        assert isinstance(store, Neo4jStore)
        assert store.database == "neo4j"
        store.counts()


def test_server_killed_mid_import_leaves_the_previous_graph(
    private_server: Neo4jServer,
    canonical_dir: Path,
    city_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = read_directory(canonical_dir, settings=SETTINGS).ledgers
    settings = SETTINGS.model_copy(update={"neo4j_password": SecretStr(PASSWORD)})
    with open_store(private_server.url, settings=settings) as store:
        store.write(before, replace=True)
        version = store.data_version()
    real = neo4j_store._batches
    sent = 0

    def killing(frame: pd.DataFrame, table: str, size: int) -> Iterator[dict[str, list[Any]]]:
        nonlocal sent
        for batch in real(frame, table, size):
            sent += 1
            if sent == 3:
                private_server.kill()
            yield batch

    monkeypatch.setattr(neo4j_store, "_batches", killing)
    bigger = read_directory(city_dir, settings=SETTINGS).ledgers
    with (
        Neo4jStore(private_server.url, password=PASSWORD, batch_size=500, page_size=500) as store,
        pytest.raises(StoreError, match="已回滚"),
    ):
        store.write(bigger, replace=True)
    assert sent == 3
    monkeypatch.undo()
    private_server.start()
    with open_store(private_server.url, settings=settings) as store:
        assert store.counts() == before.counts()
        assert store.data_version() == version
        after = store.load().canonical()
    for name in LedgerTables.TABLES:
        pd.testing.assert_frame_equal(getattr(after, name), getattr(before.canonical(), name))
