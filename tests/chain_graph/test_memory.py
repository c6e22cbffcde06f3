"""keep_freed_memory: a freed large block is reused without faulting its pages in again."""

from __future__ import annotations

import subprocess
import sys

import pytest

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
faults()
print(kept, faults())
"""


def _second_block_faults(mode: str) -> tuple[bool, int]:
    done = subprocess.run([sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, check=True)
    kept, faults = done.stdout.split()
    return kept == "True", int(faults)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator only")
def test_a_freed_block_is_reused_without_page_faults() -> None:
    kept, faults = _second_block_faults("keep")
    assert kept
    _, plain = _second_block_faults("plain")
    pages = (64 << 20) // 4096
    assert plain > pages // 16  # given back and faulted in again (per page, or per huge page)
    assert faults < pages // 64
