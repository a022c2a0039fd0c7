"""Freed tensor memory kept in the process for the next batch (glibc's malloc).

glibc serves a large allocation with its own ``mmap`` and unmaps it when it is
freed (above a threshold that adapts up to 32 MiB), and gives the top of the
heap back to the OS past a trim threshold. A forward pass allocates and frees
activations of several MiB in every layer, so each batch touches fresh pages,
one page fault per 4 KiB: 0.41 to 0.46 million faults in `python -m infer` over
the 192 long benchmark articles, about 5 % of the run. Raising both thresholds
keeps the freed memory in the heap for reuse (0.14 million faults there), at the
cost of holding it (peak RSS about 45 MB higher).

Both thresholds move together: fixing either one switches off glibc's adaptive
mmap threshold, so the mmap threshold alone left the trim at its 128 KiB default
(1.5 million faults) and the trim threshold alone sent every block over 128 KiB
to mmap again (8.6 million). Values under 32 MiB, the adaptive threshold's
ceiling, would be worse than glibc's default and are refused.
"""

from __future__ import annotations

import ctypes
import os

M_TRIM_THRESHOLD = -1  # glibc's <malloc.h>
M_MMAP_THRESHOLD = -3
MIN_BYTES = 32 * 2**20  # glibc's adaptive mmap threshold goes up to this on 64-bit systems
MAX_BYTES = 2**31 - 1  # mallopt takes a C int


ALLOWED = f"0 (malloc as it is) or {MIN_BYTES} (32 MiB) to {MAX_BYTES} bytes"


class MemorySettingError(ValueError):
    pass


def allowed(max_bytes) -> bool:
    """Whether ``keep_freed_bytes`` may take this value: the one rule, also behind `python -m infer`'s settings."""
    return isinstance(max_bytes, int) and not isinstance(max_bytes, bool) and (
        max_bytes == 0 or MIN_BYTES <= max_bytes <= MAX_BYTES)


def glibc() -> bool:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION") is not None
    except (ValueError, OSError, AttributeError):  # not a name this platform knows
        return False


def keep_freed_memory(max_bytes: int) -> bool:
    """Keep up to ``max_bytes`` of freed memory in the heap; whether it took effect (glibc only; 0: leave malloc as it is).

    Process-wide: called by the commands (`python -m infer`, `python -m train`), never on import.
    """
    if not allowed(max_bytes):
        raise MemorySettingError(f"keep_freed_bytes={max_bytes}: must be {ALLOWED}")
    if max_bytes == 0 or not glibc():
        return False
    mallopt = ctypes.CDLL(None).mallopt  # the C library this process already runs on
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, max_bytes)) and bool(mallopt(M_TRIM_THRESHOLD, max_bytes))
