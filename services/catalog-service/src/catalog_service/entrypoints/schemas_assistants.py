"""Request and response bodies of ``/api/assistants`` (seed 001's field names)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator
from ringbook.contracts.catalog import AnalysisField

from catalog_service.application.assistants import AssistantView
from catalog_service.domain.records import AssistantLinks
from catalog_service.entrypoints.fields import (
    AnalysisFields,
    Body,
    JsonObject,
    Label,
    Language,
    LongText,
    Name,
    Text,
    refuse_null,
)

Ids = Annotated[list[uuid.UUID], Field(max_length=100)]


class AssistantChange(Body):
    """PUT: the fields given change, the others keep their values; ``tool_ids`` and
    ``file_ids``, when given, become the whole set of links."""

    name: Name | None = None
    description: Text | None = None
    system_prompt: LongText | None = None
    llm_provider: Label | None = None
    llm_model: Label | None = None
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    max_tokens: Annotated[int, Field(gt=0, le=1_000_000)] | None = None
    voice_provider: Label | None = None
    voice_id: Label | None = None
    voice_speed: Annotated[float, Field(ge=0.25, le=4)] | None = None
    voice_pitch: Annotated[float, Field(ge=0.5, le=2)] | None = None
    voice_stability: Annotated[float, Field(ge=0, le=1)] | None = None
    language: Language | None = None
    fallback_language: Language | None = None
    first_message: Text | None = None
    interruption_sensitivity: Annotated[float, Field(ge=0, le=1)] | None = None
    silence_timeout: Annotated[float, Field(gt=0, le=600)] | None = None
    response_delay: Annotated[float, Field(ge=0, le=10)] | None = None
    status: Literal["draft", "testing", "deployed"] | None = None
    is_active: bool | None = None
    capabilities: JsonObject | None = None
    analysis_fields: AnalysisFields | None = None
    tool_ids: Ids | None = None
    file_ids: Ids | None = None

    _not_null = field_validator(
        "name", "llm_provider", "llm_model", "temperature", "max_tokens", "voice_provider",
        "language", "status", "is_active", "capabilities", "analysis_fields", "tool_ids",
        "file_ids",
    )(refuse_null)

    def state_changes(self) -> dict[str, Any]:
        return self.changes(exclude={"tool_ids", "file_ids"})


class AssistantCreate(AssistantChange):
    """POST: ``name`` is required; what is omitted takes the defaults of
    ``ringbook.contracts.catalog.AssistantState``."""

    name: Name


class ToolLinkOut(BaseModel):
    id: uuid.UUID
    name: str
    endpoint: str


class FileLinkOut(BaseModel):
    id: uuid.UUID
    filename: str
    status: str
    settings: dict[str, Any]


class NotInEffectOut(BaseModel):
    field: str
    value: Any
    reason: str


class AssistantOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    system_prompt: str | None
    llm_provider: str
    llm_model: str
    temperature: float
    max_tokens: int
    voice_provider: str
    voice_id: str | None
    voice_speed: float | None
    voice_pitch: float | None
    voice_stability: float | None
    language: str
    fallback_language: str | None
    first_message: str | None
    interruption_sensitivity: float | None
    silence_timeout: float | None
    response_delay: float | None
    status: str
    is_active: bool
    capabilities: dict[str, Any]
    analysis_fields: list[AnalysisField]
    owner_id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    tools: list[ToolLinkOut]
    files: list[FileLinkOut]
    not_in_effect: list[NotInEffectOut]

    @classmethod
    def of(cls, view: AssistantView) -> AssistantOut:
        r = view.record
        return cls(
            id=r.id, owner_id=r.tenant_id, created_at=r.created_at, updated_at=r.updated_at,
            **r.state.model_dump(),
            **links_out(view.links),
            not_in_effect=[NotInEffectOut(field=n.field, value=n.value, reason=n.reason)
                           for n in view.not_in_effect],
        )


def links_out(links: AssistantLinks) -> dict[str, Any]:
    return {
        "tools": [ToolLinkOut(id=t.id, name=t.name, endpoint=t.endpoint) for t in links.tools],
        "files": [FileLinkOut(id=f.id, filename=f.filename, status=f.status,
                              settings=f.settings) for f in links.files],
    }


class AssistantDeletedOut(BaseModel):
    id: uuid.UUID
    deleted: Literal[True] = True
    phone_numbers_now_answered_by: Literal["default_receptionist"] | None
    phone_numbers: list[str]


class LinksOut(BaseModel):
    assistant_id: uuid.UUID
    tools: list[ToolLinkOut]
    files: list[FileLinkOut]


# --- the link endpoints ------------------------------------------------------------------


class ToolLinks(Body):
    """POST /api/assistants/{id}/tools: ``{"tool_ids": [...]}`` or ``{"tool_id": ...}``."""

    tool_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=100)] | None = None
    tool_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> ToolLinks:
        if (self.tool_ids is None) == (self.tool_id is None):
            raise ValueError("give either tool_ids (a list) or tool_id")
        return self

    def ids(self) -> list[uuid.UUID]:
        return self.tool_ids if self.tool_ids is not None else [self.tool_id]  # type: ignore[list-item]


class FileLinkSettings(Body):
    """How an assistant uses a linked file."""

    priority: Annotated[int, Field(ge=0, le=1000)] | None = None
    enabled: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class FileLinks(Body):
    """POST /api/assistants/{id}/files: ``{"file_ids": [...]}`` or ``{"file_id": ...,
    "settings": {...}}``."""

    file_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=100)] | None = None
    file_id: uuid.UUID | None = None
    settings: FileLinkSettings | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> FileLinks:
        if (self.file_ids is None) == (self.file_id is None):
            raise ValueError("give either file_ids (a list) or file_id")
        if self.file_ids is not None and self.settings is not None:
            raise ValueError("settings go with file_id (one file at a time)")
        return self

    def links(self) -> list[tuple[uuid.UUID, dict[str, Any]]]:
        if self.file_ids is not None:
            return [(file_id, {}) for file_id in self.file_ids]
        assert self.file_id is not None
        return [(self.file_id, self.settings.as_dict() if self.settings else {})]


class FileLinkConfiguration(Body):
    """PUT /api/assistants/{id}/files: ``{"file_id": ..., "settings": {...}}``."""

    file_id: uuid.UUID
    settings: FileLinkSettings
