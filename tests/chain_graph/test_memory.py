"""keep_freed_memory: a freed large block is reused without faulting its pages in again."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import ctypes, resource, sys
from chain_graph.memory import keep_freed_memory
kept = keep_freed_memory() if sys.argv[1] == "keep" else False
libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
size = 64 << 20
def faults():
    block = libc.malloc(size)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    ctypes.memset(block, 1, size)  # touch every page
    after = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    libc.free(block)
    return after - before
print(kept, faults(), faults())
"""


def _faults(mode: str) -> tuple[bool, int, int]:
    """Whether the allocator was asked, and the page faults of a first and of a second block."""
    done = subprocess.run([sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, check=True)
    kept, first, second = done.stdout.split()
    return kept == "True", int(first), int(second)


def test_a_freed_block_is_reused_without_page_faults() -> None:
    kept, first, second = _faults("keep")
    assert kept
    assert first > 0
    assert second <= first // 8  # the first block's pages, kept and used again
    plain = _faults("plain")
    assert not plain[0]
    assert plain[2] >= plain[1] // 2  # given back, and faulted in again (pages or huge pages)


_PAGES = """
import resource, sys
import numpy as np
from chain_graph.memory import small_pages
small = small_pages() if sys.argv[1] == "small" else False
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
block = np.ones(64 << 20, dtype=np.uint8)  # numpy asks for huge pages (madvise) when it may
print(small, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def test_small_pages_fault_a_large_array_in_4_kib_pages() -> None:
    done = subprocess.run([sys.executable, "-c", _PAGES, "small"], capture_output=True, text=True, check=True)
    small, faults = done.stdout.split()
    assert small == "True"
    assert int(faults) >= (64 << 20) // 4096 * 9 // 10  # a fault per small page, not one per 2 MiB
