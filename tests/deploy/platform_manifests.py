"""Helpers of the platform manifests' tests: build a platform dir with kubectl's
kustomize, validate its objects offline (kubernetes_validate for built-in kinds, the
vendored CRD schemas under deploy/k8s/schemas for the operators' kinds), and read the
metric names the code exports and the names a PromQL expression uses.

Named ``platform_*`` so they never clash with tests/deploy/kube.py's helpers."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import kubernetes_validate  # type: ignore[import-untyped]
import yaml  # type: ignore[import-untyped]

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
SCHEMAS = K8S / "schemas"
KUBERNETES_VERSION = "1.33.0"
# Built-in kinds: kubernetes_validate knows them. Every other kind must have a vendored schema.
BUILTIN_GROUPS = {"v1", "networking.k8s.io/v1", "policy/v1", "apps/v1", "batch/v1"}


def platform_build(directory: str) -> list[dict[str, Any]]:
    """The objects `kubectl kustomize deploy/k8s/<directory>` renders, offline."""
    kubectl = Path(sys.executable).with_name("kubectl")
    result = subprocess.run(
        [str(kubectl), "kustomize", str(K8S / directory)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def platform_build_with(tmp: Path, resources: list[str], components: list[str],
                        **fields: Any) -> list[dict[str, Any]]:
    """Build deploy/k8s/<resources> with the kustomize Components deploy/k8s/<components>
    (and any other kustomization ``fields``), the way an overlay lists them: a
    kustomization in ``tmp``, paths relative to it."""
    def relative(directory: str) -> str:
        return os.path.relpath(K8S / directory, tmp)
    kustomization = {"resources": [relative(r) for r in resources],
                     "components": [relative(c) for c in components], **fields}
    (tmp / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
    kubectl = Path(sys.executable).with_name("kubectl")
    result = subprocess.run(
        [str(kubectl), "kustomize", "--load-restrictor", "LoadRestrictionsNone", str(tmp)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def platform_of_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o.get("kind") == kind]


def _strict(schema: Any) -> Any:
    """The schema with unknown fields refused, as the API server's strict field validation
    does: a CRD schema leaves additionalProperties open, so a misspelt field would pass."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if ("properties" in out and "additionalProperties" not in out
                and not out.get("x-kubernetes-preserve-unknown-fields")):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


@cache
def platform_crd_schema(api_version: str, kind: str) -> dict[str, Any] | None:
    if "/" not in api_version:
        return None
    group, version = api_version.split("/", 1)
    path = SCHEMAS / group / f"{kind.lower()}_{version}.json"
    if not path.exists():
        return None
    loaded: dict[str, Any] = _strict(json.loads(path.read_text()))
    return loaded


def platform_validate(objects: list[dict[str, Any]]) -> list[str]:
    """Every problem of every object; empty when all are valid."""
    problems: list[str] = []
    for obj in objects:
        api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
        name = f"{kind}/{obj.get('metadata', {}).get('name')}"
        if api_version in BUILTIN_GROUPS:
            try:
                kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
            except kubernetes_validate.ValidationError as exc:
                problems.append(f"{name}: {exc.message}")
            continue
        schema = platform_crd_schema(api_version, kind)
        if schema is None:
            problems.append(f"{name}: no schema for {api_version} {kind} in deploy/k8s/schemas")
            continue
        validator = jsonschema.Draft7Validator(schema)
        problems += [f"{name}: {'.'.join(map(str, e.absolute_path))}: {e.message}"
                     for e in validator.iter_errors(obj)]
    return problems


_INSTRUMENT = re.compile(r"\b(Counter|Gauge|Histogram|Summary)\(\s*\"([a-zA-Z_:][a-zA-Z0-9_:]*)\"")
_SUFFIXES = {"Counter": ("",), "Gauge": ("",), "Histogram": ("_bucket", "_sum", "_count"),
             "Summary": ("", "_sum", "_count")}


def platform_code_metrics() -> set[str]:
    """The series names the prometheus_client instruments in the kernel and the services
    export (a Histogram as its _bucket/_sum/_count series)."""
    names: set[str] = set()
    sources = [REPO / "shared" / "src", *sorted((REPO / "services").glob("*/src"))]
    for root in sources:
        for path in root.rglob("*.py"):
            for kind, name in _INSTRUMENT.findall(path.read_text()):
                names.update(name + suffix for suffix in _SUFFIXES[kind])
    return names


def platform_query_metrics() -> set[str]:
    """The gauges CNPG's exporter derives from base/database/monitoring-queries.yaml:
    "cnpg_" + query name + "_" + every column that is not a label."""
    config = yaml.safe_load((K8S / "base" / "database" / "monitoring-queries.yaml").read_text())
    names: set[str] = set()
    for query, spec in yaml.safe_load(config["data"]["queries"]).items():
        for metric in spec["metrics"]:
            for column, usage in metric.items():
                if usage["usage"] != "LABEL":
                    names.add(f"cnpg_{query}_{column}")
    return names


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}


def promql_metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects: identifiers that are neither a
    function or aggregation (followed by "("), a keyword, a label inside {} or by(), nor a
    duration in []."""
    text = _STRING.sub('""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = _GROUPING.sub(" ", text)
    names: set[str] = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        following = text[match.end():].lstrip()
        preceding = text[:match.start()]
        if following.startswith("(") or match.group() in _KEYWORDS:
            continue
        if preceding and (preceding[-1].isdigit() or preceding[-1] == "."):
            continue  # a number's exponent or unit, e.g. 1e3
        names.add(match.group())
    return names
