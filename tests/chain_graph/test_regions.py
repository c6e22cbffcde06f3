from __future__ import annotations

import pytest

from chain_graph.regions import Scope, classify, resolve_addresses

# (address as officials write it, expected adcode, expected scope against 怀化市)
ADDRESSES = [
    # counties of Huaihua, full and short forms
    ("湖南省怀化市鹤城区迎丰中路1号", "431202", Scope.LOCAL),
    ("怀化市中方县中方镇", "431221", Scope.LOCAL),
    ("沅陵县沅陵镇建设路", "431222", Scope.LOCAL),
    ("湖南省辰溪县", "431223", Scope.LOCAL),
    ("溆浦县工业集中区", "431224", Scope.LOCAL),
    ("会同县林城镇", "431225", Scope.LOCAL),
    ("麻阳苗族自治县高村镇", "431226", Scope.LOCAL),
    ("麻阳县锦江路", "431226", Scope.LOCAL),
    ("新晃侗族自治县工业园", "431227", Scope.LOCAL),
    ("新晃县波洲镇", "431227", Scope.LOCAL),
    ("芷江侗族自治县芷江镇", "431228", Scope.LOCAL),
    ("芷江县和平路", "431228", Scope.LOCAL),
    ("靖州苗族侗族自治县渠阳镇", "431229", Scope.LOCAL),
    ("靖州县飞山大道", "431229", Scope.LOCAL),
    ("通道侗族自治县双江镇", "431230", Scope.LOCAL),
    ("湖南省洪江市黔城镇", "431281", Scope.LOCAL),
    # development zones and city-only addresses
    ("怀化高新区", "431200", Scope.LOCAL),
    ("怀化经开区创业路", "431200", Scope.LOCAL),
    ("湖南怀化", "431200", Scope.LOCAL),
    # other Hunan cities
    ("长沙市雨花区劳动东路", "430111", Scope.IN_PROVINCE),
    ("湖南省株洲市天元区", "430211", Scope.IN_PROVINCE),
    ("邵阳县塘渡口镇", "430523", Scope.IN_PROVINCE),
    ("湘西土家族苗族自治州吉首市", "433101", Scope.IN_PROVINCE),
    ("吉首市乾州街道", "433101", Scope.IN_PROVINCE),
    ("湖南省岳阳市岳阳楼区", "430602", Scope.IN_PROVINCE),
    ("娄底市涟源市", "431382", Scope.IN_PROVINCE),
    ("长沙经开区", "430100", Scope.IN_PROVINCE),
    # other provinces
    ("湖北省武汉市东湖高新区", "420100", Scope.OUT_OF_PROVINCE),
    ("广东深圳南山区科技园", "440305", Scope.OUT_OF_PROVINCE),
    ("贵州省铜仁市碧江区", "520602", Scope.OUT_OF_PROVINCE),
    ("上海市浦东新区张江", "310115", Scope.OUT_OF_PROVINCE),
    ("北京市海淀区中关村", "110108", Scope.OUT_OF_PROVINCE),
    ("新疆乌鲁木齐市天山区", "650102", Scope.OUT_OF_PROVINCE),
    ("广西柳州市柳南区", "450204", Scope.OUT_OF_PROVINCE),
    ("江苏省苏州市工业园区", "320500", Scope.OUT_OF_PROVINCE),
    ("重庆市", "500000", Scope.OUT_OF_PROVINCE),
    ("恩施土家族苗族自治州来凤县", "422827", Scope.OUT_OF_PROVINCE),
    # garbage and province-only addresses in the home province
    ("", "", Scope.UNKNOWN),
    ("随便写的地址", "", Scope.UNKNOWN),
    ("12345", "", Scope.UNKNOWN),
    ("湖南省", "430000", Scope.UNKNOWN),
]


@pytest.mark.parametrize(("address", "adcode", "scope"), ADDRESSES)
def test_address_resolves_and_classifies(address: str, adcode: str, scope: Scope) -> None:
    [found] = resolve_addresses([address])
    assert found == adcode
    assert classify(found, home_adcode="431200").scope is scope


def test_resolve_keeps_order_and_duplicates() -> None:
    assert resolve_addresses(["鹤城区", "长沙市雨花区", "鹤城区", ""]) == ["431202", "430111", "431202", ""]


@pytest.mark.parametrize(
    ("adcode", "scope", "route_to", "target"),
    [
        ("431202", Scope.LOCAL, "鹤城区人民政府", "鹤城区"),
        ("431281", Scope.LOCAL, "洪江市人民政府", "洪江市"),
        ("431200", Scope.LOCAL, "市工业和信息化局", "怀化市"),
        ("430111", Scope.IN_PROVINCE, "省工业和信息化厅", "长沙市"),
        ("433101", Scope.IN_PROVINCE, "省工业和信息化厅", "湘西土家族苗族自治州"),
        ("420106", Scope.OUT_OF_PROVINCE, "省工业和信息化厅", "湖北省"),
        ("500000", Scope.OUT_OF_PROVINCE, "省工业和信息化厅", "重庆市"),
        ("", Scope.UNKNOWN, None, None),
        ("43", Scope.UNKNOWN, None, None),
        ("430000", Scope.UNKNOWN, None, None),
    ],
)
def test_classify_routes(adcode: str, scope: Scope, route_to: str | None, target: str | None) -> None:
    region = classify(adcode, home_adcode="431200")
    assert (region.scope, region.route_to, region.target_region) == (scope, route_to, target)


def test_other_home_city() -> None:
    # Seen from 长沙市, a Huaihua county is in the province and a Changsha district is local.
    assert classify("431202", home_adcode="430100").scope is Scope.IN_PROVINCE
    assert classify("430111", home_adcode="430100").route_to == "雨花区人民政府"


def _resolved_by_transform(addresses: list[str]) -> list[str]:
    """The slow path, as resolve_addresses was written first: cpca_new's whole table."""
    from chain_graph.regions import _cpca, _expand_short_names

    frame = _cpca().transform([_expand_short_names(a.strip()) for a in addresses])
    return [c if isinstance(c, str) and len(c) == 6 and c.isdigit() else "" for c in frame["adcode"]]


def test_resolving_agrees_with_cpca_transform() -> None:
    import random

    from chain_graph.regions import divisions

    rng = random.Random(16)
    names = list(divisions().values())
    addresses = [
        "湖南省怀化市鹤城区迎丰中路1号",
        "新晃县工业园",
        "怀化高新区",
        "不知道",
        "北京市朝阳区",
        "朝阳区建国路",
        "吉林市吉林大街",
        "湖南省长沙路18号",
        "广西南宁市青秀区",
        "内蒙古呼和浩特市",
        "湖北省怀化市鹤城区",
        "鹤城区湖北省武汉市",
    ]
    for _ in range(3000):
        parts = rng.sample(names, rng.randint(1, 3))
        addresses.append("".join(parts) + rng.choice(["", "工业园", "路1号", "镇", "大道200号"]))
        addresses.append(rng.choice(names)[:2] + rng.choice(names))
        addresses.append("".join(n[:-1] for n in rng.sample(names, 3)) + "路")  # short forms
        name = rng.choice(names)
        cut = rng.randint(0, len(name))
        addresses.append(name[:cut] + rng.choice(["12", "３", "0号"]) + name[cut:] + rng.choice(names))
    assert not [n for n in names if any(c.isdigit() or c == "#" for c in n)]  # what the digit key relies on
    assert resolve_addresses(addresses) == _resolved_by_transform(addresses)
