"""The repository explains itself: the binding contract is kept in docs/spec, in step with the
steering copy, and the README's code map names every package."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "docs" / "spec"
STEERING = ROOT.parent / "shared" / "spec"
"""Where the steering team keeps the contract (beside the clone, on the team's machines and CI)."""


def test_the_contract_is_in_the_repository() -> None:
    assert sorted(p.name for p in SPEC.glob("*.md")) == [
        "analysis.md",
        "campaign.md",
        "ledgers.md",
        "supply.md",
    ]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("analysis", "campaign", "ledgers", "supply"):
        assert f"(docs/spec/{name}.md)" in readme, name


@pytest.mark.skipif(not STEERING.is_dir(), reason="no steering copy of the spec beside this clone")
@pytest.mark.parametrize("name", ["analysis.md", "campaign.md", "ledgers.md", "supply.md"])
def test_the_contract_is_in_step_with_the_steering_copy(name: str) -> None:
    assert (SPEC / name).read_text(encoding="utf-8") == (STEERING / name).read_text(encoding="utf-8"), (
        f"docs/spec/{name} differs from the binding copy: copy it over and adapt what changed"
    )


def test_the_code_map_names_every_package() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout") :]
    packages = [p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file() and p.name != "tests"]
    for package in packages:
        assert re.search(rf"^\| `{package}/` \|", layout, re.MULTILINE), package
