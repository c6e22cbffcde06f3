"""Material identity (物料): when two links carry the same material, and its display name.

The supply spec (``docs/spec/supply.md``) defines the identity of a link's material: its
``material_code`` when given; else the code of the catalogue (物料目录) entry whose name or
one of whose aliases equals the normalised material name; else the normalised name itself.
Normalisation is NFKC, trimmed, inner whitespace removed, case-folded, so ``Ｑ２３５ 钢板``
and ``q235钢板`` are one material. Everything that groups links by material — the
availability rule, the share-sum check, single-source detection, the local supply rate,
the gap list and substitutes — uses :func:`identities`.

Identities are plain strings: ``"#"`` + normalised code for coded materials, the
normalised name otherwise (a name never starts with ``#`` after a code was tried, so the
two cannot collide: a name that does start with ``#`` is escaped with a second ``#``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = [
    "ALIAS_SEPARATORS",
    "Catalogue",
    "display_names",
    "identities",
    "normalise",
    "split_aliases",
]

ALIAS_SEPARATORS = re.compile(r"[;；、,，]")
"""What separates the aliases of one catalogue entry (``;``, ``；``, ``、``, ``,``, ``，``)."""
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    r"""Return the comparable form of a material name or code.

    Examples
    --------
    >>> normalise("  Ｑ２３５ 钢板 ")
    'q235钢板'
    >>> normalise("PCB\u3000板") == normalise("pcb板")
    True
    """
    return _SPACE.sub("", unicodedata.normalize("NFKC", str(text))).casefold()


def split_aliases(text: str) -> list[str]:
    """Split a catalogue entry's 别名 cell into its aliases (blank parts dropped).

    Examples
    --------
    >>> split_aliases("钢板；冷轧板、 热轧板,, ")
    ['钢板', '冷轧板', '热轧板']
    """
    return [part.strip() for part in ALIAS_SEPARATORS.split(str(text)) if part.strip()]


def _code_identity(code: str) -> str:
    return "#" + normalise(code)


def _name_identity(name: str) -> str:
    key = normalise(name)
    return "#" + key if key.startswith("#") else key


class Catalogue:
    """The materials catalogue (物料目录) as a lookup from normalised names to codes.

    Parameters
    ----------
    materials
        A table with columns ``code``, ``name`` and ``aliases`` (the canonical
        ``materials`` table; empty or ``None`` when the city keeps no catalogue).

    Examples
    --------
    >>> cat = Catalogue(pd.DataFrame({"code": ["M01"], "name": ["钢板"], "aliases": ["冷轧板；热轧板"]}))
    >>> cat.code_of("冷轧 板"), cat.code_of("铝锭") is None
    ('M01', True)
    """

    def __init__(self, materials: pd.DataFrame | None = None) -> None:
        self._by_name: dict[str, str] = {}
        self._names: dict[str, str] = {}
        if materials is None or materials.empty:
            return
        rows = materials[["code", "name", "aliases"]].astype(str)
        for code, name, aliases in rows.itertuples(index=False):
            if not code.strip():
                continue
            if name.strip():
                self._names.setdefault(_code_identity(code), name.strip())
            for spelling in [name, *split_aliases(aliases)]:
                if spelling.strip():
                    self._by_name.setdefault(normalise(spelling), code)

    def code_of(self, name: str) -> str | None:
        """Return the catalogue code whose name or alias equals ``name`` once normalised, or ``None``."""
        return self._by_name.get(normalise(name))

    def name_of(self, identity: str) -> str | None:
        """Return the catalogue's name for a coded identity, or ``None``."""
        return self._names.get(identity)


def identities(
    materials: Iterable[str] | np.ndarray,
    codes: Iterable[str] | np.ndarray | None = None,
    *,
    catalogue: Catalogue | None = None,
) -> np.ndarray:
    """Return the material identity of each link (see the module docstring).

    Parameters
    ----------
    materials
        The links' material names as typed.
    codes
        The links' ``material_code`` (``""``, ``None`` or NaN where none was given), or ``None``.
    catalogue
        The city's catalogue, if any.

    Returns
    -------
    numpy.ndarray
        One identity string per link (object dtype).

    Examples
    --------
    >>> cat = Catalogue(pd.DataFrame({"code": ["M01"], "name": ["钢板"], "aliases": ["冷轧板"]}))
    >>> names = ["钢板", "冷轧板", "Ｑ235", "q 235", "铝锭"]
    >>> identities(names, ["", "", "", "", "7601"], catalogue=cat).tolist()
    ['#m01', '#m01', 'q235', 'q235', '#7601']
    """
    names = _texts(materials)
    # Hashed, not sorted: a national ledger has five million links and few materials.
    name_index, unique_names = pd.factorize(names)
    by_name = np.empty(unique_names.size, dtype=object)
    for i, name in enumerate(unique_names):
        code = catalogue.code_of(name) if catalogue is not None else None
        by_name[i] = _code_identity(code) if code else _name_identity(name)
    result: np.ndarray = by_name[name_index] if names.size else np.zeros(0, dtype=object)
    if codes is not None:
        code_index, unique_codes = pd.factorize(_texts(codes))  # few distinct codes; missing → -1
        blank = np.array([not c.strip() for c in unique_codes] + [True], dtype=bool)  # [-1]: missing
        coded = np.flatnonzero(~blank[code_index])
        if coded.size:
            code_ids = np.array([_code_identity(c) for c in unique_codes], dtype=object)
            result = result.copy()
            result[coded] = code_ids[code_index[coded]]
    return result.astype(object)


def _texts(values: Iterable[str] | np.ndarray) -> np.ndarray:
    """Return ``values`` as an object array of texts, missing ones as they are.

    Texts are kept as they are (no pass over five million cells); anything else is written
    as ``astype(str)`` writes it, so that ``1`` and ``1.0`` stay two codes.
    """
    cells = _objects(values)
    if pd.api.types.infer_dtype(cells, skipna=True) in ("string", "empty"):
        return cells
    texts: np.ndarray = pd.Series(cells, dtype=object).astype(str).to_numpy(dtype=object)
    return texts


def _objects(values: Iterable[str] | np.ndarray) -> np.ndarray:
    """Return ``values`` as an object array (a column converts whole, not value by value)."""
    if isinstance(values, np.ndarray | pd.Series | pd.Index):
        return np.asarray(values, dtype=object)
    return np.asarray(list(values), dtype=object)


def display_names(
    identity: np.ndarray, names: np.ndarray, *, catalogue: Catalogue | None = None
) -> pd.Series:
    """Return the name shown for each identity: the catalogue's, else the most common spelling.

    Ties between spellings go to the one first in string order.

    Examples
    --------
    >>> display_names(np.array(["a", "a", "a", "#x"]), np.array(["A", "a", "A", "X料"])).to_dict()
    {'#x': 'X料', 'a': 'A'}
    """
    frame = pd.DataFrame(
        {"identity": np.asarray(identity, dtype=object), "name": np.asarray(names, dtype=object)}
    )
    if frame.empty:
        return pd.Series(dtype=object)
    counts = frame.groupby(["identity", "name"]).size().reset_index(name="n")
    counts = counts.sort_values(["identity", "n", "name"], ascending=[True, False, True])
    shown = counts.drop_duplicates("identity").set_index("identity")["name"]
    if catalogue is not None:
        shown = pd.Series(
            {key: catalogue.name_of(str(key)) or value for key, value in shown.items()}, dtype=object
        )
    return shown.rename("name").rename_axis(None)
