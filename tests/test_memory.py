"""Freed tensor memory kept for the next batch (glibc's malloc), as `python -m infer` and `python -m train` set it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sitrep.runtime.memory import MAX_BYTES, MIN_BYTES, MemorySettingError, glibc, keep_freed_memory

ROOT = Path(__file__).resolve().parent.parent
RAW = sorted((ROOT / "data" / "raw").glob("*.txt"))
PAGES = 48 * 2**20 // 4096  # one 48 MiB tensor: 12,288 pages of 4 KiB

# Allocates, fills and frees 48 MiB ten times, as a forward pass does with each batch's activations, and prints the
# page faults of the last nine rounds. malloc itself, not torch: torch's aligned allocations leave fragments between
# rounds that make its counts vary from run to run. mallopt is process-wide and one-way, hence a process per case.
ROUNDS = """
import ctypes, resource, sys
from sitrep.runtime.memory import keep_freed_memory
print(keep_freed_memory(int(sys.argv[1])))
libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
def round():
    p = libc.malloc(48 * 2**20)
    ctypes.memset(p, 1, 48 * 2**20)
    libc.free(p)
round()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(9):
    round()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def faults(keep: int) -> tuple[str, int]:
    proc = subprocess.run([sys.executable, "-c", ROUNDS, str(keep)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    took, count = proc.stdout.split()
    return took, int(count)


@pytest.mark.skipif(not glibc(), reason="mallopt thresholds are glibc's")
def test_kept_memory_is_reused_instead_of_page_faulted_in_again():
    took, default = faults(0)
    assert took == "False"
    assert default >= 9 * PAGES  # mmapped, and unmapped when freed: every round faults all its pages in again
    took, kept = faults(2**30)
    assert took == "True"
    assert kept < PAGES // 100  # the first round's pages serve the other nine (9 x 12,289 faults without)


@pytest.mark.parametrize("value", [-1, 1, MIN_BYTES - 1, MAX_BYTES + 1, True, "1073741824", 2.0**30])
def test_keep_freed_memory_refuses_what_would_hurt_or_mallopt_cannot_take(value):
    """Under 32 MiB a fixed threshold is worse than glibc's adaptive one; over a C int mallopt cannot take it."""
    with pytest.raises(MemorySettingError, match=rf"^keep_freed_bytes={value}: must be 0 \(malloc as it is\) or "
                                                 rf"33554432 \(32 MiB\) to 2147483647 bytes$"):
        keep_freed_memory(value)


def test_zero_leaves_malloc_as_it_is():
    assert keep_freed_memory(0) is False


PROBE = """
import atexit, json, os
import sitrep.runtime.memory as memory
calls, keep = [], memory.keep_freed_memory
def recorded(n):
    calls.append([n, keep(n)])
    return calls[-1][1]
memory.keep_freed_memory = recorded
atexit.register(lambda: open(os.environ["MALLOC_PROBE"], "w").write(json.dumps(calls)))
"""


@pytest.mark.slow
@pytest.mark.parametrize("override, expected", [([], [[2**30, glibc()]]), (["keep_freed_bytes=0"], [[0, False]])])
def test_infer_keeps_freed_memory_as_configured(tiny_checkpoints, tmp_path, override, expected):
    (tmp_path / "sitecustomize.py").write_text(PROBE)
    report = tmp_path / "calls.json"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "MALLOC_PROBE": str(report),
           "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    ner, _ = tiny_checkpoints
    proc = subprocess.run([sys.executable, "-m", "infer", f"checkpoint={ner}", "progress_bar=false", f"input={RAW[0]}",
                           f"output={tmp_path / 'out'}", *override], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(report.read_text()) == expected
