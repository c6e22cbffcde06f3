"""A real Neo4j for the tests, run by ``services/neo4j/neo4j.sh`` (no Docker, no mock)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "services" / "neo4j" / "neo4j.sh"


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Neo4jServer:
    """One local Neo4j instance with its data in ``home``."""

    home: Path
    port: int
    password: str | None = None

    @property
    def url(self) -> str:
        """Bolt URL of the instance."""
        return f"bolt://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start (or restart on the same data) and wait until Bolt answers; raise on failure."""
        env = dict(os.environ, NEO4J_HEAP=os.environ.get("NEO4J_HEAP", "768m"))
        env.pop("NEO4J_PASSWORD", None)
        if self.password:
            env["NEO4J_PASSWORD"] = self.password
        result = subprocess.run(
            [str(SCRIPT), "start", str(self.home), str(self.port)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=900,
        )
        if result.returncode != 0:
            msg = f"could not start Neo4j for the tests:\n{result.stdout}\n{result.stderr}"
            raise RuntimeError(msg)

    def stop(self) -> None:
        """Stop cleanly."""
        subprocess.run([str(SCRIPT), "stop", str(self.home)], capture_output=True, check=False, timeout=120)

    def kill(self) -> None:
        """SIGKILL the server, as a crash or a pulled plug would."""
        pid = int((self.home / "chain-graph-neo4j.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        _wait_gone(pid)


def _wait_gone(pid: int) -> None:
    import time

    for _ in range(400):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
