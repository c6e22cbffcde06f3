"""``chain-graph serve``: its port, and a real multi-process service behind one SQLite store.

A taken port is a clear error before anything starts; 已启动 means the service answers.
With ``--workers 2`` every console form is posted on a fresh connection, so the kernel
spreads them over both workers: a form token signed by one worker must be accepted by the
other, and each update must land exactly once in the shared ledger.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from typer.testing import CliRunner

from chain_graph.store.sqlite import SQLiteStore
from cli import common
from cli.common import load_settings
from cli.serve import serve_settings
from ingest.loader import read_directory
from tests.api.conftest import head_only
from tests.defaults import SETTINGS
from tests.neo4j_server import free_port

CLI = str(Path(sys.executable).parent / "chain-graph")
POSTS = 16


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_taken_port_is_a_clear_error_before_anything_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    from cli.main import app

    auth = tmp_path / "auth.db"
    monkeypatch.setenv("CHAIN_GRAPH_AUTH_DB", str(auth))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = CliRunner().invoke(
            app, ["serve", "--port", port, "--workers", workers, "--store", f"sqlite:///{tmp_path}/s.db"]
        )
    assert result.exit_code == 2, result.output
    assert f"错误（CG101）：端口 {port} 已被占用" in result.output
    assert "--port 换一个端口" in result.output
    assert "已启动" not in result.output
    assert "Traceback" not in result.output
    assert not auth.exists()  # no first admin created (and its token shown) for a service that never ran


def test_started_is_printed_once_the_service_answers(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAIN_GRAPH_")}
    env |= {"CHAIN_GRAPH_AUTH_DB": str(tmp_path / "auth.db"), "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli.main",
            "serve",
            "--port",
            str(port),
            "--store",
            f"sqlite:///{tmp_path}/s.db",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        lines = []
        for line in server.stdout:
            lines.append(line)
            if "已启动" in line:
                break
        assert any("已启动" in line for line in lines), "".join(lines)
        # No retry: once 已启动 is printed, the service answers.
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).json() == {"status": "ok"}
        assert sum("已启动" in line for line in lines) == 1
    finally:
        server.send_signal(signal.SIGINT)  # Ctrl-C
        rest, _ = server.communicate(timeout=30)
    assert server.returncode == 0, rest  # Ctrl-C ends it quietly
    assert "Traceback" not in rest


@pytest.fixture
def served(tmp_path: Path, canonical_dir: Path) -> Iterator[tuple[str, str, subprocess.Popen[bytes]]]:
    url = f"sqlite:///{tmp_path}/served.db"
    with SQLiteStore(url, batch_size=SETTINGS.write_batch_size) as store:
        store.write(read_directory(canonical_dir, settings=SETTINGS).ledgers)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAIN_GRAPH_")}
    env["CHAIN_GRAPH_AUTH_DB"] = str(tmp_path / "auth.db")
    added = subprocess.run(
        [CLI, "users", "add", "admin", "--role", "admin"], env=env, check=True, capture_output=True, text=True
    ).stdout
    token = re.search(r"cg_[A-Za-z0-9_-]+", added)
    assert token, added
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [CLI, "serve", "--port", str(port), "--workers", "2", "--store", url],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, log.read_text(errors="replace")
            time.sleep(0.1)
        yield base, token.group(0), server
    finally:
        server.terminate()
        server.wait(30)


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc: field 4 of stat, after the name)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_two_workers_share_form_keys_and_one_ledger(served: tuple[str, str, subprocess.Popen[bytes]]) -> None:
    base, token, server = served
    assert len(_children(server.pid)) >= 2  # uvicorn's supervisor and its worker processes
    created = httpx.post(
        f"{base}/ledger",
        json={"subject_id": "E1", "description": "钢材断供"},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    login = httpx.post(f"{base}/console/login", data={"token": token})
    cookies = login.history[0].cookies if login.history else login.cookies
    page = httpx.get(f"{base}/console/ledger", cookies=cookies)
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert csrf, page.text[:500]
    version = created["version"]
    for number in range(POSTS):
        with httpx.Client(cookies=cookies) as fresh:  # a new connection: either worker
            answer = fresh.post(
                f"{base}/console/ledger/{created['id']}",
                data={
                    "action": "note",
                    "version": str(version),
                    "note": f"第 {number} 次进展",
                    "csrf": csrf.group(1),
                },
            )
        assert answer.status_code == 303, answer.text[:300]  # done: back to the item's page
        version += 1
    item = httpx.get(f"{base}/ledger/{created['id']}", headers={"Authorization": f"Bearer {token}"}).json()
    assert item["version"] == created["version"] + POSTS


def test_the_security_probe_replayed_against_chain_graph_serve(
    served: tuple[str, str, subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    """The probe's requests, against a real ``chain-graph serve`` (two workers)."""
    base, admin, _ = served
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAIN_GRAPH_")}
    env["CHAIN_GRAPH_AUTH_DB"] = str(tmp_path / "auth.db")
    added = subprocess.run(
        [CLI, "users", "add", "鹤城区工信局", "--role", "county", "--county", "431202"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found = re.search(r"cg_[A-Za-z0-9_-]+", added)
    assert found
    county = {"Authorization": f"Bearer {found.group(0)}"}
    # 芷江's firm (E2) is no partner of 鹤城区's entities: named nowhere, not even by a what-if.
    with httpx.Client(base_url=base, timeout=30) as http:
        assert http.post("/analysis/scenarios", json={"stop": ["E2"]}, headers=county).status_code == 404
        by_region = http.post("/analysis/scenarios", json={"stop_regions": ["431228"]}, headers=county)
        assert by_region.status_code == 200
        for path in ("/maps/city", "/maps/upstream/P1?depth=10", "/firms", "/links", "/analysis/blocked"):
            assert "芷江乙食品" not in http.get(path, headers=county).text, path
        assert "芷江乙食品" not in by_region.text
        # A logged-in browser cannot write through the API from another site.
        version = http.get("/ready").json()["data_version"]
        login = http.post("/console/login", data={"token": admin})
        assert login.status_code in (200, 303)
        files = {"files": ("enterprises.csv", b"id,name\nE9,x\n", "text/csv")}
        hostile = http.post(
            "/imports",
            files=files,
            data={"replace": "true"},
            headers={"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
        )
        assert hostile.status_code == 401
        assert http.get("/ready").json()["data_version"] == version
    # No body is read before 401 or 413.
    assert (
        head_only(base, f"POST /imports HTTP/1.1\nHost: x\nContent-Length: {80 << 20}\n").split()[1] == "401"
    )
    too_big = f"POST /imports HTTP/1.1\nHost: x\nAuthorization: Bearer {admin}\nContent-Length: {80 << 20}\n"
    assert head_only(base, too_big).split()[1] == "413"


@pytest.mark.parametrize(("load", "kept"), [(load_settings, True), (lambda: serve_settings(None), False)])
def test_commands_keep_freed_memory_and_the_service_does_not(
    monkeypatch: pytest.MonkeyPatch, load: Callable[[], object], kept: bool
) -> None:
    """A command's allocator keeps freed memory; the web service's threads would each keep their peak.

    Both fault memory in small pages (``huge_pages`` off), and neither when it is on.
    """
    calls: list[str] = []
    monkeypatch.setattr(common, "keep_freed_memory", lambda: calls.append("kept"))
    monkeypatch.setattr(common, "small_pages", lambda: calls.append("small"))
    load()
    assert calls == (["small", "kept"] if kept else ["small"])
    calls.clear()
    monkeypatch.setenv("CHAIN_GRAPH_HUGE_PAGES", "true")
    load()
    assert calls == (["kept"] if kept else [])
