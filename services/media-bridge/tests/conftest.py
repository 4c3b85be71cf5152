"""media-bridge's tests share ``bridge_harness`` (the served app, the simulated model and
a fake call-orchestrator); pytest runs with --import-mode=importlib, so this folder is
put on the import path for it."""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
