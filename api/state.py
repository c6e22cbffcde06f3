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

from starlette.concurrency import run_in_threadpool

from api.users import UserStore
from application.workspace import Snapshot, Workspace
from chain_graph.settings import Settings

__all__ = ["AppState"]


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

    async def snapshot_async(self) -> Snapshot:
        """:meth:`snapshot` for ``async`` endpoints: computing happens in a worker thread."""
        fresh = self.fresh_snapshot()
        return fresh if fresh is not None else await run_in_threadpool(self.snapshot)

    def close(self) -> None:
        """Release the store, the users file and the what-if workers."""
        self.workers.shutdown(wait=False, cancel_futures=True)
        super().close()
        self.users.close()
