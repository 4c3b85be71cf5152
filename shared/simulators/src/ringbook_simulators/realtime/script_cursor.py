"""Where a SIMULATED realtime session stands in its script (``scripts``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from ringbook_simulators.realtime.scripts import Script, Turn, script_for, script_key


class ScriptCursor:
    """The session's script and the next turn of it; the default booking script until
    a ``session.update`` selects one."""

    def __init__(self, today: Callable[[], date]) -> None:
        self._today = today
        self.key: str | None = None  # the script's key: number called, or an inbound one
        self.script: Script | None = None
        self._next = 0  # index of the next turn

    def select(self, instructions: str | None, tools: Sequence[Any]) -> bool:
        """Follow the script these session settings choose; True if it changed. A new
        key starts a new conversation from the top; the same key with other tools (a
        second update, say) replaces the script only before it has begun."""
        key = script_key(instructions, tools)
        script = script_for(key, self._today(), tools, instructions)
        if self.script is not None and key == self.key and (self._next or script == self.script):
            return False
        self.key, self.script, self._next = key, script, 0
        return True

    def _turns(self) -> tuple[Turn, ...]:
        if self.script is None:  # never configured: play the default script
            self.script = script_for(None, self._today())
        return self.script.turns

    def skip_opening(self) -> None:
        """A first message was spoken: it replaces the hello exchange of the script."""
        turns = self._turns()
        while self._next < len(turns) and turns[self._next].opening:
            self._next += 1

    def next_turn(self, *, agent: bool) -> Turn | None:
        """Consume the next turn if the agent says it (else: the other party)."""
        turns = self._turns()
        if self._next < len(turns) and turns[self._next].by_agent is agent:
            self._next += 1
            return turns[self._next - 1]
        return None
