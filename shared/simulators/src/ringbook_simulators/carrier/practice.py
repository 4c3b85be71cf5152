"""The SIMULATED callee's voice: the practice says its scripted lines on the Media Stream.

The lines come from the SIMULATED realtime model's scripts
(:func:`ringbook_simulators.realtime.scripts.practice_lines`), so both simulators play
the same conversation. Only the numbers with a script of their own speak
(:data:`SCRIPTED_NUMBERS`); every other number keeps a silent line.

Turn taking, as a person on the phone would do it:

* line 1 right away, on the first frame after ``start`` (the practice answers with its
  greeting). The caller of an inbound call listens first, ``listen_seconds``: if the
  business speaks first (agent audio carrying speech: an assistant's first message),
  the caller takes its ``greeted_lines`` instead, and the first of them follows that
  agent turn like any later line; if not, it says its ``lines`` (hello first) once the
  time is up;
* every later line once the agent has taken its turn: agent audio (``media`` from the
  application) has arrived since the practice's previous line ended, and then none for
  ``agent_quiet_seconds`` (700 ms by default);
* a line with ``barge_in_after_ms`` starts that long after the agent's audio began,
  interrupting it (or, if the agent is done sooner, as any other line);
* after the last line the practice stays on the line, silent, until hang-up.

"Speaking" is the realtime simulator's two-tone waveform (mean amplitude ~3000, far
above its energy VAD's 500), one frame per tick for the line's scripted duration.
:class:`PracticeVoice` holds no task and no clock of its own: the stream's frame loop
asks it for each frame's payload, and the stream's reader tells it when agent audio
arrives, both with the loop's monotonic time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

import structlog

from ringbook_simulators.carrier.records import SpokenLine, utcnow
from ringbook_simulators.realtime.audio import TONE_FRAME
from ringbook_simulators.realtime.scripts import (
    BARGE_IN_NUMBER,
    BOOKING_NUMBER,
    NO_AVAILABILITY_NUMBER,
    PracticeLine,
    practice_lines,
)

MULAW_SILENCE_BYTE: Final = b"\xff"
SCRIPTED_NUMBERS: Final = frozenset({BOOKING_NUMBER, NO_AVAILABILITY_NUMBER, BARGE_IN_NUMBER})

# Tolerance for comparing loop times: a deadline that falls exactly on a frame tick
# must count as reached despite float rounding (0.02 * n is rarely exact).
_EPSILON: Final = 1e-6
_BERLIN: Final = ZoneInfo("Europe/Berlin")
_log = structlog.get_logger("ringbook_simulators.carrier.practice")


def berlin_today() -> date:
    """The scripts date their slots in the practice's local time."""
    return datetime.now(_BERLIN).date()


def lines_for(number: str, today: date) -> tuple[PracticeLine, ...]:
    """What the practice behind ``number`` says, in order; empty if it has no script."""
    number = number.strip()
    if number not in SCRIPTED_NUMBERS:
        return ()
    return tuple(practice_lines(number, today))


class PracticeVoice:
    """Decides, frame by frame, whether the practice speaks and records what it said."""

    def __init__(
        self,
        lines: Sequence[PracticeLine],
        *,
        frame_ms: int,
        agent_quiet_seconds: float,
        said: list[SpokenLine],
        wallclock: Callable[[], datetime] = utcnow,
        greeted_lines: Sequence[PracticeLine] | None = None,
        listen_seconds: float = 0.0,
    ) -> None:
        self._lines = tuple(lines)
        # A caller that listens first: its lines if greeted, and how long it listens.
        self._greeted = tuple(greeted_lines) if greeted_lines is not None else None
        self._listen = listen_seconds
        self._listen_until: float | None = None
        self._first_at_once = True  # line 1 needs no agent turn before it
        self._decided = self._greeted is None
        self._agent_spoke = False  # agent audio with speech in it has arrived
        self._frame_ms = frame_ms
        self._frame_bytes = frame_ms * 8  # 8 kHz mu-law: one byte per sample
        self._silence = MULAW_SILENCE_BYTE * self._frame_bytes
        self._quiet = agent_quiet_seconds
        self._said = said
        self._wallclock = wallclock
        self._next = 0  # index of the next line to say
        self._current: SpokenLine | None = None
        self._agent_last: float | None = None  # arrival of the latest agent audio
        self._agent_since: float | None = None  # first agent audio since our last line
        self._phase = 0  # sample position in the tone, so frames join without clicks

    @property
    def speaking(self) -> bool:
        return self._current is not None

    @property
    def done(self) -> bool:
        """Every line has been said; the practice only listens now."""
        return self._current is None and self._next >= len(self._lines)

    def agent_audio(self, now: float, speech: bool = True) -> None:
        """A ``media`` message from the application (the agent's voice) arrived;
        ``speech``: its audio is not silence (only speech counts as being greeted)."""
        self._agent_spoke = self._agent_spoke or speech
        self._agent_last = now
        if self._current is None and self._agent_since is None:
            self._agent_since = now

    def frame(self, now: float, stream_ms: int) -> bytes:
        """The payload of the frame sent at ``now``, whose media timestamp is ``stream_ms``."""
        if self._current is None:
            line = self._line_due(now)
            if line is not None:
                self._start(line, now, stream_ms)
        current = self._current
        if current is None:
            return self._silence
        payload = self._tone()
        current.frames_sent += 1
        if current.frames_sent >= current.planned_frames:
            current.end_ms = stream_ms + self._frame_ms
            current.ended_at = self._wallclock()
            self._current = None
            self._agent_since = None
        return payload

    def _line_due(self, now: float) -> PracticeLine | None:
        if not self._decided and not self._listened(now):
            return None
        if self._next >= len(self._lines):
            return None
        line = self._lines[self._next]
        if self._next == 0 and self._first_at_once:
            return line  # the practice picks up and answers at once
        if self._agent_since is None or self._agent_last is None:
            return None  # a practice turn follows an agent turn
        if now - self._agent_last >= self._quiet - _EPSILON:
            return line
        barge_in = line.barge_in_after_ms
        if barge_in is not None and now - self._agent_since >= barge_in / 1000 - _EPSILON:
            return line
        return None

    def _listened(self, now: float) -> bool:
        """Whether a caller listening first has made up its mind (greeted or not)."""
        if self._listen_until is None:
            self._listen_until = now + self._listen
        if self._agent_spoke and self._greeted is not None:
            self._lines, self._first_at_once = self._greeted, False
            _log.info("simulated caller was greeted first: skips its hello")
        elif now < self._listen_until - _EPSILON:
            return False
        self._decided = True
        return True

    def _start(self, line: PracticeLine, now: float, stream_ms: int) -> None:
        agent_talking = (
            self._agent_last is not None and now - self._agent_last < self._quiet - _EPSILON
        )
        spoken = SpokenLine(
            text=line.text,
            started_at=self._wallclock(),
            start_ms=stream_ms,
            planned_frames=max(1, -(-line.duration_ms // self._frame_ms)),
            interrupting=agent_talking,
        )
        self._said.append(spoken)
        self._current = spoken
        self._next += 1
        _log.info(
            "simulated practice speaks",
            line=self._next,
            text=line.text,
            duration_ms=line.duration_ms,
            interrupting=agent_talking,
        )

    def _tone(self) -> bytes:
        # TONE_FRAME holds whole periods of its tones, so reading it cyclically yields
        # a continuous waveform for any frame size.
        period = len(TONE_FRAME)
        start = self._phase
        self._phase = (start + self._frame_bytes) % period
        repeated = TONE_FRAME * (-(-(start + self._frame_bytes) // period))
        return repeated[start : start + self._frame_bytes]
