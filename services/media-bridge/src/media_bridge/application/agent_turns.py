"""The model's side of a live call: its audio to the callee, barge-in, transcripts, turn
latency and tool calls, driven by the model's events in the order they arrive.

Audio: each delta goes to Twilio as the base64 string the model sent, followed now and
then by a mark (:mod:`media_bridge.domain.playback`), so Twilio's echoes say how much the
callee has heard. Barge-in: ``speech_started`` while our audio is still playing clears
Twilio's buffer and truncates the item at the last played mark.

Tools run as their calls arrive, each as a task of the call (an HTTP tool may take its
whole timeout, seconds, and the model's events, audio and barge-in included, must keep
flowing meanwhile); their outputs go back when the response is done and every one of
its tools has finished, in the order the model called them, followed by
``response.create`` so the line never goes silent after a tool call. Responses deliver
their outputs in order: a later response's wait behind an earlier, slower one.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from ringbook.logging import get_logger
from ringbook.tasks import TaskSupervisor

from media_bridge.application.call_tools import CallTools
from media_bridge.application.metrics import INTERRUPTIONS, RESPONSE_LATENCY
from media_bridge.application.ports import CallerLine, RealtimeModel
from media_bridge.domain.call_stream import EndReason
from media_bridge.domain.conversation_record import TranscriptLine
from media_bridge.domain.model_events import (
    AgentTranscript,
    AudioDelta,
    CalleeTranscript,
    FunctionCall,
    ModelError,
    ModelEvent,
    ResponseDone,
    SpeechStarted,
    SpeechStopped,
)
from media_bridge.domain.model_usage import TokenCounts, summed
from media_bridge.domain.playback import Playback

log = get_logger(__name__)

ToolRun = tuple[str, "asyncio.Task[str]"]  # (call_id, the tool call running)


class AgentTurns:
    def __init__(
        self,
        *,
        line: CallerLine,
        model: RealtimeModel,
        tools: CallTools,
        end: Callable[[EndReason], None],
        drain_seconds: float,
        started: float,
        tasks: TaskSupervisor | None = None,
    ) -> None:
        """``started``: the stream's start, monotonic (transcript lines count from it);
        ``tasks``: the call's own, which the tool calls run in."""
        self._line, self._model, self._tools, self._end = line, model, tools, end
        self._tasks = tasks or TaskSupervisor()
        self._audio_ms = line.audio_ms  # looked up once: it runs for every audio delta
        self._drain_seconds = drain_seconds
        self._started = started
        self.playback = Playback()
        self._all_played = asyncio.Event()  # Twilio has echoed every mark we sent
        self._all_played.set()
        self._tool_runs: list[ToolRun] = []  # of the response under way
        self._delivery: asyncio.Task[None] | None = None  # outputs waiting for their tools
        # Turn latency: monotonic time of the callee's last speech_stopped.
        self._speech_stopped_at: float | None = None
        self.latencies_ms: list[int] = []
        self.interruptions = 0
        self.transcript: list[TranscriptLine] = []
        # The model's tokens so far: its usage arrives once per response, off the audio path.
        self.usage: TokenCounts | None = None

    def mark_played(self, name: str) -> None:
        self.playback.played(name)
        if not self._line.progress.marks_pending:
            self._all_played.set()

    def on_event_now(self, event: ModelEvent) -> bool:
        """Act on ``event`` without waiting, if that can be done: True once done; False
        (nothing done) if it needs :meth:`on_event`."""
        match event:
            case AudioDelta():
                return self._play_now(event)
            case SpeechStopped() | CalleeTranscript() | AgentTranscript():
                self._note(event)
                return True
        return False

    async def on_event(self, event: ModelEvent) -> None:
        match event:
            case AudioDelta():
                await self._play(event)
            case SpeechStarted():
                await self._barge_in()
            case SpeechStopped() | CalleeTranscript() | AgentTranscript():
                self._note(event)
            case FunctionCall():
                running = self._tasks.spawn(f"tool:{event.name[:64]}", self._tools.run(event))
                self._tool_runs.append((event.call_id, running))
            case ResponseDone():
                self.usage = summed(self.usage, event.usage)
                await self._response_done()
            case ModelError():
                log.warning("realtime_error", code=event.code, message=event.message[:300])

    def _note(self, event: SpeechStopped | CalleeTranscript | AgentTranscript) -> None:
        match event:
            case SpeechStopped():
                self._speech_stopped_at = time.monotonic()
            case CalleeTranscript():
                if event.text:
                    self.transcript.append(TranscriptLine("callee", event.text, self._at_ms()))
            case AgentTranscript():
                if event.text:
                    interrupted = not self.playback.accepts(event.item_id)
                    self.transcript.append(
                        TranscriptLine("agent", event.text, self._at_ms(), interrupted)
                    )

    def _at_ms(self) -> int:
        return int((time.monotonic() - self._started) * 1000)

    def _play_now(self, delta: AudioDelta) -> bool:
        if not self.playback.accepts(delta.item_id):
            return True  # audio of a reply the callee interrupted, still in flight
        if not self._line.can_send_now():
            return False
        self._line.send_frames_now(self._frames_of(delta))
        self._first_audio_sent()
        return True

    async def _play(self, delta: AudioDelta) -> None:
        if not self.playback.accepts(delta.item_id):
            return
        await self._line.send_frames(self._frames_of(delta))
        self._first_audio_sent()

    def _frames_of(self, delta: AudioDelta) -> list[str]:
        """The delta's audio with the marks due around it, as frames for Twilio."""
        playback, line = self.playback, self._line
        frames = []
        tail = playback.start(delta.item_id)
        if tail is not None:
            frames.append(line.mark_frame(tail))
        self._all_played.clear()
        frames.append(line.audio_frame(delta.delta))
        mark = playback.sent(self._audio_ms(delta.delta))
        if mark is not None:
            frames.append(line.mark_frame(mark))
        return frames

    def _first_audio_sent(self) -> None:
        if self._speech_stopped_at is not None:
            latency = time.monotonic() - self._speech_stopped_at
            self._speech_stopped_at = None
            self.latencies_ms.append(round(latency * 1000))
            RESPONSE_LATENCY.observe(latency)

    async def _barge_in(self) -> None:
        cut = self.playback.interrupt()
        if cut is None:
            return
        item, played = cut
        self.interruptions += 1
        INTERRUPTIONS.inc()
        await self._line.clear_audio()
        await self._model.truncate(item, played)
        log.info("barge_in", item_id=item, audio_end_ms=played, sent_ms=self.playback.sent_ms)

    async def _response_done(self) -> None:
        # Mark the audio sent since the last mark, so its playing out is known too.
        tail = self.playback.flush()
        if tail is not None:
            await self._line.send_mark(tail)
        runs, self._tool_runs = self._tool_runs, []
        previous = self._delivery
        if previous is None and all(running.done() for _, running in runs):
            await self._deliver(runs)  # nothing to wait for: at once, in the reader
        elif runs:
            self._delivery = self._tasks.spawn("tool-outputs",
                                               self._deliver_after(previous, runs))

    async def _deliver_after(self, previous: asyncio.Task[None] | None,
                             runs: list[ToolRun]) -> None:
        try:
            if previous is not None:
                await asyncio.wait({previous})  # its outputs first; its failure is its own
            await self._deliver(runs)
        except Exception as exc:  # the model's socket is gone: the call's end follows
            log.warning("tool_outputs_not_delivered", error=repr(exc))
        finally:
            if self._delivery is asyncio.current_task():
                self._delivery = None

    async def _deliver(self, runs: list[ToolRun]) -> None:
        outputs = [(call_id, await _output_of(running)) for call_id, running in runs]
        for call_id, output in outputs:
            await self._model.send_tool_output(call_id, output)
        if self._tools.end_requested:
            await self._drain_and_end()
        elif outputs:
            await self._model.create_response()

    async def _drain_and_end(self) -> None:
        """Let Twilio finish playing the goodbye (until its last mark), then hang up."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._drain_seconds):
                await self._all_played.wait()
        self._end(EndReason.AGENT_ENDED)


async def _output_of(running: asyncio.Task[str]) -> str:
    """The tool's output (``CallTools.run`` never raises; a task that did not finish
    still owes the model an answer)."""
    await asyncio.wait({running})
    if running.cancelled() or running.exception() is not None:
        return '{"ok": false, "error": "the tool did not finish, please try again"}'
    return running.result()
