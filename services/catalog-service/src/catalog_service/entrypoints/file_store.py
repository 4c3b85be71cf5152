"""The blob store the settings name (FILE_STORE), built once at start-up."""

from __future__ import annotations

from catalog_service.adapters.blob_store_fs import FilesystemBlobStore
from catalog_service.adapters.blob_store_s3 import S3BlobStore
from catalog_service.application.blob_store import BlobStore
from catalog_service.file_settings import FileStoreSettings


def make_blob_store(settings: FileStoreSettings) -> BlobStore:
    if settings.file_store == "s3":
        assert settings.s3_bucket is not None  # the settings refuse s3 without a bucket
        secret = settings.s3_secret_access_key
        return S3BlobStore(
            bucket=settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=secret.get_secret_value() if secret is not None else None,
            prefix=settings.s3_prefix,
            path_style=settings.s3_path_style,
        )
    return FilesystemBlobStore(settings.file_store_dir)
