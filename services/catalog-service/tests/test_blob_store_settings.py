"""The knowledge-file settings, from the environment, and the blob store they pick."""

from __future__ import annotations

from pathlib import Path

import pytest
from catalog_service.adapters.blob_store_fs import FilesystemBlobStore
from catalog_service.adapters.blob_store_s3 import S3BlobStore
from catalog_service.domain.extraction import ExtractionLimits
from catalog_service.entrypoints.file_store import make_blob_store
from catalog_service.file_settings import FileStoreSettings
from pydantic import ValidationError


@pytest.fixture(autouse=True)
def development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "development")


def test_defaults() -> None:
    settings = FileStoreSettings()
    assert settings.file_max_bytes == 20 * 1024 * 1024
    assert settings.file_store == "filesystem"
    assert settings.file_store_dir == Path(".ringbook/files")
    assert settings.extraction_limits() == ExtractionLimits()
    store = make_blob_store(settings)
    assert isinstance(store, FilesystemBlobStore)
    assert store.root == Path.cwd() / ".ringbook" / "files"


def test_everything_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "FILE_MAX_BYTES": "1048576", "FILE_STORE": "s3", "S3_BUCKET": "knowledge",
        "S3_ENDPOINT_URL": "http://127.0.0.1:9000", "S3_REGION": "eu-central-1",
        "S3_ACCESS_KEY_ID": "minio", "S3_SECRET_ACCESS_KEY": "minio-secret",
        "S3_PREFIX": "ringbook/", "S3_PATH_STYLE": "true",
        "EXTRACTION_MAX_PAGES": "50", "EXTRACTION_MAX_CHARS": "10000",
        "EXTRACTION_MAX_UNZIPPED_BYTES": "2097152", "EXTRACTION_MAX_COMPRESSION_RATIO": "20",
        "EXTRACTION_MAX_ZIP_MEMBERS": "100", "EXTRACTION_MEMORY_BYTES": "536870912",
        "EXTRACTION_CPU_SECONDS": "10", "EXTRACTION_TIMEOUT_SECONDS": "15",
        "EXTRACTION_CONCURRENCY": "2",
    }.items():
        monkeypatch.setenv(name, value)
    settings = FileStoreSettings()
    assert settings.file_max_bytes == 1048576
    assert settings.s3_secret_access_key is not None
    assert "minio-secret" not in repr(settings)  # a secret, never printed
    assert settings.extraction_limits() == ExtractionLimits(
        max_pages=50, max_chars=10000, max_unzipped_bytes=2097152, max_compression_ratio=20,
        max_zip_members=100, memory_bytes=536870912, cpu_seconds=10, timeout_seconds=15,
        concurrency=2,
    )
    store = make_blob_store(settings)
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix) == ("knowledge", "ringbook")


def test_s3_needs_a_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FILE_STORE", "s3")
    with pytest.raises(ValidationError, match="FILE_STORE=s3 needs S3_BUCKET"):
        FileStoreSettings()


def test_credentials_come_in_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3_ACCESS_KEY_ID", "alone")
    with pytest.raises(ValidationError, match="both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY"):
        FileStoreSettings()


@pytest.mark.parametrize(
    ("name", "value"),
    [("FILE_STORE", "ftp"), ("FILE_MAX_BYTES", "0"), ("EXTRACTION_MEMORY_BYTES", "1000"),
     ("EXTRACTION_CONCURRENCY", "0"), ("EXTRACTION_TIMEOUT_SECONDS", "0")],
)
def test_nonsense_is_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        FileStoreSettings()
