"""Typed reads of what a service's lifespan wired onto ``app.state``.

Routes never read ``request.app.state`` themselves: each service declares one
``Annotated`` dependency per collaborator bundle (``GatewayDep``, ``CatalogDep``, …)
whose provider calls :func:`wired`, so a handler's signature says what it uses and
mypy checks it. A missing or wrongly typed value is a wiring bug, reported by name.
"""

from __future__ import annotations

from typing import TypeVar

from fastapi import Request

T = TypeVar("T")


class NotWired(RuntimeError):
    """app.state lacks what a handler needs: a wiring bug, never client input."""


def wired(request: Request, name: str, kind: type[T]) -> T:
    value = getattr(request.app.state, name, None)
    if not isinstance(value, kind):
        raise NotWired(f"app.state.{name} is {type(value).__name__}, not {kind.__name__}: "
                       "the service's lifespan wires it before serving")
    return value
