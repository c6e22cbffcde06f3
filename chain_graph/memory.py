"""The command's C allocator: freed memory kept for the next large table.

glibc serves a block of 32 MiB or more (a column of five million cells) with its own
``mmap`` and gives it back to the kernel when it is freed; the next such block is new memory
whose every page faults in again. Reading and validating national ledgers allocates and
frees hundreds of such arrays, and on the virtual machines measured a page fault costs
~10 µs: read + validate spent 5–8 s of 15–19 s in the kernel. :func:`keep_freed_memory`
asks glibc (``mallopt``) to serve large blocks from its heap and not to give freed memory
back: national read + validate 15.5 s → 12.5 s (three alternating runs each), peak memory
2.4 → 2.6 GiB. Each command calls it once at start (unless ``keep_freed_memory`` is off in
the settings): a command ends, and its memory with it.

The web service (``chain-graph serve``, ``api.app``) does not: it validates uploads in
worker threads, whose glibc arenas would each keep their own high-water mark for the life of
the process (a reviewer's probe: 500 MiB kept after 400 MiB of arrays were freed, against
100 MiB without), and blocks over 64 MiB allocated in a thread are mapped anew anyway.
"""

from __future__ import annotations

import ctypes
import sys

__all__ = ["keep_freed_memory"]

_M_TRIM_THRESHOLD = -1
"""mallopt: free memory at the top of the heap beyond this many bytes goes back to the kernel."""
_M_MMAP_MAX = -4
"""mallopt: the most blocks served by their own mmap (0: none, all from the heap)."""
_KEEP = 2**31 - 1  # the largest value mallopt takes (an int)


def keep_freed_memory() -> bool:
    """Ask the C allocator to keep freed memory for reuse; return whether it did.

    Only glibc (Linux) is asked; elsewhere, or where ``mallopt`` refuses, nothing changes.
    Idempotent, and for the whole process: call it from a command's start, not from a
    library. Large blocks still come from ``mmap`` when the heap cannot grow, or in a thread.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own C library
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_MAX, 0)) and bool(mallopt(_M_TRIM_THRESHOLD, _KEEP))
