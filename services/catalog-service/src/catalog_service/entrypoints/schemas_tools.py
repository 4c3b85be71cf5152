"""Request and response bodies of ``/api/tools`` (seed 001's field names)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator

from catalog_service.application.tools import ToolDefinition, ToolView
from catalog_service.domain.tool_secrets import Authentication
from catalog_service.entrypoints.fields import (
    Body,
    Endpoint,
    Headers,
    Label,
    Parameters,
    Text,
    ToolName,
    refuse_null,
)

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]


class ToolChange(Body):
    """PUT: the fields given change. ``headers`` and ``authentication`` replace the
    stored ones; a value sent back masked (as a GET shows it) keeps the stored secret."""

    name: ToolName | None = None
    description: Text | None = None
    endpoint: Endpoint | None = None
    method: Method | None = None
    category: Label | None = None
    parameters: Parameters | None = None
    headers: Headers | None = None
    authentication: Authentication | None = None
    timeout_seconds: Annotated[float, Field(ge=0.5, le=30)] | None = None
    is_active: bool | None = None

    _not_null = field_validator(
        "name", "endpoint", "method", "parameters", "timeout_seconds", "is_active",
    )(refuse_null)

    def change_set(self) -> dict[str, Any]:
        """The fields sent, ``authentication`` as its model (the application merges it
        with the stored one)."""
        changes = self.changes(exclude={"authentication"})
        if "authentication" in self.model_fields_set:
            changes["authentication"] = self.authentication
        return changes


class ToolCreate(ToolChange):
    """POST: ``name`` and ``endpoint`` are required."""

    name: ToolName
    endpoint: Endpoint

    def definition(self) -> ToolDefinition:
        return ToolDefinition(**self.change_set())


class ToolOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    endpoint: str
    method: str
    category: str | None
    parameters: dict[str, Any]
    headers: dict[str, str] | None = Field(description="values masked")
    authentication: dict[str, str] | None = Field(description="secret masked")
    signing_secret: str = Field(
        description="masked, except in the answer that made it (create, rotate)")
    timeout_seconds: float
    is_active: bool
    total_calls: int
    last_used: datetime | None
    avg_response_time: float | None = Field(description="milliseconds")
    owner_id: uuid.UUID
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: ToolView) -> ToolOut:
        record, state, usage = view.tool.record, view.tool.state, view.tool.usage
        return cls(
            id=record.id, name=state.name, description=state.description,
            endpoint=state.endpoint, method=state.method, category=state.category,
            parameters=state.parameters, headers=view.headers,
            authentication=view.authentication, signing_secret=view.signing_secret,
            timeout_seconds=state.timeout_seconds, is_active=state.is_active,
            total_calls=usage.total_calls, last_used=usage.last_used,
            avg_response_time=usage.avg_response_time, owner_id=record.tenant_id,
            created_at=record.created_at, updated_at=record.updated_at,
        )


class ToolDeletedOut(BaseModel):
    id: uuid.UUID
    deleted: Literal[True] = True
    unlinked_from_assistants: list[uuid.UUID]
