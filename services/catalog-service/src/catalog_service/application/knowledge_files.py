"""Knowledge files, the API's side: upload, rename, describe, delete.

An upload is classified first (nothing is stored for a type the catalog cannot read),
then its bytes go to the blob store, then ``file_uploaded`` and the ``knowledge_files``
row (status ``uploading``) commit together; the extraction worker takes it from there
(``file_text_extracted`` …, then ``file_processed`` or ``file_failed``). If the commit
fails, the blob just written is deleted again. A deleted file's blob is deleted after
the commit: a blob without a row is garbage, a row without its blob would be a lie.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ringbook.clock import Clock
from ringbook.contracts.catalog import (
    AssistantFileUnlinked,
    FileDeleted,
    FileUpdated,
    FileUploaded,
)
from ringbook.ids import new_id
from ringbook.logging import get_logger

from catalog_service.application.blob_store import BlobStore, blob_key
from catalog_service.application.errors import NotFound, UnsupportedFile
from catalog_service.application.events import EventBatch
from catalog_service.application.ports import UnitOfWork
from catalog_service.domain.records import FileRecord

log = get_logger(__name__)
FILE = "File"
MAX_FILENAME_CHARS = 255
# What the classifier reads of a file to recognise it (its magic bytes).
HEAD_BYTES = 8192
# The catalog-files helper's classify_upload: the file type, or a ValueError saying why not.
Classify = Callable[[str, str | None, bytes], str]
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_ORIGINAL_NAME_CHARS = 1000


@dataclass(frozen=True)
class Upload:
    original_name: str
    content_type: str | None
    data: bytes
    description: str | None = None


def stored_name(original: str) -> str:
    """The name a file is shown under: the last path segment, NFC, without control
    characters or separators, at most 255 characters (the extension kept)."""
    name = unicodedata.normalize("NFC", original).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .") or "file"
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            name = stem[: MAX_FILENAME_CHARS - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_FILENAME_CHARS]
    return name


def original_name(raw: str) -> str:
    """The upload's own name as kept: control characters (NUL included, which no text
    column holds) replaced, bounded."""
    return _CONTROL.sub("_", raw)[:MAX_ORIGINAL_NAME_CHARS] or "file"


async def upload_file(uow: UnitOfWork, clock: Clock, blobs: BlobStore, classify: Classify,
                      tenant_id: uuid.UUID, *, upload: Upload) -> FileRecord:
    try:
        file_type = classify(upload.original_name, upload.content_type,
                             upload.data[:HEAD_BYTES])
    except ValueError as exc:
        raise UnsupportedFile(str(exc)) from None
    file_id = new_id()
    filename = stored_name(upload.original_name)
    location = await blobs.put(blob_key(tenant_id, file_id, filename), upload.data,
                               upload.content_type or "application/octet-stream")
    try:
        async with uow.transaction() as tx:
            batch = EventBatch(tenant_id, clock)
            batch.add(file_id, FileUploaded(
                filename=filename,
                original_name=original_name(upload.original_name),
                file_type=file_type,
                file_size=len(upload.data),
                s3_url=location,
                description=upload.description,
            ), after=0)
            await tx.record(batch.events)
            record = await tx.files.get(tenant_id, file_id)
    except BaseException:
        await _forget_blob(blobs, location)
        raise
    assert record is not None
    return record


async def _forget_blob(blobs: BlobStore, location: str) -> None:
    try:
        await blobs.delete(location)
    except Exception as exc:  # the row's fate is decided; a stray blob is only logged
        log.warning("blob_delete_failed", location=location, error=repr(exc))


async def get_file(uow: UnitOfWork, tenant_id: uuid.UUID, file_id: uuid.UUID) -> FileRecord:
    async with uow.transaction() as tx:
        record = await tx.files.get(tenant_id, file_id)
    if record is None:
        raise NotFound(FILE)
    return record


async def list_files(uow: UnitOfWork, tenant_id: uuid.UUID) -> list[FileRecord]:
    async with uow.transaction() as tx:
        return await tx.files.all(tenant_id)


async def update_file(uow: UnitOfWork, clock: Clock, tenant_id: uuid.UUID, file_id: uuid.UUID,
                      changes: dict[str, Any]) -> FileRecord:
    """Rename or describe a file. Locked, not optimistic: the extraction worker appends
    to the same aggregate, and a rename should wait for it rather than fail."""
    async with uow.transaction() as tx:
        record = await tx.files.get(tenant_id, file_id, lock="update")
        if record is None:
            raise NotFound(FILE)
        filename = stored_name(changes["filename"]) if "filename" in changes else record.filename
        description = changes.get("description", record.description)
        if (filename, description) != (record.filename, record.description):
            batch = EventBatch(tenant_id, clock)
            batch.add(file_id, FileUpdated(filename=filename, description=description),
                      after=record.version)
            await tx.record(batch.events)
            record = await tx.files.get(tenant_id, file_id)
    assert record is not None
    return record


async def delete_file(uow: UnitOfWork, clock: Clock, blobs: BlobStore, tenant_id: uuid.UUID,
                      file_id: uuid.UUID) -> list[uuid.UUID]:
    """The file goes; each assistant that had it gets ``assistant_file_unlinked`` first.
    The assistants it was unlinked from are returned."""
    async with uow.transaction() as tx:
        record = await tx.files.get(tenant_id, file_id, lock="update")
        if record is None:
            raise NotFound(FILE)
        assistants = await tx.assistants.linked_to_file(file_id)
        batch = EventBatch(tenant_id, clock)
        for assistant in assistants:
            batch.add(assistant.id, AssistantFileUnlinked(file_id=file_id),
                      after=assistant.version)
        batch.add(file_id, FileDeleted(), after=record.version)
        await tx.record(batch.events)
    await _forget_blob(blobs, record.s3_url)
    return [a.id for a in assistants]
