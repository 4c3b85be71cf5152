"""Text extraction and language detection in a child process that a file cannot escape.

Parsers of PDF and Office files are large, and a hostile file (a decompression bomb
inside a PDF stream, a page tree that loops, XML nested a million deep) can make them
eat memory or CPU without end. So every file is read by a fresh child process
(``python -I -m catalog_service.adapters.extraction_sandbox``) under ``setrlimit``:
its address space (``memory_bytes``), its CPU seconds (``cpu_seconds``: SIGXCPU ends
it), no file writes and no core dumps; and the parent kills it after
``timeout_seconds`` of wall-clock time. Whatever ends the child, the outcome is an
``UnreadableFile`` with the reason, and the service goes on with the next file.

The child gets an empty environment (no database URL, no keys): a parser exploited
by a file finds nothing to steal in it. It reads the file on stdin and answers one JSON
document on stdout, after a ``ready`` line that says it started: a child that never
gets ready is this installation's problem, not the file's (``SandboxUnavailable``, a
transient failure: the upload waits and is retried, it is not failed).

At most ``limits.concurrency`` children run at once per event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import math
import os
import resource
import signal
import sys
import weakref
from asyncio.subprocess import PIPE, Process
from typing import Any

from ringbook.bus.failures import TransientFailure
from ringbook.logging import get_logger

from catalog_service.domain.extraction import ExtractedText, ExtractionLimits, UnreadableFile

__all__ = ["ExtractedText", "SandboxUnavailable", "UnreadableFile", "extract_isolated"]

log = get_logger(__name__)

_READY = b"ready\n"
_MIB = 1024 * 1024
_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, asyncio.Semaphore]] = (
    weakref.WeakKeyDictionary()
)


class SandboxUnavailable(TransientFailure):
    """The child process could not be started or never got ready (not the file's fault)."""


async def extract_isolated(
    data: bytes, file_type: str, limits: ExtractionLimits
) -> ExtractedText:
    """The file's text and its language, read in a child process; UnreadableFile if
    the file cannot be read or the child exceeded its limits."""
    async with _gate(limits.concurrency):
        return await _run_child(data, file_type, limits)


def _gate(concurrency: int) -> asyncio.Semaphore:
    """One semaphore per event loop (a semaphore belongs to the loop it first waits on)
    and size, so every caller with the same settings shares it."""
    per_size = _gates.setdefault(asyncio.get_running_loop(), {})
    if concurrency not in per_size:
        per_size[concurrency] = asyncio.Semaphore(concurrency)
    return per_size[concurrency]


async def _run_child(data: bytes, file_type: str, limits: ExtractionLimits) -> ExtractedText:
    try:
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-I", "-m", __name__, file_type,
            json.dumps(dataclasses.asdict(limits)),
            stdin=PIPE, stdout=PIPE, stderr=PIPE, env=_child_environment(),
            start_new_session=True,  # a terminal's Ctrl-C is the parent's to handle
        )
    except OSError as exc:
        raise SandboxUnavailable(f"cannot start the extraction process: {exc}") from exc
    try:
        async with asyncio.timeout(limits.timeout_seconds):
            out, err = await child.communicate(data)
    except TimeoutError:
        raise UnreadableFile(
            f"reading the file took longer than {limits.timeout_seconds:g} s"
        ) from None
    finally:
        await _reap(child)
    return _outcome(child.returncode, out, err, limits)


async def _reap(child: Process) -> None:
    if child.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            child.kill()
    # Shielded: even a cancelled caller leaves no zombie behind.
    await asyncio.shield(child.wait())


def _outcome(
    returncode: int | None, out: bytes, err: bytes, limits: ExtractionLimits
) -> ExtractedText:
    if not out.startswith(_READY):
        log.error("extraction_sandbox_not_ready", returncode=returncode, stderr=_tail(err))
        raise SandboxUnavailable(f"the extraction process did not start: {_tail(err)}")
    answer = _answer(out[len(_READY):])
    if answer is not None and returncode == 0:
        if "error" in answer:
            raise UnreadableFile(str(answer["error"]))
        return ExtractedText(text=str(answer["text"]), language=str(answer["language"]))
    log.warning("extraction_child_died", returncode=returncode, stderr=_tail(err))
    if returncode in (-signal.SIGXCPU, -signal.SIGKILL):  # soft, then hard CPU limit
        raise UnreadableFile(
            f"reading the file took more than {limits.cpu_seconds} s of processor time"
        )
    if b"MemoryError" in err or b"Cannot allocate memory" in err:
        raise UnreadableFile(_memory_reason(limits))
    if returncode is not None and returncode < 0:
        name = signal.Signals(-returncode).name
        raise UnreadableFile(f"the reader crashed on this file ({name})")
    raise UnreadableFile(f"the reader failed on this file (exit status {returncode})")


def _answer(body: bytes) -> dict[str, Any] | None:
    try:
        answer = json.loads(body)
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None


def _memory_reason(limits: ExtractionLimits) -> str:
    return f"reading the file needs more than {limits.memory_bytes // _MIB} MiB of memory"


def _child_environment() -> dict[str, str]:
    return {
        "PATH": os.defpath,
        "LANG": "C.UTF-8",
        # One thread per math library: their per-thread buffers would eat the address
        # space the limit allows, and one file needs no parallel maths.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


def _tail(err: bytes, size: int = 800) -> str:
    return err[-size:].decode("utf-8", "replace").strip()


# --- the child -------------------------------------------------------------------------------


def _limit_self(limits: ExtractionLimits) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    # RLIMIT_CPU counts from the process's start: the file's budget comes on top of
    # what starting up (imports, the language model) has used.
    usage = resource.getrusage(resource.RUSAGE_SELF)
    budget = math.ceil(usage.ru_utime + usage.ru_stime) + limits.cpu_seconds
    resource.setrlimit(resource.RLIMIT_CPU, (budget, budget + 2))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _child_main(argv: list[str]) -> int:
    import logging
    import warnings

    # Imported before the limits, so a broken installation shows as "not ready".
    import bs4  # noqa: F401
    import docx  # noqa: F401
    import pypdf  # noqa: F401

    from catalog_service.adapters.text_extraction import extract_text
    from catalog_service.domain.language import preload, search_config

    logging.disable(logging.CRITICAL)  # a malformed PDF warns per object
    warnings.simplefilter("ignore")
    file_type, limits = argv[1], ExtractionLimits(**json.loads(argv[2]))
    preload()
    _limit_self(limits)
    sys.stdout.buffer.write(_READY)
    sys.stdout.buffer.flush()
    data = sys.stdin.buffer.read()
    answer: dict[str, str]
    try:
        text = extract_text(data, file_type, limits)
        answer = {"text": text, "language": search_config(text)}
    except UnreadableFile as exc:
        answer = {"error": exc.reason}
    except MemoryError:
        answer = {"error": _memory_reason(limits)}
    sys.stdout.buffer.write(json.dumps(answer, ensure_ascii=False).encode("utf-8"))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv))
