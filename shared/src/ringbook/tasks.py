"""Every background asyncio task is tracked: named, logged if it dies, cancelled on stop."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from ringbook.logging import get_logger

log = get_logger(__name__)


class TaskSupervisor:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self.crashed: list[str] = []

    def spawn(self, name: str, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.crashed.append(task.get_name())
            log.error("task_crashed", task=task.get_name(), error=repr(task.exception()))

    @property
    def running(self) -> list[str]:
        return sorted(t.get_name() for t in self._tasks)

    async def stop(self, *, grace_seconds: float = 10.0) -> None:
        """Cancel every task and wait for it to end.

        One ``cancel()`` is not always enough on Python 3.11: ``asyncio.wait_for`` (used
        inside nats-py's fetch) can swallow a cancellation that races its own timeout, and
        the task then carries on. So keep cancelling, within a bounded grace period.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace_seconds
        pending = set(self._tasks)
        while pending and loop.time() < deadline:
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=0.2)
        for task in pending:
            log.error("task_would_not_stop", task=task.get_name())
