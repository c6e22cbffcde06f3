"""The process's memory: freed memory kept for the next large table, pages of 4 KiB.

Two settings of the whole process, each measured on national read + validate.

**Freed memory kept** (:func:`keep_freed_memory`, commands only). glibc serves a block of
32 MiB or more (a column of five million cells) with its own ``mmap`` and gives it back to
the kernel when it is freed; the next such block is new memory whose every page faults in
again. Reading and validating national ledgers allocates and frees hundreds of such arrays,
and read + validate spent 5–8 s of 15–19 s in the kernel faulting pages in.
:func:`keep_freed_memory` asks glibc (``mallopt``) to serve large blocks from its heap and
not to give freed memory back: national read + validate 15.5 s → 12.5 s (three alternating
runs each), peak memory 2.4 → 2.6 GiB. Each command calls it once at start (unless
``keep_freed_memory`` is off in the settings): a command ends, and its memory with it.

The web service (``chain-graph serve``, ``api.app``) does not: it validates uploads in
worker threads, whose glibc arenas would each keep their own high-water mark for the life of
the process (a reviewer's probe: 500 MiB kept after 400 MiB of arrays were freed, against
100 MiB without), and blocks over 64 MiB allocated in a thread are mapped anew anyway.

**Small pages** (:func:`small_pages`, commands and the web service). numpy asks the kernel
for transparent huge pages for every large array (``madvise``), and Arrow's allocator
(mimalloc) for its arenas. On the virtual machines measured a huge page's first touch costs
far more than its 512 small pages': converting eight columns of five million codes took
0.93 s (0.92 s in the kernel) in huge pages and 0.21 s in small ones, and Arrow's read of the
links CSV 1.48 s against 0.71 s. National read + validate, five alternating rounds: median
14.1 s → 12.9 s with freed memory kept, and no slower as the web service runs it.
"""

from __future__ import annotations

import ctypes
import sys

__all__ = ["keep_freed_memory", "small_pages"]

_M_TRIM_THRESHOLD = -1
"""mallopt: free memory at the top of the heap beyond this many bytes goes back to the kernel."""
_M_MMAP_MAX = -4
"""mallopt: the most blocks served by their own mmap (0: none, all from the heap)."""
_KEEP = 2**31 - 1  # the largest value mallopt takes (an int)
_PR_SET_THP_DISABLE = 41
"""prctl: no transparent huge pages for this process (and its children)."""


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


def small_pages() -> bool:
    """Have the kernel fault this process's memory in small pages; return whether it did.

    Transparent huge pages are turned off for the process (``prctl(PR_SET_THP_DISABLE)``,
    Linux 3.15 and later): ``madvise`` asking for them (numpy, mimalloc) is then ignored.
    Memory already faulted in stays as it is. Elsewhere, or where the kernel refuses,
    nothing changes. Idempotent, for the whole process: call it from a command's start.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return False
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return bool(prctl(_PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0)
