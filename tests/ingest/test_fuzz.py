"""Fuzzing the whole path ledgers → validation → analysis with hypothesis.

Valid ledgers (random firms, projects and links between them, a materials catalogue, and
materials typed as officials type them: spaced, full-width, an alias, a code) always load,
with every row, and the analysis' invariants hold. Corrupted ledgers (random cells replaced by hostile
text) never raise: every problem comes back as a located issue with a stable code, and
whatever does load analyses without error.
"""

from __future__ import annotations

import string
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chain_graph.errors import IssueCode
from chain_graph.gaps import analyze
from chain_graph.graph import build_graph
from chain_graph.materials import Catalogue, identities
from chain_graph.model import LedgerTables, conform
from ingest.loader import read_directory
from tests.defaults import SETTINGS
from tests.fuzzing import examples
from tests.ledger_files import LINKS, write_canonical

ADDRESSES = [
    "湖南省怀化市鹤城区迎丰路1号",
    "芷江侗族自治县工业园",
    "湖南省长沙市雨花区",
    "湖北省武汉市洪山区",
    "广东省深圳市南山区",
    "新晃县工业园",
]
STATUSES = ["normal", "partial", "stopped", "", "正常", "部分停产", "停产"]
MATERIALS = [
    "钢材",
    "钢 材",
    "钢板",
    "热轧钢板",
    "芯片",
    "集成电路",
    "ＩＣ",
    "包装材料",
    "木材",
    "Ｗood",
    "wood",
]
"""Materials as typed: spaced, full-width, in another case, or a catalogue alias."""
CATALOGUE = [
    (["M01", "ｍ０１", "m01"], "钢材", "钢板；热轧钢板"),
    (["M02", "Ｍ02"], "芯片", "集成电路、IC"),
    (["M03"], "包装材料", ""),
]
"""Catalogue entries a data set may have: its code in any form, its name and aliases."""
CODES = ["", "", "", "M01", "ｍ０１", "7208", "HS 8542"]
VALUES = ["", "0", "300", "1,200.5", "0.5亿元"]
HOSTILE = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            '=HYPERLINK("x")',
            "+1",
            "-1",
            "@SUM(A1)",
            "nan",
            "NaN",
            "inf",
            "-inf",
            "1e309",
            "9" * 40,
            "9999-12-31",
            "0x1F",
            "１２３",
            "true",
            "否",
            "\u200b",
            "\ufeff",
            "😀",
            "<script>",
            "'",
            '"',
            "\\",
            "a\nb",
            "\t",
            "\r",
            "100%",
            "1,000",
            "1.2亿元",
            "30天",
        ]
    ),
    st.text(alphabet=string.printable + "中文测试", max_size=30),
)


@st.composite
def ledgers(draw: st.DrawFn) -> dict[str, list[list[Any]]]:
    """A valid set: enterprises, suppliers, projects, links with shares summing to ≤ 100.

    Every required table has a row (an empty one is an issue of its own, E005).
    """
    n_ent = draw(st.integers(1, 6))
    n_sup = draw(st.integers(1, 8))
    n_proj = draw(st.integers(1, 3))
    enterprises = [["id", "name", "address", "chain", "output_value", "status", "capacity"]]
    for i in range(n_ent):
        enterprises.append(
            [
                f"E{i}",
                f"企业{i}",
                draw(st.sampled_from(ADDRESSES)),
                draw(st.sampled_from(["装备", ""])),
                str(draw(st.integers(0, 100000))),
                draw(st.sampled_from(STATUSES)),
                draw(st.sampled_from(["", "0", "45", "100"])),
            ]
        )
    suppliers = [["id", "name", "address", "status", "capacity", "recovery_days"]]
    for i in range(n_sup):
        suppliers.append(
            [
                f"S{i}",
                f"供应商{i}",
                draw(st.sampled_from(ADDRESSES)),
                draw(st.sampled_from(STATUSES)),
                draw(st.sampled_from(["", "0", "30", "95"])),
                draw(st.sampled_from(["", "7", "60"])),
            ]
        )
    projects = [["id", "name", "address", "annual_plan"]]
    for i in range(n_proj):
        projects.append(
            [f"P{i}", f"项目{i}", draw(st.sampled_from(ADDRESSES)), str(draw(st.integers(0, 50000)))]
        )
    firms = [f"E{i}" for i in range(n_ent)] + [f"S{i}" for i in range(n_sup)]
    buyers = [f"E{i}" for i in range(n_ent)] + [f"P{i}" for i in range(n_proj)]
    entries = draw(st.lists(st.sampled_from(CATALOGUE), unique_by=lambda entry: entry[1], max_size=3))
    materials = [["code", "name", "aliases", "chain"]]
    materials += [[draw(st.sampled_from(codes)), name, aliases, "装备"] for codes, name, aliases in entries]
    catalogue = Catalogue(pd.DataFrame(materials[1:], columns=materials[0]))
    links: list[list[Any]] = [list(LINKS[0]), ["E0", "P0", "机电设备", "100", "yes", "", "", ""]]
    # Kept valid by material identity, as validation judges: one link per supplier, buyer and
    # material (and per material as typed: the stores' key), shares to one buyer's material ≤ 100.
    used: dict[tuple[str, str], int] = {("P0", "机电设备"): 100}
    seen: set[tuple[str, str, str]] = {("E0", "P0", "机电设备")}
    for _ in range(draw(st.integers(0, 15))):
        supplier, buyer, material, code = (
            draw(st.sampled_from(firms)),
            draw(st.sampled_from(buyers)),
            draw(st.sampled_from(MATERIALS)),
            draw(st.sampled_from(CODES)),
        )
        [identity] = identities([material], [code], catalogue=catalogue)
        share = draw(st.integers(1, 100))
        if (
            supplier == buyer
            or {(supplier, buyer, identity), (supplier, buyer, material)} & seen
            or used.get((buyer, identity), 0) + share > 100
        ):
            continue
        seen |= {(supplier, buyer, identity), (supplier, buyer, material)}
        used[(buyer, identity)] = used.get((buyer, identity), 0) + share
        links.append(
            [
                supplier,
                buyer,
                material,
                str(share),
                draw(st.sampled_from(["yes", "no", "是", ""])),
                draw(st.sampled_from(["", "0", "15"])),
                draw(st.sampled_from(VALUES)),
                code,
            ]
        )
    return {
        "enterprises": enterprises,
        "suppliers": suppliers,
        "projects": projects,
        "links": links,
        "materials": materials,
    }


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=ledgers())
def test_valid_ledgers_always_load_and_analyse(tables: dict[str, list[list[Any]]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        validation = read_directory(write_canonical(Path(tmp), tables), settings=SETTINGS)
    assert validation.ok, validation.issues[:3]
    _assert_canonical(validation.ledgers)
    counts = validation.ledgers.counts()
    assert counts["links"] == len(tables["links"]) - 1
    assert counts["projects"] == len(tables["projects"]) - 1
    assert counts["materials"] == len(tables["materials"]) - 1
    firm_ids = {row[0] for name in ("enterprises", "suppliers") for row in tables[name][1:]}
    assert set(validation.ledgers.firms["id"]) == firm_ids
    result = analyze(validation.ledgers, settings=SETTINGS)
    a = np.array(list(result.availability().values()))
    assert ((a >= -1e-12) & (a <= 1 + 1e-12)).all()
    assert result.losses.output >= -1e-9
    assert result.losses.investment >= -1e-9
    g = build_graph(validation.ledgers)
    assert set(result.blocked["id"]) <= set(g.ids[(g.capacity < 0.9) & ~g.is_project].astype(str))
    assert list(result.blocked["rank"]) == list(range(1, len(result.blocked) + 1))


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tables=ledgers(),
    hits=st.lists(
        st.tuples(st.integers(0, 4), st.integers(0, 40), st.integers(0, 8), HOSTILE), min_size=1, max_size=6
    ),
)
def test_corrupted_ledgers_never_raise(
    tables: dict[str, list[list[Any]]], hits: list[tuple[int, int, int, str]]
) -> None:
    names = list(tables)
    for table, row, column, text in hits:
        rows = tables[names[table]]
        r = row % len(rows)
        rows[r] = list(rows[r])
        rows[r][column % len(rows[r])] = text
    with tempfile.TemporaryDirectory() as tmp:
        validation = read_directory(write_canonical(Path(tmp), tables), settings=SETTINGS)
    _assert_canonical(validation.ledgers)
    codes = {code.value for code in IssueCode}
    for issue in validation.issues:
        assert issue.code.value in codes
        assert issue.message
        assert issue.file.endswith(".csv")
        assert issue.row >= 0
    if not validation.blocking:
        analyze(validation.ledgers, settings=SETTINGS)  # whatever is valid analyses without error


def _assert_canonical(ledgers: LedgerTables) -> None:
    """Validation builds some tables canonical itself (not through conform): they must be equal."""
    for name in ledgers.TABLES:
        table = getattr(ledgers, name)
        pd.testing.assert_frame_equal(table, conform(table, name), check_exact=True)
