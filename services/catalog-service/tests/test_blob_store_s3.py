"""The S3 blob store against a real S3 wire protocol server (moto's, on 127.0.0.1):
the same boto3 requests a MinIO or AWS endpoint gets."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from catalog_service.adapters.blob_store_s3 import S3BlobStore
from catalog_service.application.blob_store import (
    BlobMissing,
    BlobStoreUnavailable,
    InvalidBlobKey,
)
from moto.server import ThreadedMotoServer

KEY_ID, SECRET = "test-key", "test-secret"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def raw_client(endpoint: str) -> Any:
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint, region_name="eu-central-1",
        aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET,
    )


@pytest.fixture
def bucket(endpoint: str) -> str:
    name = f"ringbook-{uuid.uuid4().hex[:12]}"
    raw_client(endpoint).create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
    )
    return name


def store_for(endpoint: str, bucket: str, **options: Any) -> S3BlobStore:
    return S3BlobStore(bucket=bucket, endpoint_url=endpoint, region="eu-central-1",
                       path_style=True, access_key_id=KEY_ID, secret_access_key=SECRET,
                       **options)


async def test_round_trip(endpoint: str, bucket: str) -> None:
    store = store_for(endpoint, bucket)
    location = await store.put("tenant/file/Preise.pdf", b"%PDF-1.4 data", "application/pdf")
    assert location == f"s3://{bucket}/tenant/file/Preise.pdf"
    assert await store.get(location) == b"%PDF-1.4 data"
    head = raw_client(endpoint).head_object(Bucket=bucket, Key="tenant/file/Preise.pdf")
    assert head["ContentType"] == "application/pdf"
    await store.delete(location)
    with pytest.raises(BlobMissing):
        await store.get(location)
    await store.delete(location)  # deleting what is gone is not an error


async def test_a_prefix_holds_every_key(endpoint: str, bucket: str) -> None:
    store = store_for(endpoint, bucket, prefix="/ringbook/files/")
    location = await store.put("t/f/a.txt", b"hello", "text/plain")
    assert location == f"s3://{bucket}/ringbook/files/t/f/a.txt"
    listed = raw_client(endpoint).list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in listed["Contents"]] == ["ringbook/files/t/f/a.txt"]
    assert await store.get(location) == b"hello"
    # Outside the prefix, or in another bucket: not this store's to read.
    for elsewhere in (f"s3://{bucket}/t/f/a.txt", "s3://other-bucket/ringbook/files/t/f/a.txt",
                      f"s3://{bucket}/ringbook/files/../secrets", "file:///etc/passwd"):
        with pytest.raises(InvalidBlobKey):
            await store.get(elsewhere)


async def test_auto_addressing_works_with_an_ip_endpoint(
    endpoint: str, bucket: str
) -> None:
    # "auto" addressing: botocore uses the path for an endpoint given as an IP address.
    store = S3BlobStore(bucket=bucket, endpoint_url=endpoint, region="eu-central-1",
                        access_key_id=KEY_ID, secret_access_key=SECRET)
    location = await store.put("t/f/b.txt", b"auto", "text/plain")
    assert await store.get(location) == b"auto"


@pytest.mark.parametrize("key", ["../x", "/abs", "t//x", "t/./x", ""])
async def test_keys_that_could_escape_are_refused(
    endpoint: str, bucket: str, key: str
) -> None:
    with pytest.raises(InvalidBlobKey):
        await store_for(endpoint, bucket).put(key, b"x", "text/plain")
    assert raw_client(endpoint).list_objects_v2(Bucket=bucket)["KeyCount"] == 0


async def test_a_missing_bucket_is_the_store_failing(endpoint: str) -> None:
    store = store_for(endpoint, f"absent-{uuid.uuid4().hex[:8]}")
    with pytest.raises(BlobStoreUnavailable, match="NoSuchBucket"):
        await store.put("t/f/a.txt", b"x", "text/plain")


async def test_an_unreachable_endpoint_is_the_store_failing() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = S3BlobStore(bucket="b", endpoint_url=f"http://127.0.0.1:{port}", path_style=True,
                        region="eu-central-1", connect_timeout_seconds=1,
                        access_key_id=KEY_ID, secret_access_key=SECRET)
    with pytest.raises(BlobStoreUnavailable, match="Could not connect"):
        await store.get("s3://b/t/f/a.txt")
