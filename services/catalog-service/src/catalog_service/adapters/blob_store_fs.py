"""The blob store on a local (or mounted) filesystem: the default, ``.ringbook/files``.

A blob is written whole or not at all: into a temporary file beside its final name,
fsynced, renamed over the name (atomic on POSIX), and the folder fsynced so the rename
survives a power cut. A reader never sees half a file, and a crash leaves at most a
``.tmp-*`` file, never a torn blob. File I/O runs in a thread (``asyncio.to_thread``),
so the event loop keeps serving while a 20 MiB upload is written.

Every key and location is resolved and must stay inside the root (symlinks included).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

from catalog_service.application.blob_store import BlobMissing, InvalidBlobKey, checked_key


class FilesystemBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.abspath(root))

    async def put(self, key: str, data: bytes, content_type: str) -> str:
        return await asyncio.to_thread(self._put, key, data)

    async def get(self, location: str) -> bytes:
        return await asyncio.to_thread(self._get, location)

    async def delete(self, location: str) -> None:
        await asyncio.to_thread(self._delete, location)

    # --- paths (resolved in the worker thread too: resolving touches the disk) --------

    def _path_of_key(self, key: str) -> Path:
        return self._inside(self.root.joinpath(*checked_key(key).parts), key)

    def _path_of_location(self, location: str) -> Path:
        parts = urlsplit(location)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise InvalidBlobKey(f"not a file:// location: {location!r}")
        return self._inside(Path(unquote(parts.path)), location)

    def _inside(self, path: Path, given: str) -> Path:
        """``path`` if it (and whatever its symlinks point to) lies under the root."""
        root = self.root.resolve()
        resolved = path.resolve()
        if resolved == root or not resolved.is_relative_to(root):
            raise InvalidBlobKey(f"outside the file store: {given!r}")
        return resolved

    # --- blocking work, run in a thread ------------------------------------------------------

    def _put(self, key: str, data: bytes) -> str:
        path = self._path_of_key(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        _fsync_directory(path.parent)
        return path.as_uri()

    def _get(self, location: str) -> bytes:
        path = self._path_of_location(location)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise BlobMissing(location) from None

    def _delete(self, location: str) -> None:
        path = self._path_of_location(location)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        _fsync_directory(path.parent)
        # The file's own folder (<tenant>/<file id>/) goes with its last blob.
        folder = path.parent
        root = self.root.resolve()
        while folder != root and folder.is_relative_to(root):
            try:
                folder.rmdir()
            except OSError:  # not empty (or already gone): leave it
                break
            folder = folder.parent


def _fsync_directory(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
