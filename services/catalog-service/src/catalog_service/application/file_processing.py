"""The extraction worker's use case: an uploaded file becomes passages, or an error.

For each ``file_uploaded`` (in the pull worker's transaction, which holds the event's
inbox claim, so a redelivered event never reaches this code twice):

1. the file's row must still exist and still be ``uploading``; else nothing happens (it
   was deleted meanwhile, or this upload was settled already);
2. its blob is read and handed to the extractor (a child process: seconds, with no
   lock held; only the worker's transaction stays open);
3. under the row's lock, checked again, in a savepoint: the outcome is appended to the
   knowledge_file aggregate after its current version (``file_text_extracted``
   batches then ``file_processed``, or ``file_failed``) and the row is updated to
   match. A lost version race (the file was updated or deleted while it was read)
   rolls back the savepoint only, and the record is tried again on the fresh row.

What failures mean: a file that cannot be read (``UnreadableFile``, a missing blob) is
the file's outcome, ``error`` with the reason; a blob store or sandbox that does not
answer is the infrastructure's (``TransientFailure``: retried, never counted).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ringbook.bus.failures import PoisonEvent, TransientFailure
from ringbook.clock import Clock
from ringbook.contracts.catalog import (
    FileFailed,
    FileProcessed,
    FileTextExtracted,
    FileUploaded,
    TextChunk,
)
from ringbook.events import Envelope, EventData, new_event
from ringbook.logging import get_logger
from ringbook.store.event_store import ConcurrencyConflict

from catalog_service.application.blob_store import (
    BlobMissing,
    BlobStore,
    BlobStoreUnavailable,
    InvalidBlobKey,
)
from catalog_service.domain.chunking import chunk_text
from catalog_service.domain.extraction import ExtractedText, UnreadableFile

log = get_logger(__name__)

Extractor = Callable[[bytes, str], Awaitable[ExtractedText]]

# A file_text_extracted event's passages, as JSON, stay below this: NATS refuses
# messages over 1 MiB, and the envelope adds well under 1 KiB.
MAX_BATCH_BYTES = 256 * 1024
RECORD_ATTEMPTS = 5


@dataclass(frozen=True)
class StoredUpload:
    """What the worker needs of a ``knowledge_files`` row."""

    tenant_id: uuid.UUID
    file_type: str
    s3_url: str
    status: str


class FileOutcomes(Protocol):
    """The knowledge_file aggregate and its ``knowledge_files`` row, inside the pull
    worker's transaction."""

    async def upload(self, file_id: uuid.UUID, *, lock: bool = False) -> StoredUpload | None:
        """The file's row (row-locked until the transaction ends if ``lock``), or None."""
        ...

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """A nested transaction: an exception inside rolls back only what it wrote."""
        ...

    async def current_version(self, file_id: uuid.UUID) -> int: ...

    async def append(self, events: Sequence[Envelope]) -> None:
        """Append to the event store (and its outbox); ConcurrencyConflict on a race."""
        ...

    async def mark_processed(
        self, file_id: uuid.UUID, *, language: str, chunk_count: int, text: str,
        version: int, at: datetime,
    ) -> None: ...

    async def mark_failed(
        self, file_id: uuid.UUID, *, reason: str, version: int, at: datetime
    ) -> None: ...


@dataclass(frozen=True)
class _Read:
    extracted: ExtractedText
    chunks: list[str]


@dataclass(frozen=True)
class _Unreadable:
    reason: str


@dataclass(frozen=True)
class FileProcessor:
    blobs: BlobStore
    extract: Extractor
    clock: Clock

    async def on_file_uploaded(self, store: FileOutcomes, event: Envelope) -> None:
        if not isinstance(event.data, FileUploaded):
            return
        upload = await store.upload(event.aggregate_id)
        if not _still_waiting(upload, event):
            return
        assert upload is not None
        outcome = await self._read(upload)
        for _ in range(RECORD_ATTEMPTS):
            try:
                async with store.savepoint():
                    await self._record(store, event, outcome)
                return
            except ConcurrencyConflict:
                log.info("file_changed_while_read", file_id=str(event.aggregate_id))
        raise TransientFailure(f"file {event.aggregate_id} kept changing while it was recorded")

    async def _read(self, upload: StoredUpload) -> _Read | _Unreadable:
        try:
            data = await self.blobs.get(upload.s3_url)
        except BlobMissing:
            return _Unreadable("the uploaded file is no longer in the file store")
        except InvalidBlobKey:
            return _Unreadable("the uploaded file is kept in another file store than this one")
        except BlobStoreUnavailable as exc:
            raise TransientFailure(str(exc)) from exc
        try:
            extracted = await self.extract(data, upload.file_type)
        except UnreadableFile as exc:
            return _Unreadable(exc.reason)
        return _Read(extracted, chunk_text(extracted.text))

    async def _record(
        self, store: FileOutcomes, uploaded: Envelope, outcome: _Read | _Unreadable
    ) -> None:
        file_id = uploaded.aggregate_id
        if not _still_waiting(await store.upload(file_id, lock=True), uploaded):
            return
        version = await store.current_version(file_id)
        now = self.clock.now()
        if isinstance(outcome, _Unreadable):
            events = _events(uploaded, version, [FileFailed(reason=outcome.reason)], self.clock)
            await store.append(events)
            await store.mark_failed(file_id, reason=outcome.reason,
                                    version=events[-1].version, at=now)
            log.info("file_failed", file_id=str(file_id), reason=outcome.reason)
            return
        extracted = outcome.extracted
        data: list[EventData] = [
            FileTextExtracted(language=extracted.language, chunks=batch)
            for batch in chunk_batches(outcome.chunks)
        ]
        data.append(FileProcessed(language=extracted.language, chunk_count=len(outcome.chunks),
                                  extracted_chars=len(extracted.text)))
        events = _events(uploaded, version, data, self.clock)
        await store.append(events)
        await store.mark_processed(file_id, language=extracted.language,
                                   chunk_count=len(outcome.chunks), text=extracted.text,
                                   version=events[-1].version, at=now)
        log.info("file_processed", file_id=str(file_id), language=extracted.language,
                 chunks=len(outcome.chunks), chars=len(extracted.text), events=len(events))


def chunk_batches(
    chunks: Sequence[str], max_bytes: int = MAX_BATCH_BYTES
) -> list[tuple[TextChunk, ...]]:
    """The passages, numbered across the whole file, in batches whose JSON stays
    below ``max_bytes`` (one passage is at most a few KiB, so each batch holds one)."""
    batches: list[tuple[TextChunk, ...]] = []
    batch: list[TextChunk] = []
    size = 0
    for index, text in enumerate(chunks):
        chunk = TextChunk(index=index, text=text)
        chunk_bytes = len(chunk.model_dump_json().encode("utf-8")) + 1  # and its comma
        if batch and size + chunk_bytes > max_bytes:
            batches.append(tuple(batch))
            batch, size = [], 0
        batch.append(chunk)
        size += chunk_bytes
    if batch:
        batches.append(tuple(batch))
    return batches


def _still_waiting(upload: StoredUpload | None, event: Envelope) -> bool:
    file_id = str(event.aggregate_id)
    if upload is None:
        log.info("file_gone_before_processing", file_id=file_id)
        return False
    if upload.tenant_id != event.tenant_id:
        raise PoisonEvent(f"file_uploaded of tenant {event.tenant_id} for a file of another")
    if upload.status != "uploading":
        log.info("file_already_settled", file_id=file_id, status=upload.status)
        return False
    return True


def _events(
    cause: Envelope, version: int, data: Sequence[EventData], clock: Clock
) -> list[Envelope]:
    return [
        new_event(item, aggregate_id=cause.aggregate_id, version=version + i,
                  tenant_id=cause.tenant_id, correlation_id=cause.correlation_id,
                  causation_id=cause.id, clock=clock)
        for i, item in enumerate(data, start=1)
    ]
