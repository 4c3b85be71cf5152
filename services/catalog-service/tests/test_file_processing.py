"""The extraction worker against real Postgres and nats-server: an upload is committed
as the API commits it (the blob, the knowledge_files row and file_uploaded, with its
outbox row), the relay publishes it to CATALOG, the durable consumer reads the file in
its sandbox, and the outcome comes back as events on the stream and the row's status."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import catalog_service
import pytest
from catalog_service.adapters.blob_store_fs import FilesystemBlobStore
from catalog_service.application.blob_store import BlobStore, blob_key
from catalog_service.entrypoints.extraction_worker import (
    EXTRACTION_CONSUMER,
    extraction_consumer,
)
from catalog_service.file_settings import FileStoreSettings
from catalog_service.sample_files import (
    blank_pdf,
    docx_with,
    encrypted_pdf,
    pdf_with_text,
    zip_bomb_docx,
)
from nats.js import JetStreamContext
from ringbook.bus.reading import subject_events
from ringbook.clock import FakeClock
from ringbook.contracts.catalog import (
    FileDeleted,
    FileFailed,
    FileProcessed,
    FileTextExtracted,
    FileUpdated,
    FileUploaded,
)
from ringbook.contracts.streams import CATALOG
from ringbook.events import Envelope, EventData, new_event
from ringbook.runtime import ServiceRuntime
from ringbook.store import event_store
from ringbook.store.migrations import migrate
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.plugin import settings_for
from ringbook_devtools.testing.waiting import eventually

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
MIGRATIONS = Path(catalog_service.__file__).resolve().parents[2] / "migrations"
GERMAN = ["Unsere Praxis ist montags bis freitags von acht bis achtzehn Uhr geöffnet.",
          "Termine vereinbaren Sie bitte telefonisch oder über unsere Webseite."]


@dataclass
class Harness:
    settings: FileStoreSettings
    pool: asyncpg.Pool
    store: BlobStore
    clock: FakeClock
    runtime: ServiceRuntime | None = None

    @property
    def js(self) -> JetStreamContext:
        assert self.runtime is not None and self.runtime.js is not None
        return self.runtime.js

    async def start(self, store: BlobStore | None = None) -> None:
        runtime = ServiceRuntime(settings=self.settings, migrations_dir=MIGRATIONS,
                                 streams=[CATALOG], relay=True, clock=self.clock)
        runtime.add_consumer(*extraction_consumer(self.settings, store or self.store,
                                                  clock=self.clock))
        await runtime.start()
        self.runtime = runtime
        await runtime.wait_bus_ready(20)

    async def upload(self, name: str, data: bytes, file_type: str,
                     tenant: uuid.UUID | None = None) -> uuid.UUID:
        """What the API does on POST /api/files: the blob first, then the row and the
        event in one transaction."""
        file_id, tenant = uuid.uuid4(), tenant or uuid.uuid4()
        location = await self.store.put(blob_key(tenant, file_id, name), data, "x/y")
        event = new_event(
            FileUploaded(filename=name, original_name=name, file_type=file_type,
                         file_size=len(data), s3_url=location),
            aggregate_id=file_id, version=1, tenant_id=tenant, correlation_id=file_id,
            clock=self.clock,
        )
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "insert into knowledge_files (id, tenant_id, filename, original_name,"
                " file_type, file_size, s3_url, version, created_at, updated_at)"
                " values ($1, $2, $3, $3, $4, $5, $6, 1, $7, $7)",
                file_id, tenant, name, file_type, len(data), location, NOW,
            )
            await event_store.append(conn, [event])
        return file_id

    async def row(self, file_id: uuid.UUID) -> dict[str, Any] | None:
        row = await self.pool.fetchrow("select * from knowledge_files where id = $1", file_id)
        return dict(row) if row is not None else None

    async def settled(self, file_id: uuid.UUID, within: float = 60) -> dict[str, Any]:
        last: dict[str, Any] | None = None

        async def done() -> bool:
            nonlocal last
            last = await self.row(file_id)
            return last is not None and last["status"] != "uploading"

        await eventually(done, within, poll=0.2, what=lambda: f"file {file_id} settled: {last}")
        assert last is not None
        return last

    async def stream_events(self, file_id: uuid.UUID) -> list[Envelope]:
        return await subject_events(self.js, f"ringbook.catalog.knowledge_file.{file_id}.*",
                                    stream=CATALOG.name)

    async def drained(self) -> None:
        """Everything on the stream so far has been handled and acked by the worker."""
        async def done() -> bool:
            info = await self.js.consumer_info(CATALOG.name, EXTRACTION_CONSUMER)
            return bool(info.num_pending == 0 and info.num_ack_pending == 0)

        await eventually(done, 30, poll=0.2, what="the extraction consumer drained")


@pytest.fixture
async def harness(
    infra: ServerSet, fresh_schema: str, fresh_streams: None, tmp_path: Path
) -> AsyncIterator[Harness]:
    settings = settings_for(infra, FileStoreSettings, service="catalog-service",
                            schema=fresh_schema, file_store_dir=tmp_path / "files")
    # The schema and its tables before the runtime starts, so a test may commit an
    # upload the worker finds only once it starts.
    await migrate(settings.database_url, settings.schema_name, MIGRATIONS)
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=3,
                                     server_settings={"search_path": fresh_schema})
    assert pool is not None
    h = Harness(settings=settings, pool=pool, store=FilesystemBlobStore(tmp_path / "files"),
                clock=FakeClock(NOW))
    try:
        yield h
    finally:
        if h.runtime is not None:
            await h.runtime.stop()
        await pool.close()


def types_of(events: list[Envelope]) -> list[str]:
    return [e.type for e in events]


# --- tests -----------------------------------------------------------------------------------


async def test_a_pdf_becomes_passages_in_its_language(harness: Harness) -> None:
    await harness.start()
    file_id = await harness.upload("Praxis.pdf", pdf_with_text([GERMAN, GERMAN]), "pdf")
    row = await harness.settled(file_id)
    text = "\n".join(GERMAN) + "\n\n" + "\n".join(GERMAN)
    assert row["status"] == "processed"
    assert row["error"] is None
    assert row["language"] == "german"
    assert row["chunk_count"] == 1
    assert row["extracted_text"] == text
    assert row["version"] == 3
    assert row["updated_at"] == NOW

    events = await harness.stream_events(file_id)
    assert types_of(events) == ["file_uploaded", "file_text_extracted", "file_processed"]
    assert [e.version for e in events] == [1, 2, 3]
    uploaded, extracted, processed = events
    assert isinstance(extracted.data, FileTextExtracted)
    assert extracted.data.language == "german"
    assert [(c.index, c.text) for c in extracted.data.chunks] == [(0, text)]
    assert processed.data == FileProcessed(language="german", chunk_count=1,
                                           extracted_chars=len(text))
    for event in (extracted, processed):
        assert (event.tenant_id, event.correlation_id) == (uploaded.tenant_id, file_id)
        assert event.causation_id == uploaded.id


async def test_a_long_text_comes_in_batches_with_running_indexes(harness: Harness) -> None:
    await harness.start()
    paragraph = ("Opening hours are Monday to Friday from eight to six, and on Saturday "
                 "from nine to one. Please call ahead for an appointment. ") * 6
    text = "\n\n".join(f"{i}. {paragraph.strip()}" for i in range(1500))  # ~1.2 MB
    file_id = await harness.upload("faq.txt", text.encode(), "txt")
    row = await harness.settled(file_id, within=90)
    assert (row["status"], row["language"]) == ("processed", "english")

    events = await harness.stream_events(file_id)
    batches = [e for e in events if isinstance(e.data, FileTextExtracted)]
    assert len(batches) >= 3
    assert types_of(events) == ["file_uploaded", *["file_text_extracted"] * len(batches),
                                "file_processed"]
    assert [e.version for e in events] == list(range(1, len(events) + 1))
    indexes = [c.index for e in batches if isinstance(e.data, FileTextExtracted)
               for c in e.data.chunks]
    assert indexes == list(range(row["chunk_count"]))
    assert all(len(e.to_json()) < 300 * 1024 for e in events)  # well under 512 KiB
    assert row["version"] == events[-1].version


async def test_unreadable_files_end_in_error_and_the_next_file_is_read(
    harness: Harness,
) -> None:
    await harness.start()
    encrypted = await harness.upload("geheim.pdf", encrypted_pdf([GERMAN]), "pdf")
    bomb = await harness.upload("bomb.docx", zip_bomb_docx(), "docx")
    huge = await harness.upload("huge.pdf", blank_pdf(10_000), "pdf")
    fine = await harness.upload("menu.docx", docx_with(["Speisekarte", *GERMAN]), "docx")

    for file_id, reason in (
        (encrypted, "the PDF is encrypted (password protected): remove the password and"
                    " upload it again"),
        (bomb, "the Word document unpacks to"),
        (huge, "the PDF has 10,000 pages; at most 2,000 are read: split it"),
    ):
        row = await harness.settled(file_id)
        assert row["status"] == "error"
        assert row["error"].startswith(reason)
        assert (row["language"], row["chunk_count"], row["extracted_text"]) == (None, None, None)
        assert row["version"] == 2
        events = await harness.stream_events(file_id)
        assert types_of(events) == ["file_uploaded", "file_failed"]
        assert events[1].data == FileFailed(reason=row["error"])
    row = await harness.settled(fine)
    assert (row["status"], row["language"]) == ("processed", "german")


async def test_a_file_deleted_before_it_is_read_is_left_alone(harness: Harness) -> None:
    # Uploaded and deleted (as the API deletes: row gone, file_deleted) before the
    # worker runs at all.
    gone = await harness.upload("old.txt", b"Alte Preise, nicht mehr gueltig.", "txt")
    async with harness.pool.acquire() as conn, conn.transaction():
        tenant = await conn.fetchval("select tenant_id from knowledge_files where id = $1", gone)
        await conn.execute("delete from knowledge_files where id = $1", gone)
        await event_store.append(conn, [new_event(
            FileDeleted(), aggregate_id=gone, version=2, tenant_id=tenant,
            correlation_id=gone, clock=harness.clock)])
    await harness.start()
    sentinel = await harness.upload("new.txt", " ".join(GERMAN).encode(), "txt")
    assert (await harness.settled(sentinel))["status"] == "processed"
    await harness.drained()
    assert await harness.row(gone) is None
    assert types_of(await harness.stream_events(gone)) == ["file_uploaded", "file_deleted"]


async def test_a_file_deleted_while_it_is_read_is_left_alone(harness: Harness) -> None:
    deleted: list[uuid.UUID] = []

    async def delete_it(location: str) -> None:
        async with harness.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "delete from knowledge_files where s3_url = $1 returning id, tenant_id, version",
                location)
            assert row is not None
            await event_store.append(conn, [new_event(
                FileDeleted(), aggregate_id=row["id"], version=row["version"] + 1,
                tenant_id=row["tenant_id"], correlation_id=row["id"], clock=harness.clock)])
            deleted.append(row["id"])

    await harness.start(store=MeanwhileStore(harness.store, once=delete_it))
    file_id = await harness.upload("doomed.txt", " ".join(GERMAN).encode(), "txt")
    await eventually(lambda: bool(deleted), 30, what="the file deleted while read")
    sentinel = await harness.upload("next.txt", " ".join(GERMAN).encode(), "txt")
    assert (await harness.settled(sentinel))["status"] == "processed"
    await harness.drained()
    assert deleted == [file_id]
    assert types_of(await harness.stream_events(file_id)) == ["file_uploaded", "file_deleted"]


async def test_a_version_taken_while_it_is_read_is_retried_after_it(harness: Harness) -> None:
    """Another writer appends version 2 while the file is read and commits only once
    the worker waits on it: the worker's append loses the race, rolls back its
    savepoint, and records its outcome after version 2."""
    racer: list[asyncio.Task[None]] = []

    async def take_version_two(location: str) -> None:
        racer.append(asyncio.create_task(append_when_blocked(harness, location)))

    store = MeanwhileStore(harness.store, once=take_version_two)
    await harness.start(store=store)
    file_id = await harness.upload("race.txt", " ".join(GERMAN).encode(), "txt")
    row = await harness.settled(file_id)
    await racer[0]
    assert store.reads == 1  # the outcome was recorded again, the file not read again
    assert (row["status"], row["version"]) == ("processed", 4)
    events = await harness.stream_events(file_id)
    assert types_of(events) == ["file_uploaded", "file_updated", "file_text_extracted",
                                "file_processed"]
    assert [e.version for e in events] == [1, 2, 3, 4]


async def test_a_redelivered_upload_has_no_second_effect(harness: Harness) -> None:
    await harness.start()
    file_id = await harness.upload("once.txt", " ".join(GERMAN).encode(), "txt")
    row = await harness.settled(file_id)
    first = await harness.stream_events(file_id)
    # As after a crash between the commit and the ack: the same event delivered again
    # (a new message id, so the stream's de-duplication does not hide it).
    uploaded = first[0]
    await harness.js.publish(uploaded.subject, uploaded.to_json(),
                             headers={"Nats-Msg-Id": f"redelivery-{uploaded.id}"})
    sentinel = await harness.upload("after.txt", " ".join(GERMAN).encode(), "txt")
    await harness.settled(sentinel)
    await harness.drained()
    again = await harness.stream_events(file_id)
    # The republished copy, and nothing after it.
    assert types_of(again) == ["file_uploaded", "file_text_extracted", "file_processed",
                               "file_uploaded"]
    assert await harness.row(file_id) == row
    stored = await harness.pool.fetchval(
        "select count(*) from events where aggregate_id = $1", file_id)
    assert stored == 3


async def test_an_upload_of_another_tenants_file_is_dead_lettered(harness: Harness) -> None:
    await harness.start()
    file_id = await harness.upload("mine.txt", " ".join(GERMAN).encode(), "txt")
    await harness.settled(file_id)
    # An event claiming the file for another tenant never touches it.
    stranger = new_event(
        FileUploaded(filename="x.txt", original_name="x.txt", file_type="txt", file_size=1,
                     s3_url="file:///x"),
        aggregate_id=file_id, version=1, tenant_id=uuid.uuid4(), correlation_id=file_id,
        clock=harness.clock,
    )
    before = await harness.row(file_id)
    await harness.js.publish(stranger.subject, stranger.to_json(),
                             headers={"Nats-Msg-Id": str(stranger.id)})

    async def dead_lettered() -> bool:
        reason = await harness.pool.fetchval(
            "select reason from dead_letters where consumer = $1 and event_id = $2",
            EXTRACTION_CONSUMER, stranger.id)
        return reason is not None and "of another" in reason

    await eventually(dead_lettered, 30, poll=0.2, what="the stranger's event dead-lettered")
    assert await harness.row(file_id) == before


# --- helpers ---------------------------------------------------------------------------------


class MeanwhileStore:
    """The real blob store; on the first read, ``once`` runs before the blob is
    returned: what another request does while the worker reads the file."""

    def __init__(self, inner: BlobStore, once: Callable[[str], Awaitable[None]]) -> None:
        self._inner, self._once = inner, once
        self._done = False
        self.reads = 0

    async def put(self, key: str, data: bytes, content_type: str) -> str:
        return await self._inner.put(key, data, content_type)

    async def get(self, location: str) -> bytes:
        self.reads += 1
        if not self._done:
            self._done = True
            await self._once(location)
        return await self._inner.get(location)

    async def delete(self, location: str) -> None:
        await self._inner.delete(location)


async def append_when_blocked(harness: Harness, location: str) -> None:
    """Append file_updated as version 2 and hold the commit until the worker's own
    version 2 waits on it."""
    conn = await asyncpg.connect(harness.settings.database_url,
                                 server_settings={"search_path": harness.settings.schema_name})
    try:
        async with conn.transaction():
            row = await conn.fetchrow(
                "select id, tenant_id from knowledge_files where s3_url = $1", location)
            assert row is not None
            update: EventData = FileUpdated(filename="race.txt", description="renamed")
            await event_store.append(conn, [new_event(
                update, aggregate_id=row["id"], version=2, tenant_id=row["tenant_id"],
                correlation_id=row["id"], clock=harness.clock)])

            async def worker_waits() -> bool:
                waiting = await harness.pool.fetchval(
                    "select count(*) from pg_stat_activity where wait_event_type = 'Lock'"
                    " and query like '%with stored as%'")
                return bool(waiting)

            await eventually(worker_waits, 60, poll=0.1, what="the worker waits on version 2")
    finally:
        await conn.close()
