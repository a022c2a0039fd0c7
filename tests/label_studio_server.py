"""A real Label Studio server for tests: its own venv (its pins stay out of the project's), loopback only."""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".ls-venv"
LABEL_STUDIO = "label-studio==1.23.2"


def ensure_installed() -> Path:
    exe = VENV / "bin" / "label-studio"
    if exe.exists():
        return exe
    subprocess.run(["python3", "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    LABEL_STUDIO], check=True, timeout=1500)
    return exe


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    token: str
    proc: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start(tmp: Path, timeout: float = 300) -> Server:
    exe = ensure_installed()
    port = free_port()
    token = secrets.token_hex(20)
    env = {
        **os.environ,
        "LABEL_STUDIO_USERNAME": "annotator@example.com",
        "LABEL_STUDIO_PASSWORD": secrets.token_urlsafe(16),
        "LABEL_STUDIO_USER_TOKEN": token,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LATEST_VERSION_CHECK": "false",
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
        "LABEL_STUDIO_BASE_DATA_DIR": str(tmp / "base"),
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp / "label-studio.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen([str(exe), "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port),
                                 "--data-dir", str(tmp / "data")], env=env, stdout=fh, stderr=subprocess.STDOUT,
                                cwd=tmp)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"label-studio exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        # A busy port makes Label Studio move on silently: read the port it really took.
        moved = re.findall(r"127\.0\.0\.1:(\d+)", log.read_text(errors="replace"))
        actual = int(moved[-1]) if moved else port
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{actual}/health", timeout=2) as resp:
                if resp.status == 200:
                    return Server(f"http://127.0.0.1:{actual}", token, proc, log)
        except OSError:
            pass
        time.sleep(1)
    proc.kill()
    raise RuntimeError(f"label-studio did not answer within {timeout} s:\n{log.read_text()[-3000:]}")
