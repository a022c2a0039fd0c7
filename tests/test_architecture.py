"""The direction of imports stays as docs/architecture.md draws it: domain <- model runtime <- apps."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS_IN_SITREP = {"sitrep.cli", "sitrep.__main__", "sitrep.evaluate", "sitrep.studio"}


def test_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "3 kept, 0 broken" in proc.stdout


def test_every_sitrep_module_has_a_layer():
    """A new module must be placed: in the domain contract, in the runtime package, or among the apps."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    domain = set(config[0]["source_modules"])
    modules = {f"sitrep.{p.stem}" for p in (ROOT / "src" / "sitrep").glob("*.py") if p.stem != "__init__"}
    assert modules - domain - APPS_IN_SITREP == set(), "classify the new module in pyproject.toml's import contracts"
    assert not domain & APPS_IN_SITREP
