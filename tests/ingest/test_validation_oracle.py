"""Validation says exactly what it said before it was made fast.

``data/validation_oracle.json`` holds the outcome (every located issue with its Chinese
message, every skipped line, every rejected row, a digest of the ledgers built) of validating
the corrupted corpora of :mod:`tests.ingest.corrupted`, saved from the per-cell validator
before it was vectorised. Any change to a check, a message or a parsed value shows here.
Re-save it (only for a deliberate change of behaviour) with
``python -m tests.ingest.test_validation_oracle``.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest

from ingest.loader import read_directory
from tests.defaults import SETTINGS
from tests.ingest.corrupted import outcome, write_corpus

EXPECTED = Path(__file__).parent / "data" / "validation_oracle.json"
CORPORA = [
    (seed, share, seed % 4 == 3) for seed, share in enumerate([0.0, 0.02, 0.06, 0.06, 0.15, 0.3, 0.04, 0.1])
]
"""(seed, share of hostile cells, as one XLSX workbook) of each corpus."""


def _validate(seed: int, share: float, xlsx: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        directory = write_corpus(Path(tmp) / "set", seed, share=share, xlsx=xlsx)
        return outcome(read_directory(directory, settings=SETTINGS))


@pytest.mark.parametrize(("seed", "share", "xlsx"), CORPORA, ids=[f"corpus-{c[0]}" for c in CORPORA])
def test_same_outcome_as_saved(seed: int, share: float, xlsx: bool) -> None:
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))[str(seed)]
    found = _validate(seed, share, xlsx)
    assert found["issues"] == expected["issues"]
    assert found["skipped"] == expected["skipped"]
    assert found["rejected"] == expected["rejected"]
    assert found == expected


def test_corpora_are_hostile_enough() -> None:
    saved = json.loads(EXPECTED.read_text(encoding="utf-8"))
    codes = {issue[0] for corpus in saved.values() for issue in corpus["issues"]}
    assert len(codes) >= 15, codes
    assert saved["0"]["counts"]["links"] > 0  # the clean corpus loads


if __name__ == "__main__":
    EXPECTED.write_text(
        json.dumps({str(c[0]): _validate(*c) for c in CORPORA}, ensure_ascii=False, indent=0) + "\n",
        encoding="utf-8",
    )
