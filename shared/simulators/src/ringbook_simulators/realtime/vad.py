"""Server-side voice activity detection of the SIMULATED realtime model, by energy.

Real server VAD uses a model; the simulator only needs to tell the practice's (tone)
speech from silence, so it thresholds the mean absolute amplitude of each 20 ms frame:

* speech starts once frames stay above ``threshold`` for ``start_ms`` (60 ms), so a
  click or one noisy packet does not interrupt the agent;
* speech stops after ``silence_ms`` (400 ms) below the threshold: the hangover keeps
  the pauses between words inside one turn.

Positions are milliseconds of audio appended since the session started, like the
``audio_start_ms`` / ``audio_end_ms`` of the real API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ringbook_simulators.realtime.audio import BYTES_PER_MS, FRAME_BYTES, FRAME_MS, mean_abs_level

DEFAULT_THRESHOLD = 500.0  # mean |sample| on the 16-bit scale; μ-law silence decodes to 0
DEFAULT_START_MS = 60
DEFAULT_SILENCE_MS = 400


@dataclass(frozen=True)
class VadEvent:
    kind: Literal["speech_started", "speech_stopped"]
    audio_ms: int  # audio_start_ms for started, audio_end_ms for stopped


@dataclass
class EnergyVad:
    threshold: float = DEFAULT_THRESHOLD
    start_ms: int = DEFAULT_START_MS
    silence_ms: int = DEFAULT_SILENCE_MS
    in_speech: bool = False
    _pending: bytearray = field(default_factory=bytearray)
    _position_ms: int = 0  # end of the audio analysed so far
    _loud_since_ms: int | None = None  # start of the current run of loud frames
    _quiet_since_ms: int | None = None  # start of the current run of quiet frames

    @property
    def position_ms(self) -> int:
        return self._position_ms

    def feed(self, mulaw: bytes) -> list[VadEvent]:
        """Analyse appended audio; return the speech boundaries it completes."""
        self._pending.extend(mulaw)
        events: list[VadEvent] = []
        # Appends need not be frame-aligned; analyse whole frames, keep the remainder.
        while len(self._pending) >= FRAME_BYTES:
            frame = bytes(self._pending[:FRAME_BYTES])
            del self._pending[:FRAME_BYTES]
            event = self._frame(frame)
            if event is not None:
                events.append(event)
        return events

    def _frame(self, frame: bytes) -> VadEvent | None:
        frame_start = self._position_ms
        self._position_ms += len(frame) // BYTES_PER_MS
        loud = mean_abs_level(frame) > self.threshold
        if not self.in_speech:
            if not loud:
                self._loud_since_ms = None
                return None
            if self._loud_since_ms is None:
                self._loud_since_ms = frame_start
            if self._position_ms - self._loud_since_ms >= self.start_ms:
                self.in_speech = True
                self._quiet_since_ms = None
                return VadEvent("speech_started", self._loud_since_ms)
            return None
        if loud:
            self._quiet_since_ms = None
            return None
        if self._quiet_since_ms is None:
            self._quiet_since_ms = frame_start
        if self._position_ms - self._quiet_since_ms >= self.silence_ms:
            # Like the real API, audio_end_ms includes the silence that ended the turn.
            self.in_speech = False
            self._loud_since_ms = None
            return VadEvent("speech_stopped", self._position_ms)
        return None

    def reset(self) -> None:
        """Forget a half-detected turn (``input_audio_buffer.clear``); keep the clock."""
        self._pending.clear()
        self.in_speech = False
        self._loud_since_ms = None
        self._quiet_since_ms = None


__all__ = ["FRAME_MS", "EnergyVad", "VadEvent"]
