"""The agent's audio on its way to the callee: what was sent, what Twilio says has played,
and where to cut it when the callee interrupts. Pure bookkeeping, no I/O.

Twilio plays what we send in order and echoes a ``mark`` once the audio sent before it
has played. Marks are named ``<item_id>:<ms>``: the item's audio up to ``ms`` has been
heard. One mark per delta would double the messages on the hot path (a 20 ms delta
each way is 50 a second per call), so a mark goes out once at least
:data:`MARK_EVERY_MS` of the item is unmarked, and for the tail when the item ends
(:meth:`Playback.flush`). The played position is therefore known to within
``MARK_EVERY_MS``, never overstated: a truncation never claims the callee heard audio
that was still queued.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MARK_EVERY_MS = 100


def mark_name(item_id: str, ms: int) -> str:
    return f"{item_id}:{ms}"


@dataclass
class Playback:
    item: str | None = None  # the item whose audio is being played
    sent_ms: int = 0  # of ``item``: sent to Twilio
    marked_ms: int = 0  # of ``item``: covered by a mark we sent
    played_ms: int = 0  # of ``item``: Twilio echoed a mark this far
    truncated: set[str] = field(default_factory=set)

    def accepts(self, item_id: str) -> bool:
        """False for audio of an item the callee interrupted (still in flight)."""
        return item_id not in self.truncated

    def start(self, item_id: str) -> str | None:
        """A delta of ``item_id`` is about to be sent. A new item resets the counters; the
        returned mark (if any) covers the previous item's tail and goes out first."""
        if item_id == self.item:
            return None
        tail = self.flush()
        self.item, self.sent_ms, self.marked_ms, self.played_ms = item_id, 0, 0, 0
        return tail

    def sent(self, ms: int) -> str | None:
        """``ms`` more of the current item went to Twilio; the mark to send after it, if
        enough audio is unmarked."""
        self.sent_ms += ms
        if self.sent_ms - self.marked_ms >= MARK_EVERY_MS:
            return self.flush()
        return None

    def flush(self) -> str | None:
        """The mark covering everything sent so far, or None if nothing is unmarked."""
        if self.item is None or self.sent_ms <= self.marked_ms:
            return None
        self.marked_ms = self.sent_ms
        return mark_name(self.item, self.sent_ms)

    def played(self, name: str) -> None:
        """Twilio echoed the mark ``name``."""
        item_id, _, ms = name.rpartition(":")
        if item_id == self.item and item_id not in self.truncated and ms.isdigit():
            self.played_ms = max(self.played_ms, int(ms))

    def interrupt(self) -> tuple[str, int] | None:
        """The callee started speaking: if our audio is still playing, the item to
        truncate and how much of it was heard; its remaining audio is dropped."""
        item = self.item
        if item is None or item in self.truncated or self.played_ms >= self.sent_ms:
            return None  # nothing of ours is playing: the callee simply speaks
        self.truncated.add(item)
        self.marked_ms = self.sent_ms  # what was cleared needs no mark
        return item, self.played_ms
