"""deploy/docker/Dockerfile, read rather than built (no Docker here): two stages on the
lock's Python, a frozen install of one service without dev dependencies, a non-root
runtime, and every service buildable by its SERVICE/PORT arguments. What only a real build
would prove is listed in deploy/k8s/README.md."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from tests.deploy.kube import REPO, settings_class

DOCKERFILE = REPO / "deploy" / "docker" / "Dockerfile"
NEVER_IN_AN_IMAGE = {"ringbook-simulators", "ringbook-devtools", "pytest", "hypothesis", "mypy"}


def instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    found: list[tuple[str, str]] = []
    pending = ""
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        pending += line.rstrip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            keyword, _, rest = pending.strip().partition(" ")
            found.append((keyword.upper(), " ".join(rest.split())))
            pending = ""
    return found


def stages() -> dict[str, list[tuple[str, str]]]:
    by_stage: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for keyword, args in instructions():
        if keyword == "FROM":
            current = []
            by_stage[args.split(" AS ")[-1]] = current
        current.append((keyword, args))
    return by_stage


def test_two_stages_on_the_python_minor_of_the_lock() -> None:
    built = stages()
    assert list(built) == ["builder", "runtime"]
    lock = tomllib.loads((REPO / "uv.lock").read_text())
    assert lock["requires-python"] == ">=3.11"
    for body in built.values():
        assert re.fullmatch(r"python:3\.11-slim-\w+ AS \w+", body[0][1])


def test_the_builder_installs_one_service_frozen_without_dev_dependencies() -> None:
    runs = [args for keyword, args in stages()["builder"] if keyword == "RUN"]
    [sync] = [r for r in runs if "uv sync" in r]
    assert "--frozen" in sync and "--no-dev" in sync and '--package "${SERVICE}"' in sync
    every = " ".join(args for _, args in instructions())
    assert not re.search(r"(?<!no)-dev\b|--all-packages|--group|--all-extras", every)
    assert re.search(r"pip install --no-cache-dir uv==\d+\.\d+\.\d+", every)


def test_the_runtime_is_not_root_and_exposes_the_port_without_a_healthcheck() -> None:
    runtime = stages()["runtime"]
    users = [args for keyword, args in runtime if keyword == "USER"]
    assert users and users[-1].split(":")[0] == "10001"
    assert ("EXPOSE", "${PORT}") in runtime
    assert ("ENTRYPOINT", '["/app/entrypoint"]') in runtime
    assert all(keyword != "HEALTHCHECK" for keyword, _ in instructions())
    assert ("COPY", "--from=builder --chown=root:root /app /app") in runtime


def test_every_service_is_buildable_by_its_arguments_and_has_its_console_script() -> None:
    [check] = [args for keyword, args in stages()["builder"] if "case" in args]
    pairs = dict(re.findall(r"([a-z-]+):(\d+)[|)]", check))
    services = sorted(p.name for p in (REPO / "services").iterdir() if p.is_dir())
    assert pairs == {**{s: str(settings_class(s).model_fields["http_port"].default)
                        for s in services}, "ringbook-simulators": "8100"}
    for service in services:
        project = tomllib.loads((REPO / "services" / service / "pyproject.toml").read_text())
        assert service in project["project"]["scripts"], service


def closure(lock: dict[str, Any], root: str) -> set[str]:
    """Packages a non-dev install of root pulls (its dependencies and requested extras)."""
    packages = {p["name"]: p for p in lock["package"]}
    seen: set[str] = set()
    todo: list[tuple[str, tuple[str, ...]]] = [(root, ())]
    while todo:
        name, extras = todo.pop()
        package = packages[name]
        wanted = list(package.get("dependencies", []))
        for extra in extras:
            wanted += package.get("optional-dependencies", {}).get(extra, [])
        if name in seen and not extras:
            continue
        seen.add(name)
        todo += [(d["name"], tuple(d.get("extra", []))) for d in wanted]
    return seen


def test_no_service_pulls_the_simulators_the_devtools_or_test_tools() -> None:
    lock = tomllib.loads((REPO / "uv.lock").read_text())
    for service in ("request-service", "call-orchestrator", "media-bridge", "catalog-service",
                    "analytics-service"):
        pulled = closure(lock, service)
        assert "ringbook" in pulled and "uvicorn" in pulled
        assert pulled & NEVER_IN_AN_IMAGE == set(), service
    assert "ringbook-devtools" not in closure(lock, "ringbook-simulators")
