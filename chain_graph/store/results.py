"""Published analyses: one data version's tables and analysis as bytes, for workers to read.

Analysing a province takes seconds and a nation about a minute; every worker of the service
needs the same result. The process that analyses a data version first publishes it
(``Store.result_put``) and the others read it (``Store.result_get``) instead of reading
the tables and analysing them again (docs/scaling.md, "The API: several workers").

A result holds the store's tables (the base, before status reports are overlaid) and the
fields the analysis computes eagerly (:class:`chain_graph.gaps.GapAnalysis`); the graph is
built again from the tables (deterministic, a fraction of the analysis). The format is
numpy's ``.npz`` (read with ``allow_pickle=False``: nothing in a result can run code),
deflated: every column as an array, strings as fixed-width unicode with a mask of missing
values (as JSON text when one ends in NUL, which such an array drops), nullable integers as
values and a mask, other object columns (the lists of the blocked table) as JSON text.
:func:`result_key` names a result by everything it depends on, so a stale one is never
read: data version, reports version, day, the settings and :data:`FORMAT`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from chain_graph.analysis import Losses
from chain_graph.gaps import GapAnalysis
from chain_graph.graph import build_graph
from chain_graph.model import LedgerTables
from chain_graph.settings import Settings

__all__ = ["FORMAT", "Published", "decode", "encode", "result_key"]

FORMAT = 1
"""Version of the format; a result of another format is not read (its key differs)."""

_FRAMES = ("blocked", "single_source")
"""The analysis's tables kept in a result (the rest of its fields are scalars or masks).

The restoration order, the exposure search's values and the substitutes are kept when the
analysis had computed them (they are computed on first use): a reader then does not compute
them again.
"""

_SECRETS = ("neo4j_password", "form_key")


def result_key(settings: Settings, *, version: int, reports_version: int, day: dt.date) -> str:
    """Name the result of one data version, reports version and day under ``settings``.

    Examples
    --------
    >>> day = dt.date(2026, 12, 1)
    >>> key = result_key(Settings(), version=3, reports_version=0, day=day)
    >>> key.startswith("v1-3-0-2026-12-01-")
    True
    >>> key == result_key(Settings(blocked_threshold=0.8), version=3, reports_version=0, day=day)
    False
    """
    shown = settings.model_dump(mode="json", exclude=set(_SECRETS))
    digest = hashlib.sha256(json.dumps(shown, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return f"v{FORMAT}-{version}-{reports_version}-{day.isoformat()}-{digest[:16]}"


@dataclass(frozen=True, eq=False)
class Published:
    """What a result gives back: the base tables, their state at its day and its analysis."""

    base: LedgerTables
    ledgers: LedgerTables
    analysis: GapAnalysis


def encode(base: LedgerTables, analysis: GapAnalysis) -> bytes:
    """Return ``base`` and the eager fields of ``analysis`` as bytes (see the module docstring).

    Raises
    ------
    ValueError
        A table whose index is not 0…n−1 or a column of a kind the format does not keep
        (the caller then does not publish; the result is computed where it is needed).
    """
    arrays: dict[str, np.ndarray] = {}
    header: dict[str, Any] = {"format": FORMAT, "frames": {}}
    for table in fields(base):
        _put_frame(arrays, header, f"ledgers.{table.name}", getattr(base, table.name))
    for name in _FRAMES:
        _put_frame(arrays, header, f"analysis.{name}", getattr(analysis, name))
    if analysis.computed("restoration_order"):
        _put_frame(arrays, header, "analysis.restoration_order", analysis.restoration_order)
    if analysis.computed("substitutes"):
        _put_frame(arrays, header, "analysis.substitutes", analysis.substitutes)
    if analysis.computed("exposure"):
        arrays["analysis.exposure_values"] = np.asarray(analysis.exposure_values, dtype=float)
    arrays["analysis.key_enterprises"] = np.asarray(analysis.key_enterprises, dtype=bool)
    header["losses"] = [analysis.losses.output, analysis.losses.investment]
    header["starved"] = list(analysis.starved)
    header["links"] = int(analysis.links)
    arrays["header"] = _text(json.dumps(header, ensure_ascii=False))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def decode(
    payload: bytes,
    *,
    settings: Settings,
    overlay: Callable[[LedgerTables], LedgerTables] | None = None,
) -> Published:
    """Return the tables and the analysis of an :func:`encode`-d result.

    ``overlay`` turns the base into the tables the analysis is of, when they are not the
    base (the status reports overlaid on it, :func:`chain_graph.campaign.state_at`); the
    graph is built from those.

    Raises
    ------
    ValueError
        The payload is not a result of this :data:`FORMAT`, or its analysis does not fit
        the graph of its tables (the caller analyses instead).
    """
    with np.load(io.BytesIO(payload), allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    header = json.loads(_untext(arrays["header"]))
    if header.get("format") != FORMAT:
        raise ValueError(f"result format {header.get('format')}, expected {FORMAT}")
    base = LedgerTables(
        **{t.name: _get_frame(arrays, header, f"ledgers.{t.name}") for t in fields(LedgerTables)}
    )
    ledgers = overlay(base) if overlay is not None else base
    graph = build_graph(ledgers)
    frames = {name: _get_frame(arrays, header, f"analysis.{name}") for name in _FRAMES}
    nodes = frames["blocked"]["node"].to_numpy(dtype=np.int64)
    ids = frames["blocked"]["id"].to_numpy(dtype=object)
    if nodes.size and (nodes.max() >= graph.n or (graph.ids[nodes].astype(str) != ids).any()):
        raise ValueError("the result's blocked suppliers are not the graph's")
    key = arrays["analysis.key_enterprises"]
    if key.shape != (graph.n,):
        raise ValueError("the result's key enterprises are not the graph's")
    output, investment = header["losses"]
    known = arrays.get("analysis.exposure_values")
    if known is not None and known.shape != (graph.n,):
        raise ValueError("the result's exposure values are not the graph's")
    restoration = _kept_frame(arrays, header, "analysis.restoration_order")
    substitutes = _kept_frame(arrays, header, "analysis.substitutes")
    if substitutes is not None and not substitutes["supplier_id"].isin(ids).all():
        raise ValueError("the result's substitutes are not of its blocked suppliers")
    analysis = GapAnalysis(
        graph=graph,
        losses=Losses(output, investment),
        starved=list(header["starved"]),
        links=int(header["links"]),
        key_enterprises=key,
        settings=settings,
        known_exposure=known,
        known_restoration=restoration,
        known_substitutes=substitutes,
        **frames,
    )
    return Published(base=base, ledgers=ledgers, analysis=analysis)


def _text(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _untext(array: np.ndarray) -> str:
    return array.tobytes().decode("utf-8")


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not kept in a result")


def _put_frame(arrays: dict[str, np.ndarray], header: dict[str, Any], name: str, frame: pd.DataFrame) -> None:
    index = frame.index
    if not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1):
        raise ValueError(f"{name}: the index is not 0…n−1")
    columns = []
    for i, column in enumerate(frame.columns):
        series = frame[column]
        dtype = str(series.dtype)
        key = f"{name}.{i}"
        encoding = "array"
        if isinstance(series.dtype, pd.StringDtype) or dtype == "str":
            missing = series.isna().to_numpy()
            values = series.to_numpy(dtype=object, na_value="")
            if any(v.endswith("\x00") for v in values):  # a fixed-width array drops trailing NULs
                encoding = "json"
                pairs = zip(values.tolist(), missing.tolist(), strict=True)
                kept = [None if gone else v for v, gone in pairs]
                arrays[key] = _text(json.dumps(kept))
            else:
                arrays[key] = np.array(values, dtype=str) if len(values) else np.zeros(0, dtype="U1")
                if missing.any():
                    arrays[f"{key}.na"] = missing
        elif dtype in ("Int64", "Int32", "boolean"):
            missing = series.isna().to_numpy()
            arrays[key] = series.to_numpy(dtype="int64" if dtype != "boolean" else bool, na_value=0)
            arrays[f"{key}.na"] = missing
        elif series.dtype.kind in "biuf":
            arrays[key] = series.to_numpy()
        elif dtype == "object":
            arrays[key] = _text(json.dumps(series.tolist(), default=_plain, ensure_ascii=False))
        else:
            raise ValueError(f"{name}.{column}: a column of type {dtype} is not kept in a result")
        columns.append({"name": column, "dtype": dtype, "encoding": encoding})
    header["frames"][name] = {"columns": columns, "rows": len(frame)}


def _kept_frame(arrays: dict[str, np.ndarray], header: dict[str, Any], name: str) -> pd.DataFrame | None:
    """Return the table ``name`` of a figure computed on first use, ``None`` when it was not kept."""
    return _get_frame(arrays, header, name) if name in header["frames"] else None


def _get_frame(arrays: dict[str, np.ndarray], header: dict[str, Any], name: str) -> pd.DataFrame:
    spec = header["frames"][name]
    data: dict[str, Any] = {}
    for i, column in enumerate(spec["columns"]):
        key, dtype = f"{name}.{i}", column["dtype"]
        missing = arrays.get(f"{key}.na")
        if dtype == "object" or column.get("encoding") == "json":
            values: Any = pd.Series(json.loads(_untext(arrays[key])), dtype=dtype)
        elif dtype in ("Int64", "Int32", "boolean") or dtype == "str" or dtype.startswith("string"):
            objects = arrays[key].astype(object)
            if missing is not None:
                objects[missing] = None
            values = pd.Series(objects, dtype=dtype)
        else:
            values = pd.Series(arrays[key], dtype=dtype)
        data[column["name"]] = values
    frame = pd.DataFrame(data, index=pd.RangeIndex(spec["rows"]))
    return frame[[c["name"] for c in spec["columns"]]] if spec["columns"] else frame
