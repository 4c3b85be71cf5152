"""One OpenAPI document for the whole public API: the gateway's own, plus each
upstream's public part.

Of an upstream's document only the paths the route table forwards to that upstream
are kept, so its ``/internal/*``, ``/webhook/*``, ``/health`` and the like never appear;
of its components, only those those paths reach (transitively). A component whose name
the merged document already uses is shared when both definitions are the same (and so
is everything it refers to), and otherwise renamed ``<service>.<name>`` with every
reference to it rewritten, so no upstream's schema ever silently stands in for another's.
Each forwarded operation carries ``x-ringbook-service``, the service that answers it,
and documents the gateway's own 502, 503 and 504.

Pure: documents in, document out.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from request_service.gateway_routes import ROUTES, GatewayRoute, Service, upstream_for

Json = dict[str, Any]
Key = tuple[str, str]  # (components section, name)

SERVICE_EXTENSION = "x-ringbook-service"
# What the gateway itself may answer for a forwarded operation (gateway_proxy.py).
_ERROR_SCHEMA: Json = {"type": "object", "required": ["error"],
                       "properties": {"error": {"type": "string"}, "details": {}}}
GATEWAY_ERRORS: dict[str, str] = {
    "502": "The gateway could not reach the service, or it closed without an answer",
    "503": "The service's circuit is open or the gateway is busy (see Retry-After)",
    "504": "The service did not answer in time",
}
_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_REF_PREFIX = "#/components/"


@dataclass(frozen=True)
class UpstreamDocument:
    """What fetching an upstream's ``/openapi.json`` gave: a document, or the problem."""

    service: Service
    document: Json | None
    problem: str | None = None


def _refs(value: Any) -> Iterator[Key]:
    """Every component a piece of a document refers to (``$ref``s and discriminator
    mappings)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str) and item.startswith(_REF_PREFIX):
                section, _, name = item.removeprefix(_REF_PREFIX).partition("/")
                yield section, name
            elif key == "discriminator" and isinstance(item, dict):
                for target in item.get("mapping", {}).values():
                    yield from _refs({"$ref": target})
            else:
                yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def _operations(paths: Json) -> Iterator[Json]:
    for item in paths.values():
        for method, op in item.items():
            if method in _METHODS and isinstance(op, dict):
                yield op


def _security_schemes(paths: Json) -> Iterator[Key]:
    """The security schemes the operations' requirements name (not ``$ref``s)."""
    for op in _operations(paths):
        for requirement in op.get("security", []):
            if isinstance(requirement, dict):
                yield from (("securitySchemes", name) for name in requirement)


def _reachable(paths: Json, components: Json) -> set[Key]:
    seen: set[Key] = set()
    pending = [*_refs(paths), *_security_schemes(paths)]
    while pending:
        key = pending.pop()
        section, name = key
        if key in seen or name not in components.get(section, {}):
            continue
        seen.add(key)
        pending.extend(_refs(components[section][name]))
    return seen


def _ref_renamed(target: str, renames: Mapping[Key, str]) -> str:
    if not target.startswith(_REF_PREFIX):
        return target
    section, _, name = target.removeprefix(_REF_PREFIX).partition("/")
    new = renames.get((section, name))
    return target if new is None else f"{_REF_PREFIX}{section}/{new}"


def _renamed(value: Any, renames: Mapping[Key, str]) -> Any:
    """A copy of ``value`` with every reference to a renamed component rewritten."""
    if isinstance(value, dict):
        out: Json = {}
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str):
                out[key] = _ref_renamed(item, renames)
            elif key == "discriminator" and isinstance(item, dict):
                out[key] = {**item, "mapping": {
                    k: _ref_renamed(v, renames) if isinstance(v, str) else v
                    for k, v in item.get("mapping", {}).items()}} if "mapping" in item else item
            else:
                out[key] = _renamed(item, renames)
        return out
    if isinstance(value, list):
        return [_renamed(item, renames) for item in value]
    return value


def _rename_security(op: Json, renames: Mapping[Key, str]) -> None:
    if isinstance(op.get("security"), list):
        op["security"] = [
            {renames.get(("securitySchemes", name), name): scopes
             for name, scopes in requirement.items()} if isinstance(requirement, dict)
            else requirement
            for requirement in op["security"]
        ]


def _plan_names(needed: set[Key], theirs: Json, ours: Json, service: Service) -> dict[Key, str]:
    """The merged name of each component an upstream brings: its own, unless the name
    is taken by a different definition (or one that refers to a renamed component)."""
    shared = {key for key in needed
              if key[1] in ours.get(key[0], {}) and ours[key[0]][key[1]] == theirs[key[0]][key[1]]}
    changed = True
    while changed:  # sharing a definition is only right if all it refers to is shared
        changed = False
        for key in list(shared):
            if any(ref in needed and ref not in shared for ref in _refs(theirs[key[0]][key[1]])):
                shared.discard(key)
                changed = True
    names: dict[Key, str] = {}
    for section, name in sorted(needed):
        taken = ours.get(section, {})
        if (section, name) in shared or name not in taken:
            names[(section, name)] = name
            continue
        candidate, n = f"{service.name}.{name}", 2
        while candidate in taken:
            candidate, n = f"{service.name}.{name}.{n}", n + 1
        names[(section, name)] = candidate
    return names


def _add_upstream(merged: Json, service: Service, document: Json,
                  routes: tuple[GatewayRoute, ...]) -> None:
    paths = {path: item for path, item in document.get("paths", {}).items()
             if isinstance(item, dict) and upstream_for(path, routes) == service}
    theirs: Json = document.get("components", {})
    ours: Json = merged.setdefault("components", {})
    needed = _reachable(paths, theirs)
    names = _plan_names(needed, theirs, ours, service)
    renames = {key: new for key, new in names.items() if new != key[1]}
    for (section, name), new in names.items():
        ours.setdefault(section, {}).setdefault(new, _renamed(theirs[section][name], renames))
    taken_ids = {op["operationId"] for op in _operations(merged["paths"]) if "operationId" in op}
    copied: Json = _renamed(paths, renames)
    for op in _operations(copied):
        _rename_security(op, renames)
        op[SERVICE_EXTENSION] = service.name
        responses = op.setdefault("responses", {})
        for status, description in GATEWAY_ERRORS.items():
            responses.setdefault(status, {"description": description, "content": {
                "application/json": {"schema": copy.deepcopy(_ERROR_SCHEMA)}}})
        if op.get("operationId") in taken_ids:
            op["operationId"] = f"{service.name}.{op['operationId']}"
    merged["paths"].update(copied)
    known_tags = {tag.get("name") for tag in merged.get("tags", [])}
    for tag in document.get("tags", []):
        if isinstance(tag, dict) and tag.get("name") not in known_tags:
            merged.setdefault("tags", []).append(copy.deepcopy(tag))


def _description(own: str | None, included: Sequence[Service],
                 missing: Sequence[UpstreamDocument]) -> str:
    lines = [own] if own else []
    lines.append("Every public endpoint of Ringbook, all answered at this one base URL. "
                 f"Operations marked `{SERVICE_EXTENSION}` are forwarded by the gateway "
                 "to that service"
                 + (": " + ", ".join(s.name for s in included) + "." if included else "."))
    if missing:
        lines.append("Left out of this document, because their description could not be "
                     "fetched just now (their paths are still forwarded; reload later): "
                     + "; ".join(f"{m.service.name} ({m.problem})" for m in missing) + ".")
    return "\n\n".join(lines)


def merge_openapi(own: Json, fetched: Sequence[UpstreamDocument],
                  routes: tuple[GatewayRoute, ...] = ROUTES) -> Json:
    """The gateway's document ``own`` with every fetched upstream's public part."""
    merged = copy.deepcopy(own)
    # A gateway route under a forwarded prefix could never be reached: not listed.
    merged["paths"] = {path: item for path, item in merged.get("paths", {}).items()
                       if upstream_for(path, routes) is None}
    included = [f for f in fetched if f.document is not None]
    for upstream in included:
        assert upstream.document is not None
        _add_upstream(merged, upstream.service, upstream.document, routes)
    if not merged.get("components"):
        merged.pop("components", None)
    info = merged.setdefault("info", {})
    info["description"] = _description(
        info.get("description"), [f.service for f in included],
        [f for f in fetched if f.document is None])
    return merged
