"""The child process that reads a file: its text and language come back; a file that
makes it exceed its memory, CPU or wall-clock budget ends as UnreadableFile, the child
is gone, and this process reads the next file as before."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import os
import sys
import time
from pathlib import Path

import pytest
from catalog_service.adapters.extraction_sandbox import (
    ExtractedText,
    SandboxUnavailable,
    UnreadableFile,
    extract_isolated,
)
from catalog_service.domain.extraction import MIB, ExtractionLimits
from catalog_service.sample_files import (
    blank_pdf,
    encrypted_pdf,
    pdf_with_text,
    zip_bomb_docx,
)
from ringbook.bus.failures import is_transient
from ringbook_devtools.testing.waiting import eventually

LIMITS = ExtractionLimits()
GERMAN = ["Unsere Praxis ist montags bis freitags von acht bis achtzehn Uhr geöffnet.",
          "Termine vereinbaren Sie bitte telefonisch."]
# Unbounded but for what the test is about.
NO_CHECKS = dataclasses.replace(LIMITS, max_pages=10**7, max_unzipped_bytes=10**12,
                                max_compression_ratio=10**9)


@functools.cache
def endless_pages() -> bytes:
    """Far more reading than any budget below: 40,000 pages took 7.3 s of CPU here.

    10,000 pages were too few: on an idle fast host the child read them inside its CPU
    budget (the budget counts from the child's start, so it is up to a second more than
    asked), and the test saw the file's own refusal instead of the limit's."""
    return blank_pdf(40_000)


def children() -> set[int]:
    """Pids of this process's live children (Linux /proc)."""
    pids: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        pids |= {int(p) for p in (task / "children").read_text().split()}
    return pids


async def read_fine() -> None:
    """The next, harmless file is read as ever."""
    got = await extract_isolated(pdf_with_text([GERMAN]), "pdf", LIMITS)
    assert got == ExtractedText(text="\n".join(GERMAN), language="german")


async def test_text_and_language_come_back() -> None:
    await read_fine()
    english = "Opening hours are Monday to Friday from eight to six. Please call ahead."
    got = await extract_isolated(english.encode(), "txt", LIMITS)
    assert got == ExtractedText(text=english, language="english")


async def test_a_refusal_inside_the_child_keeps_its_reason() -> None:
    with pytest.raises(UnreadableFile) as refused:
        await extract_isolated(encrypted_pdf([["Geheim"]]), "pdf", LIMITS)
    assert refused.value.reason.startswith("the PDF is encrypted")


async def test_a_file_that_exhausts_memory_only_ends_its_child() -> None:
    # 600 MiB of zeros as word/document.xml, past every check but the memory limit.
    bomb = zip_bomb_docx(600 * MIB)
    limits = dataclasses.replace(NO_CHECKS, memory_bytes=400 * MIB)
    before = children()
    with pytest.raises(UnreadableFile) as refused:
        await extract_isolated(bomb, "docx", limits)
    assert refused.value.reason == "reading the file needs more than 400 MiB of memory"
    assert children() <= before
    await read_fine()


async def test_a_file_that_takes_too_much_cpu_is_stopped() -> None:
    # 40,000 pages to walk, with one CPU second to do it.
    limits = dataclasses.replace(NO_CHECKS, cpu_seconds=1)
    with pytest.raises(UnreadableFile) as refused:
        await extract_isolated(endless_pages(), "pdf", limits)
    assert refused.value.reason == "reading the file took more than 1 s of processor time"
    await read_fine()


async def test_a_file_that_takes_too_long_is_killed() -> None:
    limits = dataclasses.replace(NO_CHECKS, timeout_seconds=2.5)
    before = children()
    started = time.monotonic()
    with pytest.raises(UnreadableFile) as refused:
        await extract_isolated(endless_pages(), "pdf", limits)
    assert refused.value.reason == "reading the file took longer than 2.5 s"
    assert time.monotonic() - started < 10  # killed, not waited for
    assert children() <= before
    await read_fine()


async def test_a_cancelled_read_leaves_no_child() -> None:
    before = children()
    task = asyncio.create_task(extract_isolated(endless_pages(), "pdf", NO_CHECKS))

    def started() -> bool:
        return bool(children() - before)

    await eventually(started, 20, what="the child started")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert children() <= before


async def test_a_child_that_cannot_start_is_not_the_files_fault(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An installation whose interpreter cannot import the readers.
    monkeypatch.setattr(sys, "executable", "/bin/false")
    with pytest.raises(SandboxUnavailable) as failed:
        await extract_isolated(b"text", "txt", LIMITS)
    assert is_transient(failed.value)
    assert not isinstance(failed.value, UnreadableFile)


async def test_files_wait_their_turn_beyond_the_concurrency() -> None:
    from catalog_service.adapters.extraction_sandbox import _gate

    limits = dataclasses.replace(NO_CHECKS, concurrency=1)
    before = children()
    first = asyncio.create_task(extract_isolated(pdf_with_text([GERMAN]), "pdf", limits))
    second = asyncio.create_task(extract_isolated(pdf_with_text([GERMAN]), "pdf", limits))
    await eventually(lambda: bool(children() - before), 20, what="the first child started")
    # The first child runs; the second file waits at the gate, with no child of its own.
    assert len(children() - before) == 1
    assert _gate(1).locked()
    results = await asyncio.gather(first, second)
    assert [r.language for r in results] == ["german", "german"]
    assert children() <= before
