"""One websocket session of the SIMULATED realtime model (scripted, not AI).

The session speaks the OpenAI Realtime GA protocol: it records ``session.update``,
runs energy VAD over ``input_audio_buffer.append``, transcribes each turn of the
practice (or, inbound, the caller) as the script's next line of that party, and answers
``response.create`` (or, with server VAD's ``create_response``, the end of their speech)
with the script's next agent turn, or with the first message it was asked to say
(``scripts.first_message``). A bad client event gets an ``error`` event; the
socket stays open, as with the real API, because one malformed message must not end a
phone call.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import AsyncIterable, Awaitable, Callable
from datetime import date
from typing import Any

from ringbook.logging import get_logger
from ringbook.tasks import TaskSupervisor
from websockets.exceptions import ConnectionClosed

from ringbook_simulators.realtime import protocol as p
from ringbook_simulators.realtime.audio import BYTES_PER_MS
from ringbook_simulators.realtime.bookings import remember_booking
from ringbook_simulators.realtime.records import (
    Connection,
    SessionRecord,
    function_call_output,
    parse_truncate,
)
from ringbook_simulators.realtime.responses import ResponseRun
from ringbook_simulators.realtime.script_cursor import ScriptCursor
from ringbook_simulators.realtime.scripts import Turn, first_message
from ringbook_simulators.realtime.session_config import (
    ClientError,
    SessionConfig,
    parse_client_event,
)
from ringbook_simulators.realtime.usage import UsageMeter
from ringbook_simulators.realtime.vad import EnergyVad, VadEvent

log = get_logger(__name__)


class RealtimeSession:
    def __init__(
        self,
        connection: Connection,
        *,
        model: str,
        today: Callable[[], date],
        speed: float = 1.0,
        memory: dict[str, str] | None = None,  # the simulator's caller memory
    ) -> None:
        self.id = p.new_id("sess")
        self.record = SessionRecord()
        self._connection = connection
        self._speed = speed
        self._config = SessionConfig(model=model)
        self._vad = EnergyVad()
        self._cursor = ScriptCursor(today)
        self._active: ResponseRun | None = None
        self._pending_calls: dict[str, str] = {}  # call_id -> name, awaiting output
        self._outputs: dict[str, str] = {}  # tool name -> its latest call's output
        self._memory = memory if memory is not None else {}
        self._audio_ms: dict[str, int] = {}  # assistant item -> audio ms sent
        self._speech_item: str | None = None
        self._last_item: str | None = None
        self._buffer_ms = 0  # appended since the last commit (manual commit checks it)
        self._usage = UsageMeter(lambda: self._config.instructions, self.record.usages)
        self._tasks = TaskSupervisor()
        self._log = log.bind(session_id=self.id, simulator="realtime-model")
        self._handlers: dict[str, Callable[[dict[str, Any]], Awaitable[None]]] = {
            "session.update": self._session_update,
            "input_audio_buffer.append": self._append,
            "input_audio_buffer.commit": self._commit,
            "input_audio_buffer.clear": self._clear,
            "conversation.item.create": self._item_create,
            "conversation.item.truncate": self._truncate,
            "response.create": self._response_create,
            "response.cancel": self._response_cancel,
        }

    async def run(self) -> None:
        """Serve the connection until the client closes it."""
        self._log.info("simulated realtime session opened (scripted, not AI)")
        await self._send(p.event("session.created", session=self._config.as_session(self.id)))
        messages: AsyncIterable[str | bytes] = self._connection
        try:
            async for message in messages:
                await self._dispatch(message)
        except ConnectionClosed:
            pass  # the client hung up without a close handshake: normal for a phone call
        finally:
            if self._active is not None:
                self._active.cancel("client_cancelled")
            await self._tasks.stop(grace_seconds=2)
            self._log.info("simulated realtime session closed", number=self.record.number)

    async def _send(self, event: p.Event) -> None:
        if event["type"] == "error":
            self.record.errors.append(event["error"]["code"])
        await self._connection.send(json.dumps(event, ensure_ascii=False))

    async def _dispatch(self, message: str | bytes) -> None:
        data: dict[str, Any] = {}
        try:
            data = parse_client_event(message, self._handlers)
            await self._handlers[data["type"]](data)
        except ClientError as exc:
            if exc.event_id is None and isinstance(data.get("event_id"), str):
                exc.event_id = data["event_id"]
            self._log.warning("client event rejected", code=exc.code, reason=exc.message)
            await self._send(
                p.error_event(
                    exc.message, code=exc.code, param=exc.param, client_event_id=exc.event_id
                )
            )

    # -- session ----------------------------------------------------------------------

    async def _session_update(self, data: dict[str, Any]) -> None:
        self._config.apply(data.get("session"))
        self._vad.silence_ms = self._config.silence_ms
        if self._cursor.select(self._config.instructions, self._config.tools):
            self.record.number = self._cursor.key
            script = self._cursor.script
            self._log.info("script selected", number=self._cursor.key,
                           script=script.description if script else None)
        await self._send(p.event("session.updated", session=self._config.as_session(self.id)))

    # -- input audio ------------------------------------------------------------------

    async def _append(self, data: dict[str, Any]) -> None:
        audio = data.get("audio")
        if not isinstance(audio, str):
            raise ClientError("missing_required_parameter", "Missing 'audio' (base64).", "audio")
        try:
            chunk = base64.b64decode(audio, validate=True)
        except binascii.Error as exc:
            raise ClientError(
                "invalid_value", f"'audio' is not valid base64: {exc}", "audio"
            ) from exc
        self._buffer_ms += len(chunk) // BYTES_PER_MS
        if self._config.turn_detection is None:
            return
        for vad_event in self._vad.feed(chunk):
            await self._on_vad(vad_event)

    async def _on_vad(self, vad_event: VadEvent) -> None:
        if vad_event.kind == "speech_started":
            self._speech_item = p.new_id("item")
            await self._send(p.event("input_audio_buffer.speech_started",
                                     audio_start_ms=vad_event.audio_ms, item_id=self._speech_item))
            if self._active is not None and self._config.interrupt_response:
                self._log.info("barge-in: cancelling response", response=self._active.response_id)
                self._active.cancel("turn_detected")
            return
        item_id = self._speech_item or p.new_id("item")
        self._speech_item = None
        await self._send(p.event("input_audio_buffer.speech_stopped",
                                 audio_end_ms=vad_event.audio_ms, item_id=item_id))
        await self._commit_turn(item_id)
        if self._config.create_response:
            await self._start_response(automatic=True)

    async def _commit_turn(self, item_id: str) -> None:
        """Commit the buffered speech of the practice (or caller) and "transcribe" it."""
        turn = self._cursor.next_turn(agent=False)
        said = turn.resolved(self._outputs, self._memory) if turn is not None else None
        transcript = said.text or "" if said is not None else ""
        if said is None:
            self._log.warning("practice spoke off-script; empty transcript")
        for event in p.committed_user_turn(
            item_id, self._last_item, transcript, audio_seconds=self._buffer_ms / 1000
        ):
            await self._send(event)
        self._last_item = item_id
        self._usage.heard(self._buffer_ms)
        self._buffer_ms = 0

    async def _commit(self, data: dict[str, Any]) -> None:
        if self._buffer_ms < 100:
            raise ClientError(
                "input_audio_buffer_commit_empty",
                f"Buffer too small: at least 100 ms of audio needed, have {self._buffer_ms} ms.",
            )
        await self._commit_turn(p.new_id("item"))

    async def _clear(self, data: dict[str, Any]) -> None:
        self._vad.reset()
        self._buffer_ms = 0
        await self._send(p.event("input_audio_buffer.cleared"))

    # -- conversation items -------------------------------------------------------------

    async def _item_create(self, data: dict[str, Any]) -> None:
        item = data.get("item")
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise ClientError("missing_required_parameter", "Missing 'item' with a 'type'.", "item")
        if item["type"] == "function_call_output":
            call_id, output = function_call_output(item)
            name = self._pending_calls.pop(call_id, None)
            if name is None:
                self._log.warning("function_call_output for unknown call", call_id=call_id)
            else:
                self._outputs[name] = output
                remember_booking(self._memory, self._config.instructions, name, output)
            self.record.tool_outputs[call_id] = output
            self._usage.read(output)
        stored = {"object": "realtime.item", "status": "completed", **item}
        stored.setdefault("id", p.new_id("item"))
        for kind in ("conversation.item.added", "conversation.item.done"):
            await self._send(p.event(kind, item=stored, previous_item_id=self._last_item))
        self._last_item = stored["id"]

    async def _truncate(self, data: dict[str, Any]) -> None:
        truncation = parse_truncate(data, self._audio_ms)
        self.record.truncations.append(truncation)
        await self._send(
            p.event(
                "conversation.item.truncated",
                item_id=truncation.item_id,
                content_index=truncation.content_index,
                audio_end_ms=truncation.audio_end_ms,
            )
        )

    # -- responses ----------------------------------------------------------------------

    async def _response_create(self, data: dict[str, Any]) -> None:
        await self._start_response(automatic=False, first_message=first_message(data))

    async def _response_cancel(self, data: dict[str, Any]) -> None:
        if self._active is None:
            raise ClientError("response_cancel_not_active", "No active response to cancel.")
        self._active.cancel("client_cancelled")

    async def _start_response(self, *, automatic: bool, first_message: str | None = None
                              ) -> None:
        if self._active is not None and self._active.cancel_reason is not None:
            # A cancelled response winds down within one frame (20 ms). The real server
            # treats it as gone at once, so wait rather than refuse the new response.
            await self._active.finished.wait()
        if self._active is not None:
            if automatic:
                return
            raise ClientError(
                "conversation_already_has_active_response",
                f"Conversation already has an active response {self._active.response_id}.",
            )
        if self._pending_calls:
            # The scripted agent waits for every tool result before it goes on.
            if automatic:
                return
            raise ClientError(
                "function_call_output_missing",
                "Simulator: waiting for function_call_output for call(s) "
                f"{', '.join(self._pending_calls)} before the next response.",
            )
        turn: Turn | None
        if first_message is not None:
            # Said as asked, outside the script, in place of its opening.
            turn = Turn("agent", text=first_message)
            self._cursor.skip_opening()
            self._log.info("first message", text=first_message)
        else:
            turn = self._cursor.next_turn(agent=True)
            if turn is None:
                self._log.info("no agent turn due in the script; empty response")
            else:
                turn = turn.resolved(self._outputs, self._memory)
        run = ResponseRun(
            self._send,
            turn,
            audio_ms=self._audio_ms,
            function_calls=self._pending_calls,
            speed=self._speed,
            meter=self._usage.response,
        )
        self._active = run
        self._tasks.spawn(f"response-{run.response_id}", self._stream(run))

    async def _stream(self, run: ResponseRun) -> None:
        try:
            await run.run()
        except ConnectionClosed:
            run.status = "cancelled"  # nobody left to stream to
        finally:
            self._active = None
            self.record.responses.append((run.response_id, run.status))
