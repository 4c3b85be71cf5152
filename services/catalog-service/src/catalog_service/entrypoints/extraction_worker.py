"""The durable consumer that reads uploaded files: CATALOG's ``file_uploaded`` events,
each handled by ``application.file_processing`` in the pull worker's transaction.

Reading a file takes seconds (a child process per file), and the pull worker handles
the messages it fetched one after another, with no heartbeat a handler could send
(``ringbook.bus.worker`` gives handlers the connection and the event, not the message).
So the consumer is sized so that waiting never looks like a crash to JetStream:

* ``max_ack_pending`` = 2: at most two uploads are handed out at once (to all replicas
  together), so a message waits behind at most one other file in a worker's hands;
* ``ack_wait`` covers both of them at their worst (the extraction timeout plus the
  time to fetch the blob and commit), so a slow file is never redelivered while it is
  still being read. The cost: after a crash, the upload in hand is redelivered only
  after ``ack_wait``.

A message that does come back early changes nothing: its inbox claim waits for the
first handling's transaction and then finds the event applied.
"""

from __future__ import annotations

from ringbook.bus.worker import ConsumerSpec, Handler
from ringbook.clock import Clock, SystemClock
from ringbook.contracts.catalog import KNOWLEDGE_FILE
from ringbook.contracts.streams import CATALOG
from ringbook.events import Envelope
from ringbook.store.database import Conn

from catalog_service.adapters.extraction_sandbox import extract_isolated
from catalog_service.adapters.file_outcome_repository import PgFileOutcomes
from catalog_service.application.blob_store import BlobStore
from catalog_service.application.file_processing import FileProcessor
from catalog_service.domain.extraction import ExtractedText
from catalog_service.file_settings import FileStoreSettings

EXTRACTION_CONSUMER = "catalog-file-extraction"
IN_HAND = 2
# Fetching the blob (S3: connect and read timeouts, three tries) and committing.
_OVERHEAD_SECONDS = 120.0


def extraction_consumer(
    settings: FileStoreSettings, blob_store: BlobStore, *, clock: Clock | None = None
) -> tuple[ConsumerSpec, Handler]:
    limits = settings.extraction_limits()

    async def extract(data: bytes, file_type: str) -> ExtractedText:
        return await extract_isolated(data, file_type, limits)

    processor = FileProcessor(blobs=blob_store, extract=extract, clock=clock or SystemClock())
    spec = ConsumerSpec(
        durable=EXTRACTION_CONSUMER,
        stream=CATALOG,
        filter_subjects=[CATALOG.subject_filter(aggregate=KNOWLEDGE_FILE,
                                                event_type="file_uploaded")],
        max_ack_pending=IN_HAND,
        ack_wait_seconds=IN_HAND * (limits.timeout_seconds + _OVERHEAD_SECONDS),
        # An extraction takes seconds; a shared commit would only hold the first file's
        # result back until the second's is done, for no saving worth having.
        batch_commit=False,
    )

    async def handle(conn: Conn, event: Envelope) -> None:
        await processor.on_file_uploaded(PgFileOutcomes(conn), event)

    return spec, handle
