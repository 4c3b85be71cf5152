"""Request and response bodies of ``/api/files`` (seed 001's ``files``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from catalog_service.domain.records import FileRecord
from catalog_service.entrypoints.fields import Body, Text, refuse_null

MAX_DESCRIPTION_CHARS = 2000


class FileChange(Body):
    """PUT: rename (``filename``, the shown name) or describe a file."""

    filename: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    description: Text | None = None

    _not_null = field_validator("filename")(refuse_null)


class FileOut(BaseModel):
    id: uuid.UUID
    filename: str
    original_name: str
    file_type: str
    file_size: int = Field(description="bytes")
    s3_url: str = Field(description="where the bytes are kept (file:// or s3://)")
    description: str | None
    status: Literal["uploading", "processed", "error"]
    error: str | None = Field(description="why extraction failed (status error)")
    language: str | None = Field(description="the text's language, as a Postgres text "
                                             "search configuration (german, english, simple)")
    chunk_count: int | None
    owner_id: uuid.UUID
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, record: FileRecord) -> FileOut:
        return cls(
            id=record.id, filename=record.filename, original_name=record.original_name,
            file_type=record.file_type, file_size=record.file_size, s3_url=record.s3_url,
            description=record.description, status=record.status,
            error=record.error, language=record.language, chunk_count=record.chunk_count,
            owner_id=record.tenant_id, created_at=record.created_at,
            updated_at=record.updated_at,
        )


class FileWithTextOut(FileOut):
    extracted_text: str | None = Field(description="null until processed")

    @classmethod
    def of(cls, record: FileRecord) -> FileWithTextOut:
        return cls(**FileOut.of(record).model_dump(), extracted_text=record.extracted_text)


class FileDeletedOut(BaseModel):
    id: uuid.UUID
    deleted: Literal[True] = True
    unlinked_from_assistants: list[uuid.UUID]
