"""docker-compose.yml and the Dockerfile, checked by structure (no Docker engine here)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return loaded


def test_services_and_images(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"neo4j", "chain-graph"}
    assert services["neo4j"]["image"] == "neo4j:5.26-community"
    assert services["chain-graph"]["build"] == "."
    assert (ROOT / "Dockerfile").is_file()


def test_neo4j_has_a_healthcheck_a_volume_and_auth_from_the_environment(
    compose: dict[str, Any],
) -> None:
    neo4j = compose["services"]["neo4j"]
    assert "cypher-shell" in " ".join(neo4j["healthcheck"]["test"])
    assert any(v.split(":")[1] == "/data" for v in neo4j["volumes"])
    assert neo4j["volumes"][0].split(":")[0] in compose["volumes"]
    # The password must be given: ${VAR:?message} makes compose refuse to start without it.
    assert re.fullmatch(r"neo4j/\$\{NEO4J_PASSWORD:\?[^}]+\}", neo4j["environment"]["NEO4J_AUTH"])


def test_the_service_waits_for_a_healthy_neo4j_and_uses_it(compose: dict[str, Any]) -> None:
    service = compose["services"]["chain-graph"]
    assert service["depends_on"] == {"neo4j": {"condition": "service_healthy"}}
    assert service["environment"]["CHAIN_GRAPH_STORE"] == "neo4j://neo4j:7687"
    assert service["environment"]["NEO4J_PASSWORD"].startswith("${NEO4J_PASSWORD:?")
    assert "/health" in " ".join(service["healthcheck"]["test"])


@pytest.mark.parametrize("service", ["neo4j", "chain-graph"])
def test_ports_are_bound_to_loopback_by_default(compose: dict[str, Any], service: str) -> None:
    for mapping in compose["services"][service]["ports"]:
        host = mapping.rsplit(":", 2)[0]
        assert re.fullmatch(r"\$\{[A-Z0-9_]+:-127\.0\.0\.1\}", host), mapping


def test_the_dockerfile_installs_every_package_the_distribution_declares() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    packages = re.search(r"include = \[([^\]]+)\]", pyproject)
    assert packages
    for name in re.findall(r'"(\w+)\*"', packages.group(1)):
        assert re.search(rf"^COPY {name} \./{name}$", dockerfile, re.MULTILINE), name
    assert "USER chain-graph" in dockerfile
    assert 'CMD ["chain-graph", "serve"' in dockerfile
