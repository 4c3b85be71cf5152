"""HTTP tools: create, change, delete, rotate the signing secret.

A tool's headers, authentication and signing secret are sealed (``Sealer``) before they
go into an event, so the event table, the outbox, the CATALOG stream and the read
model hold ciphertext only. Every save seals again with the current key, which is how
a key rotation reaches each tool (``ringbook.secret_box``). Views mask what they show
(``catalog_service.domain.tool_secrets``); the signing secret is shown in full only
right after it was made (create, rotate).

The endpoint is checked before anything is stored: an http(s) URL whose host resolves
to public addresses only (``EndpointGuard``); media-bridge checks again at call time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import TypeAdapter
from ringbook.clock import Clock
from ringbook.contracts.catalog import (
    AssistantToolUnlinked,
    HttpMethod,
    ToolCreated,
    ToolDeleted,
    ToolState,
    ToolUpdated,
)
from ringbook.ids import new_id
from ringbook.secret_box import SecretUnreadable

from catalog_service.application.errors import Conflict, InvalidInput, NotFound
from catalog_service.application.events import EventBatch
from catalog_service.application.ports import (
    CatalogTransaction,
    DuplicateToolName,
    EndpointGuard,
    EndpointRefused,
    Sealer,
    UnitOfWork,
)
from catalog_service.domain.records import ToolRecord
from catalog_service.domain.tool_secrets import (
    MASK,
    Authentication,
    MaskedValueMismatch,
    check_no_clash,
    mask,
    masked_authentication,
    masked_headers,
    merge_authentication,
    merge_headers,
)
from catalog_service.domain.tools import new_signing_secret

TOOL = "Tool"
_AUTH = TypeAdapter[Authentication](Authentication)


@dataclass(frozen=True)
class ToolDefinition:
    """A tool as its owner describes it, secrets in the clear (validated already)."""

    name: str
    endpoint: str
    description: str | None = None
    method: HttpMethod = "POST"
    category: str | None = None
    parameters: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    authentication: Authentication | None = None
    timeout_seconds: float = 5.0
    is_active: bool = True


@dataclass(frozen=True)
class ToolView:
    tool: ToolRecord
    headers: dict[str, str] | None  # masked
    authentication: dict[str, str] | None  # masked
    signing_secret: str  # masked, except right after it was made


@dataclass(frozen=True)
class _Secrets:
    headers: dict[str, str] | None
    authentication: Authentication | None
    signing_secret: str | None  # None: sealed with a key we no longer have


class ToolSecrets:
    """Sealing and opening one tool's secrets."""

    def __init__(self, sealer: Sealer) -> None:
        self._sealer = sealer

    def _open(self, sealed: str | None) -> str | None:
        if sealed is None:
            return None
        try:
            return self._sealer.open(sealed)
        except SecretUnreadable:
            return None

    def open(self, state: ToolState) -> _Secrets:
        headers = self._open(state.headers_sealed)
        auth = self._open(state.authentication_sealed)
        return _Secrets(
            headers=None if headers is None else orjson.loads(headers),
            authentication=None if auth is None else _AUTH.validate_json(auth),
            signing_secret=self._open(state.signing_secret_sealed),
        )

    def seal_state(self, definition: ToolDefinition, signing_secret: str) -> ToolState:
        seal = self._sealer.seal
        return ToolState(
            name=definition.name,
            description=definition.description,
            endpoint=definition.endpoint,
            method=definition.method,
            category=definition.category,
            parameters=definition.parameters or {"type": "object", "properties": {}},
            headers_sealed=None if not definition.headers
            else seal(orjson.dumps(definition.headers).decode()),
            authentication_sealed=None if definition.authentication is None
            else seal(definition.authentication.model_dump_json()),
            signing_secret_sealed=seal(signing_secret),
            timeout_seconds=definition.timeout_seconds,
            is_active=definition.is_active,
        )

    def view(self, tool: ToolRecord, *, reveal: str | None = None) -> ToolView:
        secrets = self.open(tool.state)
        headers = None
        if tool.state.headers_sealed is not None:
            headers = {} if secrets.headers is None else masked_headers(secrets.headers)
        auth = None
        if tool.state.authentication_sealed is not None:
            auth = ({"type": "unreadable"} if secrets.authentication is None
                    else masked_authentication(secrets.authentication))
        signing = reveal or (MASK if secrets.signing_secret is None
                             else mask(secrets.signing_secret))
        return ToolView(tool, headers, auth, signing)


async def _check_endpoint(guard: EndpointGuard, url: str) -> None:
    try:
        await guard.check(url)
    except EndpointRefused as exc:
        raise InvalidInput("endpoint", str(exc)) from None


async def _record(tx: CatalogTransaction, batch: EventBatch) -> None:
    try:
        await tx.record(batch.events)
    except DuplicateToolName as exc:
        raise Conflict(f"You already have a tool named {exc.name!r}") from None


async def _reread(tx: CatalogTransaction, tenant_id: uuid.UUID, tool_id: uuid.UUID) -> ToolRecord:
    tool = await tx.tools.get(tenant_id, tool_id)
    assert tool is not None, "recorded in this transaction"
    return tool


async def get_tool(uow: UnitOfWork, secrets: ToolSecrets, tenant_id: uuid.UUID,
                   tool_id: uuid.UUID) -> ToolView:
    async with uow.transaction() as tx:
        tool = await tx.tools.get(tenant_id, tool_id)
    if tool is None:
        raise NotFound(TOOL)
    return secrets.view(tool)


async def list_tools(uow: UnitOfWork, secrets: ToolSecrets, tenant_id: uuid.UUID
                     ) -> list[ToolView]:
    async with uow.transaction() as tx:
        tools = await tx.tools.all(tenant_id)
    return [secrets.view(t) for t in tools]


async def create_tool(uow: UnitOfWork, clock: Clock, secrets: ToolSecrets, guard: EndpointGuard,
                      tenant_id: uuid.UUID, *, definition: ToolDefinition) -> ToolView:
    _no_clash(definition)
    _nothing_masked(definition)
    await _check_endpoint(guard, definition.endpoint)
    signing_secret = new_signing_secret()
    tool_id = new_id()
    async with uow.transaction() as tx:
        batch = EventBatch(tenant_id, clock)
        state = secrets.seal_state(definition, signing_secret)
        batch.add(tool_id, ToolCreated(**state.model_dump()), after=0)
        await _record(tx, batch)
        tool = await _reread(tx, tenant_id, tool_id)
    return secrets.view(tool, reveal=signing_secret)


def _nothing_masked(definition: ToolDefinition) -> None:
    """A new tool has no stored secret a masked value could stand for."""
    try:
        merge_headers(definition.headers or {}, {})
        if definition.authentication is not None:
            merge_authentication(definition.authentication, None)
    except MaskedValueMismatch as exc:
        raise InvalidInput(exc.field, str(exc)) from None


def _no_clash(definition: ToolDefinition) -> None:
    try:
        check_no_clash(definition.headers or {}, definition.authentication)
    except ValueError as exc:
        raise InvalidInput("headers", str(exc)) from None


async def update_tool(uow: UnitOfWork, clock: Clock, secrets: ToolSecrets, guard: EndpointGuard,
                      tenant_id: uuid.UUID, *, tool_id: uuid.UUID, changes: dict[str, Any],
                      rotate_signing_secret: bool = False) -> ToolView:
    """Change the given fields; ``headers`` and ``authentication`` values sent back
    masked keep the stored secret. Optimistic: loses to a concurrent writer."""
    async with uow.transaction() as tx:
        tool = await tx.tools.get(tenant_id, tool_id)
    if tool is None:
        raise NotFound(TOOL)
    current = secrets.open(tool.state)
    _readable_or_replaced(tool.state, current, changes)
    definition = _changed(tool.state, current, changes)
    _no_clash(definition)
    if definition.endpoint != tool.state.endpoint:
        await _check_endpoint(guard, definition.endpoint)
    signing_secret = current.signing_secret
    if rotate_signing_secret or signing_secret is None:
        signing_secret = new_signing_secret()
    async with uow.transaction() as tx:
        batch = EventBatch(tenant_id, clock)
        state = secrets.seal_state(definition, signing_secret)
        batch.add(tool_id, ToolUpdated(**state.model_dump()), after=tool.record.version)
        await _record(tx, batch)
        updated = await _reread(tx, tenant_id, tool_id)
    revealed = signing_secret if signing_secret != current.signing_secret else None
    return secrets.view(updated, reveal=revealed)


def _readable_or_replaced(state: ToolState, current: _Secrets, changes: dict[str, Any]) -> None:
    """A stored secret sealed with a key since retired cannot be carried over: the
    update must give it again (the signing secret is simply made anew)."""
    if state.headers_sealed is not None and current.headers is None and "headers" not in changes:
        raise InvalidInput("headers", "the stored headers can no longer be opened "
                           "(sealed with a retired key): send them again")
    if (state.authentication_sealed is not None and current.authentication is None
            and "authentication" not in changes):
        raise InvalidInput("authentication", "the stored authentication can no longer be "
                           "opened (sealed with a retired key): send it again")


def _changed(state: ToolState, current: _Secrets, changes: dict[str, Any]) -> ToolDefinition:
    fields = {
        "name": state.name, "endpoint": state.endpoint, "description": state.description,
        "method": state.method, "category": state.category, "parameters": state.parameters,
        "headers": current.headers, "authentication": current.authentication,
        "timeout_seconds": state.timeout_seconds, "is_active": state.is_active,
    }
    given = dict(changes)
    try:
        if given.get("headers") is not None:
            given["headers"] = merge_headers(given["headers"], current.headers or {})
        if given.get("authentication") is not None:
            given["authentication"] = merge_authentication(
                given["authentication"], current.authentication)
    except MaskedValueMismatch as exc:
        raise InvalidInput(exc.field, str(exc)) from None
    return ToolDefinition(**{**fields, **given})


async def delete_tool(uow: UnitOfWork, clock: Clock, tenant_id: uuid.UUID, tool_id: uuid.UUID
                      ) -> list[uuid.UUID]:
    """The tool goes; each assistant that had it gets ``assistant_tool_unlinked`` first.
    The assistants it was unlinked from are returned."""
    async with uow.transaction() as tx:
        tool = await tx.tools.get(tenant_id, tool_id, lock="update")
        if tool is None:
            raise NotFound(TOOL)
        assistants = await tx.assistants.linked_to_tool(tool_id)
        batch = EventBatch(tenant_id, clock)
        for assistant in assistants:
            batch.add(assistant.id, AssistantToolUnlinked(tool_id=tool_id),
                      after=assistant.version)
        batch.add(tool_id, ToolDeleted(), after=tool.record.version)
        await tx.record(batch.events)
        return [a.id for a in assistants]
