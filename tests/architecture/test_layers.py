"""The architecture holds, as ``.importlinter`` at the repository's root states it: in
every service the domain imports no other layer, the application imports neither
adapters nor entrypoints and names no driver (asyncpg, NATS, HTTP, the web framework,
the model's or the carrier's SDK), adapters do not import entrypoints; services never
import each other; the kernel ``ringbook`` imports no service, simulator or dev tool.

The check is import-linter's own (``make lint`` runs it too), so what this test enforces
and what a developer runs by hand are one and the same rule set."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / ".importlinter"


def test_every_import_contract_is_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo", str(CONTRACTS)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    # Every contract in the file was checked and kept, none skipped or misread.
    contracts = CONTRACTS.read_text().count("[importlinter:contract:")
    assert contracts >= 9
    assert f"Contracts: {contracts} kept, 0 broken." in report, report
