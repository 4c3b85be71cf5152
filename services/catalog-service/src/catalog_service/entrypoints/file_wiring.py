"""The knowledge files' pieces built by the catalog-files work (the blob store, upload
classification, the extraction worker), wired here and only here."""

from __future__ import annotations

from ringbook.bus.worker import ConsumerSpec, Handler
from ringbook.clock import Clock

from catalog_service.application.blob_store import BlobStore
from catalog_service.application.knowledge_files import Classify
from catalog_service.domain.upload_types import classify_upload
from catalog_service.entrypoints.extraction_worker import extraction_consumer
from catalog_service.entrypoints.file_store import make_blob_store
from catalog_service.settings import CatalogSettings


def blob_store(settings: CatalogSettings) -> BlobStore:
    return make_blob_store(settings)


def classifier() -> Classify:
    return classify_upload


def extraction(settings: CatalogSettings, blobs: BlobStore, clock: Clock
               ) -> tuple[ConsumerSpec, Handler]:
    """The durable consumer of ``file_uploaded`` that extracts each file's text."""
    return extraction_consumer(settings, blobs, clock=clock)
