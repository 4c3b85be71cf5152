"""Handlers read their collaborators through ``Annotated`` dependencies (the kernel's
typed ``wired`` read, in ``entrypoints/dependencies.py``), never ``request.app.state``
itself: so a handler's signature says what it uses, mypy checks it, and a collaborator
that was never wired is reported by name instead of as an AttributeError mid-request.
Only ``entrypoints/app.py``, which does the wiring, touches ``app.state``."""

from __future__ import annotations

import ast
from pathlib import Path

import call_orchestrator

ENTRYPOINTS = Path(call_orchestrator.__file__).resolve().parent / "entrypoints"


def app_state_reads(path: Path) -> list[int]:
    """Lines of ``<...>.app.state`` or ``app.state`` in ``path``."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and node.attr == "state":
            owner = node.value
            if (isinstance(owner, ast.Attribute) and owner.attr == "app") or (
                    isinstance(owner, ast.Name) and owner.id == "app"):
                lines.append(node.lineno)
    return lines


def test_no_handler_module_reads_app_state() -> None:
    modules = sorted(p for p in ENTRYPOINTS.glob("*.py") if p.name != "app.py")
    assert {p.name for p in modules} >= {"webhooks.py", "inbound.py", "internal.py"}
    reads = {p.name: lines for p in modules if (lines := app_state_reads(p))}
    assert reads == {}


def test_the_wiring_itself_is_seen() -> None:
    # The scan finds what app.py writes, so an empty result above is not a blind scan.
    assert app_state_reads(ENTRYPOINTS / "app.py")
