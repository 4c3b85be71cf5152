"""Where uploaded knowledge files are kept: the blob store port.

A blob is written once under a key the caller chooses (``blob_key`` makes one:
``<tenant>/<file id>/<safe name>``) and is then known by the location ``put`` returns,
``file:///abs/path`` or ``s3://bucket/key``: that location is the file's ``s3_url``
(seed 001's name for it, whatever the store). Adapters: the filesystem
(``catalog_service.adapters.blob_store_fs``) and any S3-compatible store
(``catalog_service.adapters.blob_store_s3``); ``entrypoints.file_store`` picks one.

Keys are relative paths of plain segments; every adapter refuses one that could escape
its root (``..``, an absolute path, a backslash, a NUL) with ``InvalidBlobKey``.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from pathlib import PurePosixPath
from typing import Protocol

MAX_KEY_BYTES = 1024  # S3's limit, and far below any filesystem's path limit


class BlobMissing(Exception):
    """No blob at this location (never written, or deleted)."""


class InvalidBlobKey(ValueError):
    """A key (or location) that is not a plain relative path inside the store."""


class BlobStoreUnavailable(Exception):
    """The store did not answer (or answered with its own failure): try again later."""


class BlobStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> str:
        """Store ``data`` under ``key`` (replacing what was there); its location URL."""
        ...

    async def get(self, location: str) -> bytes:
        """The blob at a location ``put`` returned; BlobMissing if there is none."""
        ...

    async def delete(self, location: str) -> None:
        """Remove the blob; a location with nothing there is not an error."""
        ...


def checked_key(key: str) -> PurePosixPath:
    """The key as a relative path, or InvalidBlobKey."""
    if not key or len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise InvalidBlobKey(f"a key is 1 to {MAX_KEY_BYTES} bytes long")
    if "\\" in key or "\x00" in key or key.startswith("/"):
        raise InvalidBlobKey(f"not a relative key: {key!r}")
    parts = key.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise InvalidBlobKey(f"a key's segments must be plain names: {key!r}")
    return PurePosixPath(*parts)


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(filename: str, *, max_chars: int = 120) -> str:
    """A file name any store and shell take as it is: the last path segment, in ASCII
    letters, digits and ``._-`` (accents folded, the rest ``_``), its extension kept,
    never empty, never hidden, never ``..``."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, extension = base.rpartition(".")
    if not dot:
        stem, extension = base, ""
    extension = _ascii(extension)[:10]
    stem = (_ascii(stem) or "file")[: max_chars - len(extension) - 1].rstrip("._")
    return f"{stem}.{extension}" if extension else stem


def _ascii(part: str) -> str:
    folded = unicodedata.normalize("NFKD", part).encode("ascii", "ignore").decode()
    return _UNSAFE.sub("_", folded).strip("._")


def blob_key(tenant_id: uuid.UUID, file_id: uuid.UUID, filename: str) -> str:
    """``<tenant>/<file id>/<safe name>``: one folder per file, so names never collide."""
    return f"{tenant_id}/{file_id}/{safe_name(filename)}"
