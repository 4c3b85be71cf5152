"""The extraction consumer's declaration: what it reads, and how long JetStream waits
for a file being read before it hands the message out again."""

from __future__ import annotations

from pathlib import Path

import pytest
from catalog_service.adapters.blob_store_fs import FilesystemBlobStore
from catalog_service.entrypoints.extraction_worker import (
    EXTRACTION_CONSUMER,
    extraction_consumer,
)
from catalog_service.file_settings import FileStoreSettings
from ringbook.contracts.streams import CATALOG


@pytest.fixture(autouse=True)
def development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "development")


def test_a_durable_consumer_of_uploads_only(tmp_path: Path) -> None:
    spec, _ = extraction_consumer(FileStoreSettings(), FilesystemBlobStore(tmp_path))
    assert spec.durable == EXTRACTION_CONSUMER == "catalog-file-extraction"
    assert spec.stream == CATALOG
    config = spec.config()
    assert config.filter_subjects == ["ringbook.catalog.knowledge_file.*.file_uploaded"]
    assert config.durable_name == EXTRACTION_CONSUMER


def test_a_slow_file_is_not_handed_out_again_while_it_is_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EXTRACTION_TIMEOUT_SECONDS", "300")
    spec, _ = extraction_consumer(FileStoreSettings(), FilesystemBlobStore(tmp_path))
    # Two in hand at most: the one being read and one waiting behind it, each at its
    # worst (the timeout), within the ack wait.
    assert spec.max_ack_pending == 2
    assert spec.ack_wait_seconds >= 2 * 300
