"""Synthetic ledgers: deterministic, realistic data for a city like Huaihua (虚构数据).

:func:`synthesize` writes the ledgers as a bureau keeps them (Chinese headers, a title row
above the header, XLSX for small sets, CSV for large ones). The shape follows the city's
own work: ~300 key enterprises, 385 key projects (44 infrastructure), ~2,000 suppliers
(40 % local, 35 % elsewhere in Hunan, 25 % in other provinces), ~6,000 supply links, ~10 %
of suppliers stopped or partly stopped. Larger scales keep the shape. Everything is
generated with numpy from one seed, so a seed always gives the same files. All names are
invented; the files say so.

The supply spec's data come last, from the same seed (so the other columns are what they
were before them): a 物料目录 of the chains' materials with codes, aliases and chains, and
for each link its 年采购额 (a part of what the buyer produces or invests, by its share; some
left blank) and, for most links of a catalogued material, its 物料编码 — some full-width or
in lower case, as officials type them; the rest are matched by name, and a name is
sometimes an alias or has a space in it. Every material is bought from many suppliers, so a
blocked supplier's material is almost always made by someone else too (substitutes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from chain_graph.regions import divisions

__all__ = ["HUAIHUA_COUNTIES", "SCALES", "synthesize"]

SCALES = {"city": 2300, "province": 50000, "national": 1_000_000}
"""Number of firms (enterprises + suppliers) per named scale."""

HUAIHUA_COUNTIES = {
    "431202": "鹤城区",
    "431221": "中方县",
    "431222": "沅陵县",
    "431223": "辰溪县",
    "431224": "溆浦县",
    "431225": "会同县",
    "431226": "麻阳苗族自治县",
    "431227": "新晃侗族自治县",
    "431228": "芷江侗族自治县",
    "431229": "靖州苗族侗族自治县",
    "431230": "通道侗族自治县",
    "431281": "洪江市",
}
"""The 12 county-level divisions of 怀化市 and their adcodes."""

NOTE = "合成数据（虚构），仅供演示和测试，与真实企业无关"

_CHAINS = {
    "电子信息": ["覆铜板", "电子元器件", "芯片", "线路板", "锂电池", "显示模组"],
    "生物医药": ["原料药", "中药材", "药用辅料", "包装材料", "医用耗材"],
    "新材料": ["碳酸锂", "石墨", "铝型材", "特种钢材", "树脂"],
    "装备制造": ["钢材", "轴承", "液压件", "电机", "铸件", "数控系统"],
    "农产品加工": ["大米", "食用油", "包装材料", "饲料", "冷链运输"],
    "现代石化": ["原油", "催化剂", "化工助剂", "管材"],
    "建材": ["水泥", "砂石骨料", "钢筋", "混凝土外加剂", "玻璃"],
    "林产品加工": ["木材", "胶粘剂", "五金配件", "涂料"],
    "食品加工": ["白砂糖", "食品添加剂", "包装材料", "冷链运输"],
    "先进储能材料": ["碳酸锂", "电解液", "隔膜", "正极材料", "铝箔"],
}
_PROJECT_MATERIALS = [
    "钢筋",
    "水泥",
    "砂石骨料",
    "沥青",
    "混凝土",
    "电缆",
    "管材",
    "玻璃",
    "机电设备",
    "预制构件",
]
_WORDS = list("鑫达华兴隆盛泰丰源恒昌宏远新博瑞佳诚信安康美德永祥顺福")
_TRADES = [
    "机械制造",
    "新材料",
    "电子科技",
    "化工",
    "建材",
    "食品",
    "医药",
    "物流",
    "能源",
    "纺织",
    "木业",
    "冶金",
    "包装",
    "汽车配件",
    "电气",
]
_SUFFIXES = ["有限公司", "有限责任公司", "股份有限公司", "实业有限公司"]
_ROADS = [
    "迎丰路",
    "人民路",
    "工业大道",
    "团结路",
    "锦溪路",
    "舞水路",
    "建设路",
    "高新大道",
    "解放路",
    "振兴路",
]
_PROBLEMS = [
    "用工不足，返岗率低",
    "原材料供应中断",
    "物流运输受阻",
    "资金周转困难",
    "环评审批未完成",
    "电力供应不足",
    "上游配套企业未复产",
    "订单不足",
]
_CATEGORIES = ["用工", "原材料", "物流运输", "资金", "审批", "电力燃气", "其他"]
_ALIASES = {
    "钢材": "钢板；热轧钢板",
    "特种钢材": "特钢",
    "钢筋": "螺纹钢；螺纹钢筋",
    "芯片": "集成电路；IC",
    "线路板": "PCB板；印制电路板",
    "覆铜板": "CCL",
    "电子元器件": "电子元件、元器件",
    "锂电池": "锂离子电池",
    "原料药": "化学原料药",
    "铝型材": "铝材",
    "混凝土外加剂": "外加剂；减水剂",
    "砂石骨料": "砂石、骨料",
    "包装材料": "包材",
    "数控系统": "CNC系统",
    "电缆": "电线电缆",
    "管材": "PE管；管道",
    "食用油": "植物油",
    "正极材料": "正极",
}
"""Other names of catalogued materials, as 别名 cells are written (several separators)."""
_UNCATALOGUED = frozenset({"沥青", "预制构件", "冷链运输"})
"""Materials the catalogue leaves out: their links are matched by name alone."""


@dataclass(frozen=True)
class _Shape:
    enterprises: int
    suppliers: int
    projects: int
    links: int


def _shape(firms: int) -> _Shape:
    enterprises = max(10, round(firms * 300 / 2300))
    projects = max(5, round(firms * 385 / 2300))
    per_firm = 6000 / 2300 if firms <= 5000 else 5.0
    return _Shape(enterprises, firms - enterprises, projects, round(firms * per_firm))


def synthesize(out_dir: Path, *, firms: int = 2300, seed: int = 1, fmt: str | None = None) -> dict[str, int]:
    """Write a synthetic data directory.

    Parameters
    ----------
    out_dir
        Created if missing; existing ledger files in it are overwritten.
    firms
        Enterprises plus suppliers (``SCALES`` names three sizes).
    seed
        Random seed; the same seed writes the same data.
    fmt
        ``"xlsx"`` or ``"csv"``; default XLSX up to 10,000 firms, CSV above.

    Returns
    -------
    dict
        Rows written per table.
    """
    rng = np.random.default_rng(seed)
    shape = _shape(firms)
    places = _Places(rng)
    enterprises = _enterprises(rng, shape, places)
    suppliers = _suppliers(rng, shape, places, enterprises)
    projects = _projects(rng, shape, places)
    links = _links(rng, shape, enterprises, suppliers, projects)
    problems = _problems(rng, suppliers, links)
    catalogue = _catalogue()
    links = _with_supply_columns(rng, links, catalogue, enterprises=enterprises, projects=projects)
    tables = {
        "重点企业": enterprises,
        "供应商": suppliers,
        "重点项目": projects,
        "供应关系": links,
        "问题台账": problems,
        "物料目录": catalogue,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    fmt = fmt or ("xlsx" if firms <= 10000 else "csv")
    for name, frame in tables.items():
        _write(out_dir, name, frame, fmt)
    (out_dir / "说明.txt").write_text(
        f"{NOTE}。\n由 chain-graph synth 生成：企业 {firms} 家，种子 {seed}。\n", encoding="utf-8"
    )
    return {name: len(frame) for name, frame in tables.items()}


class _Places:
    """Addresses in the home city, the rest of Hunan and other provinces."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        names = divisions()
        counties = [c for c in names if not c.endswith("00")]
        self.hunan = [c for c in counties if c.startswith("43") and not c.startswith("4312")]
        self.other = [c for c in counties if not c.startswith("43") and c[:2] not in {"71", "81", "82"}]
        self.names = names

    def pick(self, n: int, *, local: float, in_province: float) -> np.ndarray:
        draw = self.rng.random(n)
        codes: np.ndarray = np.where(
            draw < local,
            self.rng.choice(list(HUAIHUA_COUNTIES), n),
            np.where(
                draw < local + in_province, self.rng.choice(self.hunan, n), self.rng.choice(self.other, n)
            ),
        )
        return codes

    def addresses(self, codes: np.ndarray) -> np.ndarray:
        unique, inverse = np.unique(codes, return_inverse=True)
        prefix = np.array([self._prefix(str(c)) for c in unique], dtype=object)[inverse]
        road = self.rng.choice(_ROADS, len(codes))
        number = self.rng.integers(1, 999, len(codes)).astype(str)
        addresses: np.ndarray = prefix + road + number + "号"
        return addresses

    def _prefix(self, code: str) -> str:
        province = self.names.get(code[:2] + "0000", "")
        city = self.names.get(code[:4] + "00", "")
        county = self.names.get(code, "")
        return province + (city if city != province else "") + county


def _names(rng: np.random.Generator, n: int, places: np.ndarray) -> np.ndarray:
    short = np.array([p[:2] for p in places], dtype=object)
    word = rng.choice(_WORDS, n).astype(object) + rng.choice(_WORDS, n).astype(object)
    names: np.ndarray = (
        short + word + rng.choice(_TRADES, n).astype(object) + rng.choice(_SUFFIXES, n).astype(object)
    )
    return names


def _ids(prefix: str, n: int) -> np.ndarray:
    width = max(6, len(str(n)))
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)


def _enterprises(rng: np.random.Generator, shape: _Shape, places: _Places) -> pd.DataFrame:
    n = shape.enterprises
    codes = np.array(rng.choice(list(HUAIHUA_COUNTIES), n), dtype=object)
    county = np.array([HUAIHUA_COUNTIES[c] for c in codes], dtype=object)
    output = np.round(rng.lognormal(np.log(15000), 1.0, n), 1)
    status = rng.choice(["正常", "部分停产"], n, p=[0.95, 0.05])
    capacity = np.where(status == "部分停产", rng.integers(30, 85, n).astype(str) + "%", "")
    with_code = rng.random(n) < 0.3
    return pd.DataFrame(
        {
            "企业编号": _ids("QY", n),
            "企业名称": _names(rng, n, county),
            "地址": places.addresses(codes),
            "行政区划代码": np.where(with_code, codes, ""),
            "所属产业链": rng.choice(list(_CHAINS), n),
            "年产值(万元)": output,
            "年纳税额(万元)": np.round(output * rng.uniform(0.01, 0.05, n), 1),
            "生产状态": status,
            "产能恢复率": capacity,
            "联系人": rng.choice(["张", "王", "李", "刘", "陈", "杨"], n).astype(object) + "经理",
            "联系电话": np.char.add("0745-", rng.integers(2000000, 2999999, n).astype(str)),
        }
    )


def _suppliers(
    rng: np.random.Generator, shape: _Shape, places: _Places, enterprises: pd.DataFrame
) -> pd.DataFrame:
    n = shape.suppliers
    codes = places.pick(n, local=0.40, in_province=0.35)
    short = np.array([places.names.get(str(c), "")[:2] for c in codes], dtype=object)
    draw = rng.random(n)
    status = np.where(draw < 0.04, "停产", np.where(draw < 0.10, "部分停产", "正常"))
    capacity = np.where(
        status == "部分停产", rng.integers(20, 85, n).astype(str) + "%", np.where(status == "停产", "0", "")
    )
    troubled = status != "正常"
    frame = pd.DataFrame(
        {
            "供应商编号": _ids("GY", n),
            "供应商名称": _names(rng, n, short),
            "地址": places.addresses(codes),
            "生产状态": status,
            "产能恢复率": capacity,
            "预计恢复天数": np.where(troubled, rng.integers(3, 60, n).astype(str), ""),
            "存在问题": np.where(troubled, rng.choice(_PROBLEMS, n), ""),
            "联系人": rng.choice(["赵", "孙", "周", "吴", "郑"], n).astype(object) + "主任",
            "联系电话": np.char.add("138", rng.integers(10000000, 99999999, n).astype(str)),
        }
    )
    # A few key enterprises also supply others: the same id, name and address in both tables.
    both = enterprises.sample(n=max(1, len(enterprises) // 30), random_state=rng)
    also = pd.DataFrame(
        {
            "供应商编号": both["企业编号"],
            "供应商名称": both["企业名称"],
            "地址": both["地址"],
            "生产状态": "",
            "产能恢复率": "",
            "预计恢复天数": "",
            "存在问题": "",
            "联系人": both["联系人"],
            "联系电话": both["联系电话"],
        }
    )
    return pd.concat([frame, also], ignore_index=True)


def _projects(rng: np.random.Generator, shape: _Shape, places: _Places) -> pd.DataFrame:
    n = shape.projects
    codes = np.array(rng.choice(list(HUAIHUA_COUNTIES), n), dtype=object)
    infrastructure = max(1, round(n * 44 / 385))
    category = np.array(
        ["基础设施"] * infrastructure + list(rng.choice(["产业", "民生", "社会事业"], n - infrastructure))
    )
    rng.shuffle(category)
    total = np.round(rng.lognormal(np.log(50000), 1.0, n), 1)
    plan = np.round(total * rng.uniform(0.1, 0.4, n), 1)
    county = np.array([HUAIHUA_COUNTIES[c] for c in codes], dtype=object)
    return pd.DataFrame(
        {
            "项目编号": _ids("XM", n),
            "项目名称": county
            + rng.choice(
                ["产业园", "物流园", "大道", "安置区", "标准厂房", "医院", "学校", "污水处理厂"], n
            ).astype(object)
            + "建设项目",
            "建设地点": places.addresses(codes),
            "项目级别": rng.choice(["市级", "省级", "国家级"], n, p=[0.7, 0.25, 0.05]),
            "项目类别": category,
            "总投资(万元)": total,
            "年度计划投资(万元)": plan,
            "本年完成投资(万元)": np.round(plan * rng.uniform(0, 1, n), 1),
            "业主单位": county + "城市建设投资有限公司",
            "责任单位": county + "人民政府",
        }
    )


def _links(
    rng: np.random.Generator,
    shape: _Shape,
    enterprises: pd.DataFrame,
    suppliers: pd.DataFrame,
    projects: pd.DataFrame,
) -> pd.DataFrame:
    supplier_ids = suppliers["供应商编号"].to_numpy(dtype=object)
    n_sup = len(supplier_ids)
    ent_ids = enterprises["企业编号"].to_numpy(dtype=object)
    chain_of = dict(zip(ent_ids, enterprises["所属产业链"], strict=True))
    groups = round(shape.links / 1.7 * 2.2)  # oversampled: duplicates are dropped below
    # Suppliers come in tiers: tier 1 (the first half) sells to enterprises and projects,
    # tier 2 (the next 35 %) to tier 1, tier 3 (the rest) to tier 2.
    tier2, tier3 = n_sup // 2, n_sup * 85 // 100
    kind = rng.choice(3, groups, p=[0.5, 0.25, 0.25])  # enterprise, project, supplier buyer
    buyer_index = np.where(
        kind == 0,
        rng.integers(0, len(ent_ids), groups),
        np.where(kind == 1, rng.integers(0, len(projects), groups), rng.integers(0, tier3, groups)),
    )
    buyer = np.where(
        kind == 0,
        ent_ids[buyer_index % len(ent_ids)],
        np.where(
            kind == 1,
            projects["项目编号"].to_numpy(dtype=object)[buyer_index % len(projects)],
            supplier_ids[buyer_index % n_sup],
        ),
    )
    all_materials = _all_materials()
    material = np.array(rng.choice(all_materials, groups), dtype=object)
    for i in np.flatnonzero(kind != 2):
        pool = _PROJECT_MATERIALS if kind[i] == 1 else _CHAINS[chain_of[buyer[i]]]
        material[i] = pool[rng.integers(len(pool))]
    frame = pd.DataFrame(
        {"buyer": buyer, "material": material, "kind": kind, "bi": buyer_index}
    ).drop_duplicates(["buyer", "material"])
    k = rng.choice([1, 2, 3], len(frame), p=[0.5, 0.3, 0.2])
    rows = frame.loc[frame.index.repeat(k)].reset_index(drop=True)
    n_rows = len(rows)
    is_supplier_buyer = (rows["kind"] == 2).to_numpy()
    buyer_tier2 = rows["bi"].to_numpy() >= tier2
    low = np.where(is_supplier_buyer, np.where(buyer_tier2, tier3, tier2), 0)
    high = np.where(
        is_supplier_buyer,
        np.where(buyer_tier2, n_sup, tier3),
        np.where(rng.random(n_rows) < 0.8, tier2, n_sup),
    )
    rows["supplier"] = supplier_ids[low + (rng.random(n_rows) * (high - low)).astype(int)]
    # A few links (0.2 %) go against the tiers and make realistic cycles.
    flip = is_supplier_buyer & (rng.random(n_rows) < 0.002)
    rows.loc[flip, "supplier"] = supplier_ids[rng.integers(0, tier2, int(flip.sum()))]
    rows = rows[rows["supplier"] != rows["buyer"]]
    rows = rows.drop_duplicates(["supplier", "buyer", "material"]).head(shape.links)
    total = np.where(rng.random(len(rows)) < 0.7, 100.0, rng.uniform(60, 100, len(rows)))
    weight = rng.gamma(1.0, 1.0, len(rows))
    group_sum = rows.assign(w=weight).groupby(["buyer", "material"])["w"].transform("sum")
    share = np.floor(total * weight / group_sum.to_numpy() * 10) / 10
    n = len(rows)
    stock = rng.integers(3, 46, n).astype(str)
    return pd.DataFrame(
        {
            "供应商编号": rows["supplier"].to_numpy(),
            "需求方编号": rows["buyer"].to_numpy(),
            "配套产品": rows["material"].to_numpy(),
            "供应占比": np.char.add(np.maximum(share, 0.1).astype(str), "%"),
            "是否关键": rng.choice(["是", "否"], n, p=[0.85, 0.15]),
            "库存可用天数": np.where(rng.random(n) < 0.7, stock, ""),
        }
    )


def _problems(rng: np.random.Generator, suppliers: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    troubled = suppliers.loc[suppliers["生产状态"] != "正常", "供应商编号"]
    affected = links[links["供应商编号"].isin(set(troubled))]
    pick = affected.drop_duplicates("需求方编号").sample(frac=0.3, random_state=rng)
    n = len(pick)
    category = rng.choice(_CATEGORIES, n)
    day = rng.integers(1, 60, n)
    deadline = (np.datetime64("2026-12-01") + day.astype("timedelta64[D]")).astype(str)
    return pd.DataFrame(
        {
            "问题编号": _ids("WT", n),
            "对象编号": pick["需求方编号"].to_numpy(),
            "问题类别": category,
            "问题描述": "上游配套企业"
            + pick["供应商编号"].to_numpy()
            + "停产，"
            + rng.choice(_PROBLEMS, n).astype(object),
            "完成时限": deadline,
            "办理状态": rng.choice(["挂号", "办理中", "已销号"], n, p=[0.5, 0.3, 0.2]),
        }
    )


def _all_materials() -> list[str]:
    return sorted({m for ms in _CHAINS.values() for m in ms} | set(_PROJECT_MATERIALS))


def _catalogue() -> pd.DataFrame:
    """Return the city's 物料目录: every material but :data:`_UNCATALOGUED`, coded WL001…, with its chains."""
    names = [m for m in _all_materials() if m not in _UNCATALOGUED]
    chains = ["、".join(c for c, ms in _CHAINS.items() if name in ms) for name in names]
    return pd.DataFrame(
        {
            "物料编码": [f"WL{i:03d}" for i in range(1, len(names) + 1)],
            "物料名称": names,
            "别名": [_ALIASES.get(name, "") for name in names],
            "所属产业链": chains,
        }
    )


def _full_width(text: np.ndarray) -> np.ndarray:
    """Each text with its ASCII letters and digits in full width (``WL001`` → ``ＷＬ００１``)."""
    table = {c: c + 0xFEE0 for c in range(0x21, 0x7F)}
    return np.array([str(t).translate(table) for t in text], dtype=object)


def _with_supply_columns(
    rng: np.random.Generator,
    links: pd.DataFrame,
    catalogue: pd.DataFrame,
    *,
    enterprises: pd.DataFrame,
    projects: pd.DataFrame,
) -> pd.DataFrame:
    """Add 年采购额 and 物料编码 to the links, and type some materials as officials do.

    Computed per distinct material or buyer, then spread over the links with numpy, so it
    costs little at national scale.
    """
    n = len(links)
    inverse, material = pd.factorize(links["配套产品"])
    by_name = dict(zip(catalogue["物料名称"], range(len(catalogue)), strict=True))
    row = np.array([by_name.get(str(m), -1) for m in material])
    coded = (row >= 0)[inverse]
    code = catalogue["物料编码"].to_numpy(dtype=object)[np.maximum(row, 0)]
    forms = np.stack([code, _full_width(code), np.char.lower(code.astype(str)).astype(object)])
    form = np.select([rng.random(n) < 0.08, rng.random(n) < 0.06], [1, 2], 0)
    given = coded & (rng.random(n) < 0.8)
    codes = np.where(given, forms[form, inverse], "")
    # The name as typed: mostly the catalogue's, else one of its aliases or with a space in it.
    aliases = [[a for a in re.split("[；、]", _ALIASES.get(str(m), "")) if a] or [str(m)] for m in material]
    count = np.array([len(a) for a in aliases])
    flat = np.array([a for group in aliases for a in group], dtype=object)
    flat = np.stack([flat, _full_width(flat)])  # PCB板 and ＰＣＢ板
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    pick = start[inverse] + (rng.random(n) * count[inverse]).astype(int)
    alias = flat[(rng.random(n) < 0.3).astype(int), pick]
    name = material.to_numpy(dtype=object)
    spaced = np.array([f"{m[:1]} {m[1:]}" for m in name], dtype=object)
    draw = rng.random(n)
    typed = np.where(coded & (draw < 0.12), alias, np.where(draw < 0.2, spaced[inverse], name[inverse]))
    # What the buyer buys of it in a year: a part of its output (or plan), by this link's share.
    base = pd.concat(
        [
            pd.Series(enterprises["年产值(万元)"].to_numpy(), index=enterprises["企业编号"]),
            pd.Series(projects["年度计划投资(万元)"].to_numpy(), index=projects["项目编号"]),
        ]
    )
    buyer = links["需求方编号"]
    output = buyer.map(base).to_numpy(dtype=float)
    output = np.where(np.isnan(output), rng.lognormal(np.log(3000), 0.8, n), output)  # a supplier buyer
    share = links["供应占比"].str.rstrip("%").astype(float).to_numpy()
    value = np.round(output * rng.uniform(0.02, 0.15, n) * share / 100, 1)
    return links.assign(
        配套产品=typed,
        **{"年采购额(万元)": np.where(rng.random(n) < 0.88, value.astype(object), ""), "物料编码": codes},
    )


def _write(out_dir: Path, name: str, frame: pd.DataFrame, fmt: str) -> None:
    suffix = "" if name.endswith(("台账", "目录")) else "台账"  # never 问题台账台账
    title = f"怀化市{name}{suffix}（{NOTE}）"
    for stale in (out_dir / f"{name}.xlsx", out_dir / f"{name}.csv"):
        stale.unlink(missing_ok=True)
    if fmt == "csv":
        path = out_dir / f"{name}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            handle.write(title + "\n")
            frame.to_csv(handle, index=False)
        return
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(name)
    sheet.append([title])
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False, name=None):
        sheet.append([_plain(v) for v in row])
    workbook.save(out_dir / f"{name}.xlsx")


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    return value
