"""keep_freed_memory: a freed large block is reused without faulting its pages in again."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
import ctypes, resource, sys
import numpy as np
from chain_graph.memory import small_pages
if sys.argv[1] == "small":
    small = small_pages()
else:  # the control: huge pages allowed again (a parent that turned them off passes that on)
    small = ctypes.CDLL(None).prctl(41, 0, 0, 0, 0) != 0
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
block = np.ones(64 << 20, dtype=np.uint8)  # numpy asks for huge pages (madvise) when it may
print(small, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _page_faults(mode: str) -> tuple[bool, int]:
    done = subprocess.run([sys.executable, "-c", _PAGES, mode], capture_output=True, text=True, check=True)
    small, faults = done.stdout.split()
    return small == "True", int(faults)


def test_small_pages_fault_a_large_array_in_4_kib_pages() -> None:
    small, faults = _page_faults("small")
    assert small
    assert faults >= (64 << 20) // 4096 * 9 // 10  # a fault per small page, not one per 2 MiB
    modes = Path("/sys/kernel/mm/transparent_hugepage/enabled")
    if modes.exists() and "[never]" not in modes.read_text():  # the control, where huge pages exist
        assert _page_faults("huge")[1] < faults // 4
