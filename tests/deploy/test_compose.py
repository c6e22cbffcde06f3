"""docker-compose.yml and the Dockerfile against the code they deploy (no Docker engine here).

These do not restate the files: each checks that a part of the deployment agrees with the
program it runs — the environment configures the service, the health check names a route
that answers, the ports line up, the image is the Neo4j the tests run, the image holds every
package, and the two safety properties (a required password, loopback by default) hold.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from api.app import create_app
from chain_graph.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return loaded


def _interpolate(value: str, given: dict[str, str]) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?message}`` (which refuses)."""

    def one(match: re.Match[str]) -> str:
        name, kind, rest = match.group(1), match.group(2), match.group(3)
        if name in given:
            return given[name]
        if kind == ":?":
            raise KeyError(f"compose refuses to start without {name}: {rest}")
        return rest if kind == ":-" else ""

    return re.sub(r"\$\{([A-Z0-9_]+)(:[-?])?([^}]*)\}", one, value)


def test_the_service_environment_configures_the_service(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in compose["services"]["chain-graph"]["environment"].items():
        monkeypatch.setenv(name, _interpolate(str(value), {"NEO4J_PASSWORD": "s3cret-pw"}))
    settings = Settings(_env_file=None)
    # The store is the neo4j service of this file, on the port that service serves.
    store = re.fullmatch(r"neo4j://([\w-]+):(\d+)", settings.store)
    assert store is not None
    host, port = store.groups()
    assert host in compose["services"]
    assert any(m.endswith(f":{port}") for m in compose["services"][host]["ports"])
    assert settings.neo4j_password is not None
    assert settings.neo4j_password.get_secret_value() == "s3cret-pw"
    assert settings.home_adcode == "431200"


def test_a_password_is_required_by_both_services(compose: dict[str, Any]) -> None:
    for name in ("neo4j", "chain-graph"):
        environment = compose["services"][name]["environment"]
        with pytest.raises(KeyError, match="NEO4J_PASSWORD"):
            [_interpolate(str(v), {}) for v in environment.values()]
    neo4j_env = {
        k: _interpolate(str(v), {"NEO4J_PASSWORD": "pw"})
        for k, v in compose["services"]["neo4j"]["environment"].items()
    }
    assert neo4j_env["NEO4J_AUTH"] == "neo4j/pw"  # the server's password is the one the service uses


def test_the_service_waits_for_neo4j_to_be_healthy(compose: dict[str, Any]) -> None:
    service = compose["services"]["chain-graph"]
    for needed in service["depends_on"]:
        assert service["depends_on"][needed] == {"condition": "service_healthy"}
        assert "healthcheck" in compose["services"][needed]


def test_the_health_check_names_a_route_that_answers_without_login(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    command = " ".join(compose["services"]["chain-graph"]["healthcheck"]["test"])
    url = re.search(r"http://127\.0\.0\.1:(\d+)(/[\w/]*)", command)
    assert url is not None
    settings = Settings(store=f"sqlite:///{tmp_path}/h.db", auth_db=str(tmp_path / "auth.db"))
    with TestClient(create_app(settings)) as client:
        assert client.get(url.group(2)).status_code == 200
    assert url.group(1) == _served_port()


def _command() -> list[str]:
    """The image's CMD (exec form)."""
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    assert cmd is not None
    args: list[str] = yaml.safe_load(cmd.group(1))
    return args


def _served_port() -> str:
    args = _command()
    return args[args.index("--port") + 1]


def test_ports_line_up(compose: dict[str, Any]) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert f"EXPOSE {_served_port()}" in dockerfile
    container_ports = {m.rsplit(":", 1)[1] for m in compose["services"]["chain-graph"]["ports"]}
    assert container_ports == {_served_port()}


@pytest.mark.parametrize("service", ["neo4j", "chain-graph"])
def test_ports_are_bound_to_loopback_by_default(compose: dict[str, Any], service: str) -> None:
    for mapping in compose["services"][service]["ports"]:
        host = _interpolate(mapping.rsplit(":", 2)[0], {})
        assert host == "127.0.0.1", mapping


def test_the_neo4j_image_is_the_version_the_tests_run(compose: dict[str, Any]) -> None:
    pom = (ROOT / "services" / "neo4j" / "pom.xml").read_text(encoding="utf-8")
    tested = re.search(r"<neo4j.version>(\d+\.\d+)\.\d+</neo4j.version>", pom)
    assert tested is not None
    image = compose["services"]["neo4j"]["image"]
    assert image == f"neo4j:{tested.group(1)}-community"


def test_the_image_holds_every_package_the_distribution_declares() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    packages = re.search(r"include = \[([^\]]+)\]", pyproject)
    assert packages
    for name in re.findall(r'"(\w+)\*"', packages.group(1)):
        assert re.search(rf"^COPY {name} \./{name}$", dockerfile, re.MULTILINE), name
    assert "USER chain-graph" in dockerfile  # not root
    assert _command()[:2] == ["chain-graph", "serve"]
