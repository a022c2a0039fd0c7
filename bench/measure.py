"""Run a command as a child process and measure its wall time and its own peak RSS."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_measured(cmd: list[str], log: Path, stdin_path: Path | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of ``cmd``; exits with the log's tail if it fails."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "SITREP_ROOT": str(ROOT)}
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(log, "w") as err, open(stdin_path or os.devnull, "rb") as stdin:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=stdin, stdout=err, stderr=subprocess.STDOUT)
        # wait4 gives this child's own peak RSS (getrusage(RUSAGE_CHILDREN) would mix all children).
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code:
        sys.exit(f"{' '.join(cmd[:4])} ... failed with exit code {code}, see {log}:\n{log.read_text()[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def machine() -> str:
    """Cores, CPU model and the bf16 features that decide the CPU kernels (AMX or not): figures differ by CPU."""
    model, flags = "", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and not model:
                model = value.strip()
            elif key.strip() == "flags" and not flags:
                flags = set(value.split())
    except OSError:  # not Linux: say what is known
        pass
    bf16 = ", ".join(f for f in ("avx512_bf16", "amx_bf16") if f in flags) or "no bf16 instructions"
    return f"{os.cpu_count()} cores, {model or 'unknown CPU'} ({bf16})"
