"""What the web service holds between requests: the workspace, the users, the what-if workers.

The data and everything derived from it live in :class:`application.workspace.Workspace`
(one analysis per data version, one problem-ledger read per ledger version); this adds what
only a web service has: the users and their tokens, the key that signs console forms, and a
small pool for what-if scenarios with a time limit.
"""

from __future__ import annotations

import concurrent.futures
import secrets
import threading
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool

from api.users import UserStore
from application.scenarios import what_if
from application.visibility import Visibility
from application.workspace import Snapshot, Workspace
from chain_graph.errors import BusyError, TimeLimitError
from chain_graph.scenarios import Scenario
from chain_graph.settings import Settings

__all__ = ["AppState"]


_BACKGROUND_GRACE_S = 120.0
"""How long closing waits for background work (a national analysis takes under a minute)."""


class AppState(Workspace):
    """The service's long-lived parts.

    Parameters
    ----------
    settings
        Deployment settings (store URL, users file, limits).
    """

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.users = UserStore(settings.auth_db)
        self.workers = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="scenario")
        self.scenario_slots = threading.BoundedSemaphore(2)
        shared = settings.form_key.get_secret_value() if settings.form_key else ""
        # Workers of one service share the key; without one, forms of an earlier process expire.
        self.csrf_key = shared.encode() if shared else secrets.token_bytes(32)
        self._background: list[threading.Thread] = []
        self._background_lock = threading.Lock()

    def background(self, work: Callable[[], object], *, name: str) -> threading.Thread:
        """Run ``work`` in a thread the answer does not wait for, but :meth:`close` does.

        Work after an import (analysing the new tables, installing them) reads the store:
        closing the store under it would pull the connection from under a running query.
        """
        thread = threading.Thread(target=work, name=name, daemon=True)
        with self._background_lock:
            self._background = [t for t in self._background if t.is_alive()]
            self._background.append(thread)
        thread.start()
        return thread

    def publish(self, snap: Snapshot) -> None:
        """Publish ``snap``'s analysis for the other workers, after the answer (:meth:`background`).

        An incremental update (a status report) is not published, but this worker still
        computes its substitutes ahead, for its own pages (:meth:`Workspace.compute_ahead`).
        """

        def work() -> None:
            Workspace.publish(self, snap)
            if snap.updated:
                self.compute_ahead(snap)

        self.background(work, name="publish-analysis")

    async def snapshot_async(self) -> Snapshot:
        """:meth:`snapshot` for ``async`` endpoints: computing happens in a worker thread."""
        fresh = self.fresh_snapshot()
        return fresh if fresh is not None else await run_in_threadpool(self.snapshot)

    def what_if(self, snap: Snapshot, vis: Visibility, scenario: Scenario) -> dict[str, Any]:
        """Run a what-if in the pool: at most two at a time, within ``scenario_timeout_s``.

        Raises
        ------
        BusyError
            Two what-ifs are running already.
        TimeLimitError
            This one outlived the time limit (it still frees its slot when it ends: a
            thread cannot be killed).
        """
        if not self.scenario_slots.acquire(blocking=False):
            raise BusyError("情景推演繁忙，请稍后再试")
        future = self.workers.submit(what_if, snap, vis, scenario)
        future.add_done_callback(lambda _: self.scenario_slots.release())
        limit = self.settings.scenario_timeout_s
        try:
            return future.result(timeout=limit)
        except concurrent.futures.TimeoutError:
            raise TimeLimitError(f"情景推演超过 {limit:g} 秒未完成，请缩小情景范围") from None

    def close(self) -> None:
        """Release the store, the users file and the what-if workers, once background work is done."""
        with self._background_lock:
            running = list(self._background)
        for thread in running:
            thread.join(timeout=_BACKGROUND_GRACE_S)
        self.workers.shutdown(wait=False, cancel_futures=True)
        super().close()
        self.users.close()
