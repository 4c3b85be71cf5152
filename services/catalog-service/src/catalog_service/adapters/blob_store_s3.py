"""The blob store on any S3-compatible service (AWS S3, MinIO, Ceph, R2, ...), via boto3.

Objects live in one bucket under an optional prefix; a blob's location is
``s3://<bucket>/<prefix>/<key>``. boto3 blocks, so each call runs in a thread
(``asyncio.to_thread``); its client is thread-safe and made once. Checksums are sent
only where S3 requires them (botocore's newer default, a CRC on every upload, is
refused by several S3-compatible servers).

Failures: a missing object is ``BlobMissing``; anything else the service answers, or
not reaching it, is ``BlobStoreUnavailable`` (naming S3's error code), which callers
treat as "try again later". The bucket must exist: creating it is the operator's job.
"""

from __future__ import annotations

import asyncio
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from catalog_service.application.blob_store import (
    BlobMissing,
    BlobStoreUnavailable,
    InvalidBlobKey,
    checked_key,
)

_MISSING = ("NoSuchKey", "404", "NotFound")


class S3BlobStore:
    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        prefix: str = "",
        path_style: bool = False,
        connect_timeout_seconds: float = 5.0,
        read_timeout_seconds: float = 30.0,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        config = Config(
            region_name=region,
            s3={"addressing_style": "path" if path_style else "auto"},
            retries={"mode": "standard", "max_attempts": 3},
            connect_timeout=connect_timeout_seconds,
            read_timeout=read_timeout_seconds,
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        # A session of its own: boto3's default session is shared and not thread-safe.
        session = boto3.session.Session(
            aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key,
            region_name=region,
        )
        self._client: Any = session.client("s3", endpoint_url=endpoint_url, config=config)

    async def put(self, key: str, data: bytes, content_type: str) -> str:
        object_key = self._object_key(key)
        await self._call("put_object", Bucket=self.bucket, Key=object_key, Body=data,
                         ContentType=content_type)
        return f"s3://{self.bucket}/{object_key}"

    async def get(self, location: str) -> bytes:
        object_key = self._key_of(location)
        try:
            answer = await self._call("get_object", Bucket=self.bucket, Key=object_key)
        except _Missing:
            raise BlobMissing(location) from None
        body = answer["Body"]
        try:
            data: bytes = await asyncio.to_thread(body.read)
        except BotoCoreError as exc:
            raise BlobStoreUnavailable(f"S3 read of {location} failed: {exc}") from exc
        finally:
            body.close()
        return data

    async def delete(self, location: str) -> None:
        # S3 answers a delete of a missing key with success, as the port wants.
        try:
            await self._call("delete_object", Bucket=self.bucket, Key=self._key_of(location))
        except _Missing:
            return

    def _object_key(self, key: str) -> str:
        relative = str(checked_key(key))
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def _key_of(self, location: str) -> str:
        head = f"s3://{self.bucket}/"
        if not location.startswith(head):
            raise InvalidBlobKey(f"not a location in bucket {self.bucket}: {location!r}")
        object_key = location[len(head):]
        relative = object_key
        if self.prefix:
            if not object_key.startswith(self.prefix + "/"):
                raise InvalidBlobKey(f"not under prefix {self.prefix}/: {location!r}")
            relative = object_key[len(self.prefix) + 1:]
        checked_key(relative)
        return object_key

    async def _call(self, operation: str, **arguments: Any) -> Any:
        try:
            return await asyncio.to_thread(getattr(self._client, operation), **arguments)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            if code in _MISSING:
                raise _Missing from exc
            raise BlobStoreUnavailable(
                f"S3 {operation} failed: {code or 'error'} {error.get('Message', '')}".strip()
            ) from exc
        except BotoCoreError as exc:  # not reached, timed out, credentials not found, ...
            raise BlobStoreUnavailable(f"S3 {operation} failed: {exc}") from exc


class _Missing(Exception):
    pass
