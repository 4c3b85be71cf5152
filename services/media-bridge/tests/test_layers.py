"""The layers hold: the domain imports nothing of ours but the domain, and the
application nothing but the domain, its own modules and its ports, nor any driver
(Postgres, HTTP, the model's SDK, the web framework). Adapters and the wiring in
``entrypoints`` are the only places those appear."""

from __future__ import annotations

import ast
from pathlib import Path

import media_bridge

PACKAGE = Path(media_bridge.__file__).resolve().parent
DRIVERS = ("asyncpg", "httpx", "openai", "fastapi", "starlette", "uvicorn", "websockets",
           "nats", "twilio")


def imports_of(layer: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted((PACKAGE / layer).glob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        found[path.name] = names
    return found


def offending(layer: str, allowed: tuple[str, ...]) -> dict[str, list[str]]:
    bad: dict[str, list[str]] = {}
    for module, names in imports_of(layer).items():
        wrong = sorted(
            name for name in names
            if (name.startswith("media_bridge.") and not name.startswith(allowed))
            or name.split(".")[0] in DRIVERS
        )
        if wrong:
            bad[module] = wrong
    return bad


def test_the_application_imports_only_the_domain_and_its_ports() -> None:
    assert imports_of("application")  # the layer is where this test looks for it
    assert offending("application", ("media_bridge.application.", "media_bridge.domain.")) == {}


def test_the_domain_imports_only_the_domain() -> None:
    assert imports_of("domain")
    assert offending("domain", ("media_bridge.domain.",)) == {}
