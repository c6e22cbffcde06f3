"""Resource bounds for hostile-input tests: no hang, no unbounded read.

:func:`bounded` fails a case whose resident memory grows by more than ``mib`` at its peak,
or that gives no answer within ``seconds`` (SIGALRM). Memory is the kernel's high-water
mark (``VmHWM``, reset through ``/proc/self/clear_refs``), so it counts every allocation,
zlib's and expat's included, at no cost to the case; where that file cannot be written the
peak comes from tracemalloc instead (slower, Python-visible allocations only).
The limits are generous on purpose: they catch a reader that inflates a bomb or keeps a
million empty rows, never a merely slow machine; speed itself is measured in ``bench/``.
"""

from __future__ import annotations

import signal
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


class Unbounded(AssertionError):
    """A case went past its time or memory bound."""


def _status_kib(field: str) -> int:
    for line in _STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def _reset_peak() -> bool:
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


@contextmanager
def bounded(*, mib: int, seconds: int) -> Iterator[None]:
    def _expired(_signal: int, _frame: FrameType | None) -> None:
        raise Unbounded(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.alarm(seconds)
    kernel = _reset_peak()
    before = _status_kib("VmRSS") if kernel else 0
    if not kernel:
        tracemalloc.start()
    try:
        yield
        if kernel:
            grown = (_status_kib("VmHWM") - before) / 1024
        else:
            grown = tracemalloc.get_traced_memory()[1] / (1 << 20)
        if grown > mib:
            raise Unbounded(f"memory grew by {grown:.0f} MiB at its peak (bound {mib} MiB)")
    finally:
        if not kernel:
            tracemalloc.stop()
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
