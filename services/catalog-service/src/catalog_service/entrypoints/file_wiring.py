"""The knowledge files' pieces built by the catalog-files work (blob stores, upload
classification, the extraction worker), wired here and only here."""

from __future__ import annotations

from ringbook.bus.worker import ConsumerSpec, Handler

from catalog_service.application.knowledge_files import Classify
from catalog_service.application.ports import Blobs
from catalog_service.settings import CatalogSettings


def blob_store(settings: CatalogSettings) -> Blobs:
    from catalog_service.entrypoints.file_store import make_blob_store

    return make_blob_store(settings)


def classifier() -> Classify:
    from catalog_service.domain.upload_types import classify_upload

    return classify_upload


def extraction(settings: CatalogSettings, blobs: Blobs) -> tuple[ConsumerSpec, Handler]:
    """The durable consumer of ``file_uploaded`` that extracts each file's text."""
    from catalog_service.entrypoints.extraction_worker import extraction_consumer

    return extraction_consumer(settings, blobs)
