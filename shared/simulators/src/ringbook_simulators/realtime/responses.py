"""One scripted agent response of the SIMULATED realtime model, streamed in real time.

Audio goes out as one 160-byte μ-law delta per 20 ms, paced against the monotonic
clock, so that a barge-in (speech_started) or ``response.cancel`` can cut a reply
mid-sentence exactly as the practice would hear it. Cancellation is cooperative: the
stream checks a flag between frames and then still closes every open part, item and
the response itself, as the real server does for cancelled responses.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import Awaitable, Callable
from typing import Literal

from ringbook_simulators.realtime import protocol as p
from ringbook_simulators.realtime.audio import FRAME_MS, speaking_duration_ms, tone_frames
from ringbook_simulators.realtime.scripts import Turn

Send = Callable[[p.Event], Awaitable[None]]
# The finished response's usage object from its output text and audio ms
# (``usage.UsageMeter.response``, bound to the session's instructions).
Meter = Callable[[str, int], p.Event]
CancelReason = Literal["turn_detected", "client_cancelled"]


class ResponseRun:
    """Streams one agent turn (spoken line and/or tool call) as a Realtime response."""

    def __init__(
        self,
        send: Send,
        turn: Turn | None,
        *,
        audio_ms: dict[str, int],
        function_calls: dict[str, str],
        speed: float = 1.0,
        meter: Meter | None = None,
    ) -> None:
        self.response_id = p.new_id("resp")
        self._send = send
        self._turn = turn
        self._cancelled = asyncio.Event()
        self.finished = asyncio.Event()
        self.cancel_reason: CancelReason | None = None
        # Shared with the session and updated as we go: a truncate or a tool result
        # may arrive before this response's response.done.
        self.audio_ms = audio_ms  # assistant item id -> audio ms sent, for truncate
        self.function_calls = function_calls  # call_id -> tool name, awaiting output
        self.status = "in_progress"
        self._meter = meter
        # speed > 1 plays faster than real time: only for tests that need no barge-in.
        self._frame_seconds = FRAME_MS / 1000 / speed

    def cancel(self, reason: CancelReason) -> None:
        if self.cancel_reason is None:
            self.cancel_reason = reason
            self._cancelled.set()

    async def run(self) -> None:
        try:
            await self._run()
        finally:
            self.finished.set()

    async def _run(self) -> None:
        await self._send(
            p.event(
                "response.created",
                response=p.response_object(self.response_id, status="in_progress", output=[]),
            )
        )
        output: list[p.Event] = []
        turn = self._turn
        if turn is not None and turn.text and self.cancel_reason is None:
            output.append(await self._speak(turn.text, output_index=len(output)))
        if turn is not None and turn.tool is not None and self.cancel_reason is None:
            output.append(await self._call(turn, output_index=len(output)))
        self.status = "completed" if self.cancel_reason is None else "cancelled"
        details = (
            None
            if self.cancel_reason is None
            else {"type": "cancelled", "reason": self.cancel_reason}
        )
        usage = None if self._meter is None else self._meter(*self._produced(output))
        await self._send(
            p.event(
                "response.done",
                response=p.response_object(
                    self.response_id, status=self.status, output=output,
                    status_details=details, usage=usage,
                ),
            )
        )

    def _produced(self, output: list[p.Event]) -> tuple[str, int]:
        """The text (transcripts, tool call arguments) and the audio ms of ``output``."""
        texts: list[str] = []
        audio_ms = 0
        for item in output:
            if item["type"] == "function_call":
                texts.append(item["arguments"])
                continue
            texts.extend(part["transcript"] for part in item["content"])
            audio_ms += self.audio_ms.get(item["id"], 0)
        return "".join(texts), audio_ms

    def _ids(self, item_id: str, output_index: int) -> dict[str, object]:
        return {"response_id": self.response_id, "item_id": item_id, "output_index": output_index}

    async def _speak(self, text: str, *, output_index: int) -> p.Event:
        item_id = p.new_id("item")
        ids = {**self._ids(item_id, output_index), "content_index": 0}
        added = p.assistant_message_item(item_id, status="in_progress", transcript=None)
        await self._announce_item("added", added, output_index)
        await self._send(
            p.event("response.content_part.added", **ids, part={"type": "audio", "transcript": ""})
        )
        frames = tone_frames(speaking_duration_ms(text))
        words = text.split(" ")
        spoken: list[str] = []
        self.audio_ms[item_id] = 0
        loop = asyncio.get_running_loop()
        started = loop.time()
        for index, frame in enumerate(frames):
            if self.cancel_reason is not None:
                break
            # Spread the transcript over the audio: word i goes out with frame i*n/w,
            # so an interrupted reply has a transcript of roughly what was "said".
            while len(spoken) < len(words) and len(spoken) * len(frames) <= index * len(words):
                delta = words[len(spoken)] if not spoken else " " + words[len(spoken)]
                spoken.append(words[len(spoken)])
                await self._send(
                    p.event("response.output_audio_transcript.delta", **ids, delta=delta)
                )
            await self._send(
                p.event(
                    "response.output_audio.delta",
                    **ids,
                    delta=base64.b64encode(frame).decode("ascii"),
                )
            )
            self.audio_ms[item_id] += FRAME_MS
            # Pace against the start time, not per-sleep, so scheduling delays don't add up.
            delay = started + (index + 1) * self._frame_seconds - loop.time()
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._cancelled.wait(), timeout=delay)
        transcript = " ".join(spoken)
        await self._send(p.event("response.output_audio.done", **ids))
        await self._send(
            p.event("response.output_audio_transcript.done", **ids, transcript=transcript)
        )
        await self._send(
            p.event(
                "response.content_part.done",
                **ids,
                part={"type": "audio", "transcript": transcript},
            )
        )
        status = "completed" if self.cancel_reason is None else "incomplete"
        done = p.assistant_message_item(item_id, status=status, transcript=transcript)
        await self._announce_item("done", done, output_index)
        return done

    async def _announce_item(self, stage: str, item: p.Event, output_index: int) -> None:
        """``response.output_item.<stage>`` and its ``conversation.item.<stage>`` twin,
        which the GA server sends for every output item (messages and function calls)."""
        await self._send(p.event(f"response.output_item.{stage}", response_id=self.response_id,
                                 output_index=output_index, item=item))
        await self._send(p.event(f"conversation.item.{stage}", item=item))

    async def _call(self, turn: Turn, *, output_index: int) -> p.Event:
        assert turn.tool is not None
        item_id, call_id = p.new_id("item"), p.new_id("call")
        name, arguments = turn.tool.name, turn.tool.arguments_json
        ids = {**self._ids(item_id, output_index), "call_id": call_id}
        added = p.function_call_item(
            item_id, call_id=call_id, name=name, arguments="", status="in_progress"
        )
        await self._announce_item("added", added, output_index)
        self.function_calls[call_id] = name
        # Two deltas rather than one, so clients that concatenate deltas are exercised.
        half = len(arguments) // 2
        for delta in (arguments[:half], arguments[half:]):
            await self._send(p.event("response.function_call_arguments.delta", **ids, delta=delta))
        await self._send(
            p.event("response.function_call_arguments.done", **ids, name=name, arguments=arguments)
        )
        done = p.function_call_item(
            item_id, call_id=call_id, name=name, arguments=arguments, status="completed"
        )
        await self._announce_item("done", done, output_index)
        return done
