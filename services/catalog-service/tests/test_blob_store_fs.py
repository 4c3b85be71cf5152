"""The filesystem blob store: whole files or none, nothing outside its root, file I/O
off the event loop."""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

import pytest
from catalog_service.adapters.blob_store_fs import FilesystemBlobStore
from catalog_service.application.blob_store import (
    BlobMissing,
    InvalidBlobKey,
    blob_key,
    safe_name,
)


@pytest.fixture
def store(tmp_path: Path) -> FilesystemBlobStore:
    return FilesystemBlobStore(tmp_path / "files")


def leftovers(root: Path) -> list[str]:
    return [p.name for p in root.rglob(".tmp-*")]


async def test_round_trip_at_a_file_url(store: FilesystemBlobStore) -> None:
    key = blob_key(uuid.uuid4(), uuid.uuid4(), "Preisliste 2026.pdf")
    location = await store.put(key, b"%PDF-1.4 content", "application/pdf")
    path = store.root / key
    assert location == path.resolve().as_uri()
    assert location.startswith("file:///")
    assert path.read_bytes() == b"%PDF-1.4 content"
    assert await store.get(location) == b"%PDF-1.4 content"
    assert leftovers(store.root) == []


async def test_a_second_put_replaces_the_blob(store: FilesystemBlobStore) -> None:
    first = await store.put("t/f/a.txt", b"one", "text/plain")
    second = await store.put("t/f/a.txt", b"two", "text/plain")
    assert first == second
    assert await store.get(second) == b"two"


async def test_a_failed_write_leaves_the_old_blob_whole(
    store: FilesystemBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    location = await store.put("t/f/a.txt", b"the old, complete content", "text/plain")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        await store.put("t/f/a.txt", b"the new content, never finished", "text/plain")
    monkeypatch.undo()
    assert await store.get(location) == b"the old, complete content"
    assert leftovers(store.root) == []


async def test_file_io_runs_off_the_event_loop(
    store: FilesystemBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[threading.Thread] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        threads.append(threading.current_thread())
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    await store.put("t/f/a.txt", b"x", "text/plain")
    assert threads
    assert all(t is not threading.main_thread() for t in threads)


@pytest.mark.parametrize(
    "key",
    ["../outside.txt", "t/../../outside.txt", "/etc/passwd", "t//a.txt", "t/./a.txt", "",
     "t\\..\\a.txt", "t/a\x00.txt", "t/" + "a" * 1100],
)
async def test_keys_that_could_escape_are_refused(
    store: FilesystemBlobStore, tmp_path: Path, key: str
) -> None:
    with pytest.raises(InvalidBlobKey):
        await store.put(key, b"x", "text/plain")
    assert not (tmp_path / "outside.txt").exists()


async def test_a_symlink_out_of_the_root_is_refused(
    store: FilesystemBlobStore, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    store.root.mkdir(parents=True)
    (store.root / "t").symlink_to(outside)
    with pytest.raises(InvalidBlobKey):
        await store.put("t/a.txt", b"x", "text/plain")
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize(
    "location",
    ["file:///etc/passwd", "s3://bucket/key", "file://otherhost/x", "/etc/passwd"],
)
async def test_locations_outside_the_store_are_refused(
    store: FilesystemBlobStore, location: str
) -> None:
    with pytest.raises(InvalidBlobKey):
        await store.get(location)
    with pytest.raises(InvalidBlobKey):
        await store.delete(location)


async def test_missing_blob(store: FilesystemBlobStore) -> None:
    location = (store.root / "t" / "f" / "gone.txt").as_uri()
    with pytest.raises(BlobMissing):
        await store.get(location)
    await store.delete(location)  # not an error


async def test_delete_removes_the_blob_and_its_empty_folders(
    store: FilesystemBlobStore,
) -> None:
    kept = await store.put("tenant/file-1/a.txt", b"1", "text/plain")
    gone = await store.put("tenant/file-2/b.txt", b"2", "text/plain")
    await store.delete(gone)
    with pytest.raises(BlobMissing):
        await store.get(gone)
    assert not (store.root / "tenant" / "file-2").exists()
    assert await store.get(kept) == b"1"
    await store.delete(kept)
    assert store.root.is_dir()  # the root itself stays
    assert list(store.root.iterdir()) == []


def test_a_relative_root_is_the_working_directorys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert FilesystemBlobStore(Path(".ringbook/files")).root == tmp_path / ".ringbook" / "files"


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("Preisliste 2026.pdf", "Preisliste_2026.pdf"),
        ("Öffnungszeiten \u2013 Sommer.docx", "Offnungszeiten_Sommer.docx"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\notes.txt", "notes.txt"),
        (".hidden", "file.hidden"),
        ("..", "file"),
        ("日本語.txt", "file.txt"),
        ("a" * 300 + ".pdf", "a" * 116 + ".pdf"),
    ],
)
def test_safe_names(name: str, safe: str) -> None:
    assert safe_name(name) == safe
