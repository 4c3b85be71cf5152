"""One phone conversation: a Twilio media stream bridged to a realtime speech model.

Lifecycle (one :class:`Conversation` per websocket Twilio opens):

1. ``run`` starts connecting to the model at once (before Twilio's ``start``), so the
   handshake is done by the time the callee speaks;
2. on ``start`` it waits for that connection, sends ``session.update`` (instructions and
   tools for the call's direction) and starts reading the model's events;
3. caller audio goes to the model and model audio to Twilio as the base64 strings they
   arrived as (no decode, no transcode); every delta sent to Twilio is followed by a
   ``mark`` named ``<item_id>:<cumulative ms>``, so Twilio's echoed marks say how much
   of the agent's audio the callee has actually heard;
4. barge-in: ``speech_started`` while agent audio is still playing clears Twilio's
   buffer and truncates the agent's item at the last played mark;
5. tool calls run as they arrive; their outputs go back once the response is done
   (``conversation.item.create`` + ``response.create``, so the line never goes silent);
6. ``end_call``, Twilio's ``stop`` or either socket dying ends the call: the model
   socket is closed, every task of the call is cancelled, call-orchestrator is asked to
   hang up and ``call_completed`` is appended (with the conversation's row) within a
   bounded time.

Only two tasks exist per call, both in the call's own :class:`TaskSupervisor`: the model
connection and the model reader. The Twilio reader is the caller's (the websocket
endpoint's) own task.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from ringbook.clock import Clock
from ringbook.contracts.calls import (
    CONVERSATION,
    INBOUND_CALL,
    BookingConfirmed,
    BookingInProgress,
    CallCompleted,
    CallFailed,
)
from ringbook.contracts.calls import TranscriptLine as ContractTranscriptLine
from ringbook.events import Envelope, EventData, new_event
from ringbook.logging import get_logger
from ringbook.tasks import TaskSupervisor

from media_bridge.adapters.twilio_media_stream import base64_audio_ms
from media_bridge.application.call_session import CallSession
from media_bridge.application.metrics import (
    CONVERSATIONS,
    INTERRUPTIONS,
    RESPONSE_LATENCY,
    TOOL_CALLS,
)
from media_bridge.application.ports import (
    CallHangup,
    ConversationStore,
    MediaSocket,
    ModelFactory,
    RealtimeModel,
    SessionRecorder,
)
from media_bridge.domain.booking_call import (
    BOOK_APPOINTMENT,
    END_CALL,
    REPORT_NO_AVAILABILITY,
    Appointment,
    CallRequest,
    InvalidArguments,
    SessionSpec,
    fallback_outbound_session,
    inbound_session,
    is_german_number,
    outbound_session,
)
from media_bridge.domain.call_stream import EndReason, StreamIdentity
from media_bridge.domain.conversation_record import (
    ConversationRecord,
    Outcome,
    TranscriptLine,
    outcome_of,
    outcome_summary,
)
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

log = get_logger(__name__)

# How long an outbound call waits for its request to reach our projection.
REQUEST_LOOKUP_SECONDS = 1.0
# Bounds on the ending, so call_completed is out within 5 s of the end.
MODEL_CLOSE_SECONDS = 1.0
FINISH_SECONDS = 3.5


@dataclass(frozen=True)
class ConversationConfig:
    receptionist_instructions: str
    connect_timeout: float
    receive_timeout: float
    end_call_drain_seconds: float


def _uuid(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _attempt(value: str | None) -> int:
    try:
        return max(0, int(value or "1"))
    except ValueError:
        return 1


class Conversation:
    def __init__(
        self,
        *,
        config: ConversationConfig,
        model_factory: ModelFactory,
        store: ConversationStore,
        hangup: CallHangup,
        clock: Clock,
    ) -> None:
        self._config = config
        self._model_factory = model_factory
        self._store, self._hangup, self._clock = store, hangup, clock
        self.id = uuid.uuid4()
        self._tasks = TaskSupervisor()
        self._connecting: asyncio.Task[RealtimeModel] | None = None
        self._model: RealtimeModel | None = None
        self._session: CallSession | None = None
        self._identity: StreamIdentity | None = None
        self._version = 0
        self._ending = False
        # Call facts.
        self.direction = "inbound"
        self.request_id: uuid.UUID | None = None
        self.tenant_id: uuid.UUID | None = None
        self.attempt = 1
        self.german = False
        self._started_mono = 0.0
        self._started_at = clock.now()
        # Outgoing audio: the item being played, ms sent, and ms played (from marks).
        self._out_item: str | None = None
        self._out_ms = 0
        self._played_ms = 0
        self._truncated: set[str] = set()
        self._all_played = asyncio.Event()  # Twilio has echoed every mark we sent
        self._all_played.set()
        # Turn latency: monotonic time of the callee's last speech_stopped.
        self._speech_stopped_at: float | None = None
        self.latencies_ms: list[int] = []
        self.interruptions = 0
        self.transcript: list[TranscriptLine] = []
        # Tools.
        self._tool_outputs: list[tuple[str, str]] = []  # (call_id, output), per response
        self._end_after_response = False
        self.booked_summary: str | None = None
        self.no_availability_reason: str | None = None
        self.outcome: str | None = None
        self.completed_event_id: uuid.UUID | None = None

    # --- the call's life ----------------------------------------------------------------------

    async def run(self, socket: MediaSocket, recorder: SessionRecorder) -> EndReason:
        """Serve one Twilio websocket (already accepted) until the call has ended."""
        self._connecting = self._tasks.spawn("realtime-connect", self._model_factory())
        session = CallSession(
            socket=socket,
            recorder=recorder,
            clock=self._clock,
            receive_timeout=self._config.receive_timeout,
            listener=self,
        )
        self._session = session
        reason = EndReason.SHUTDOWN
        try:
            reason = await session.run()
            return reason
        finally:
            self._ending = True
            # Shielded: a server shutdown cancelling us must still close and report.
            await asyncio.shield(self._finish(reason))

    async def on_start(self, identity: StreamIdentity) -> None:
        self._identity = identity
        self._started_mono = time.monotonic()
        self._started_at = self._clock.now()
        params = identity.custom_parameters
        self.direction = "outbound" if params.get("direction") == "outbound" else "inbound"
        self.request_id = _uuid(params.get("request_id"))
        self.tenant_id = _uuid(params.get("tenant_id"))
        self.attempt = _attempt(params.get("attempt"))
        model = await self._await_model()
        if model is None:
            self._end(EndReason.MODEL_DISCONNECTED)
            return
        spec = await self._session_spec()
        try:
            await model.configure(spec)
        except Exception as exc:
            log.error("realtime_configure_failed", error=repr(exc))
            self._end(EndReason.MODEL_DISCONNECTED)
            return
        self._model = model
        self._tasks.spawn("realtime-reader", self._read_model(model))
        log.info(
            "conversation_started",
            conversation_id=str(self.id),
            direction=self.direction,
            tools=[t.name for t in spec.tools],
        )

    async def on_media(self, payload: str) -> None:
        model = self._model
        if model is None or self._ending:
            return
        try:
            await model.append_audio(payload)
        except Exception as exc:
            log.warning("realtime_append_failed", error=repr(exc))
            self._end(EndReason.MODEL_DISCONNECTED)

    async def on_mark(self, name: str) -> None:
        item_id, _, ms = name.rpartition(":")
        if item_id == self._out_item and item_id not in self._truncated and ms.isdigit():
            self._played_ms = max(self._played_ms, int(ms))
        if self._session is not None and not self._session.progress.marks_pending:
            self._all_played.set()

    def _end(self, reason: EndReason) -> None:
        if self._session is not None:
            self._session.end(reason)

    async def _await_model(self) -> RealtimeModel | None:
        assert self._connecting is not None
        try:
            async with asyncio.timeout(self._config.connect_timeout):
                return await asyncio.shield(self._connecting)
        except Exception as exc:
            log.error("realtime_connect_failed", error=repr(exc))
            return None

    async def _session_spec(self) -> SessionSpec:
        if self.direction == "inbound":
            return inbound_session(self._config.receptionist_instructions)
        data = None
        if self.request_id is not None:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + REQUEST_LOOKUP_SECONDS
            while True:
                try:
                    data = await self._store.call_request(self.request_id)
                except Exception as exc:
                    log.error("call_request_lookup_failed", error=repr(exc))
                if data is not None or loop.time() >= deadline:
                    break
                await asyncio.sleep(0.1)
        if data is None:
            log.warning("call_request_unknown", request_id=str(self.request_id))
            number = (self._identity.custom_parameters.get("to") if self._identity else None)
            self.german = is_german_number(number or "+49")
            return fallback_outbound_session(number, self.german)
        request = CallRequest.from_event_data(data)
        self.german = request.german
        return outbound_session(request)

    # --- the model's events ------------------------------------------------------------------

    async def _read_model(self, model: RealtimeModel) -> None:
        async for event in model.events():
            try:
                await self._on_model_event(model, event)
            except Exception as exc:
                # Twilio's socket closing under us, a failed append...: the call's own
                # end path reports it; one bad event must not end the call.
                log.warning("model_event_failed", event=type(event).__name__, error=repr(exc))
            if self._ending:
                return
        if not self._ending:
            log.warning("realtime_model_disconnected")
            self._end(EndReason.MODEL_DISCONNECTED)

    async def _on_model_event(self, model: RealtimeModel, event: ModelEvent) -> None:
        match event:
            case AudioDelta():
                await self._play(event)
            case SpeechStarted():
                await self._barge_in(model)
            case SpeechStopped():
                self._speech_stopped_at = time.monotonic()
            case CalleeTranscript():
                if event.text:
                    self.transcript.append(TranscriptLine("callee", event.text, self._at_ms()))
            case AgentTranscript():
                if event.text:
                    self.transcript.append(
                        TranscriptLine(
                            "agent",
                            event.text,
                            self._at_ms(),
                            interrupted=event.item_id in self._truncated,
                        )
                    )
            case FunctionCall():
                await self._run_tool(event)
            case ResponseDone():
                await self._response_done(model)
            case ModelError():
                log.warning("realtime_error", code=event.code, message=event.message[:300])

    def _at_ms(self) -> int:
        return int((time.monotonic() - self._started_mono) * 1000)

    async def _play(self, delta: AudioDelta) -> None:
        if delta.item_id in self._truncated or self._session is None:
            return  # audio of a reply the callee interrupted, still in flight
        if delta.item_id != self._out_item:
            self._out_item, self._out_ms, self._played_ms = delta.item_id, 0, 0
        self._out_ms += base64_audio_ms(delta.delta)
        self._all_played.clear()
        await self._session.send_audio(delta.delta)
        await self._session.send_mark(f"{delta.item_id}:{self._out_ms}")
        if self._speech_stopped_at is not None:
            latency = time.monotonic() - self._speech_stopped_at
            self._speech_stopped_at = None
            self.latencies_ms.append(round(latency * 1000))
            RESPONSE_LATENCY.observe(latency)

    async def _barge_in(self, model: RealtimeModel) -> None:
        item = self._out_item
        if item is None or item in self._truncated or self._played_ms >= self._out_ms:
            return  # nothing of ours is playing: the callee simply speaks
        assert self._session is not None
        played = self._played_ms
        self._truncated.add(item)
        self.interruptions += 1
        INTERRUPTIONS.inc()
        await self._session.clear_audio()
        await model.truncate(item, played)
        log.info("barge_in", item_id=item, audio_end_ms=played, sent_ms=self._out_ms)

    # --- tools -------------------------------------------------------------------------------

    async def _run_tool(self, call: FunctionCall) -> None:
        TOOL_CALLS.labels(call.name if call.name in _TOOLS else "unknown").inc()
        try:
            args = orjson.loads(call.arguments or "{}")
            if not isinstance(args, dict):
                raise InvalidArguments("arguments must be a JSON object")
            result = await self._tool(call.name, args)
        except (InvalidArguments, orjson.JSONDecodeError) as exc:
            result = {"ok": False, "error": str(exc)}
        except Exception as exc:
            log.error("tool_failed", tool=call.name, error=repr(exc))
            result = {"ok": False, "error": "internal error, please try again"}
        log.info("tool_called", tool=call.name, ok=result.get("ok"))
        self._tool_outputs.append((call.call_id, orjson.dumps(result).decode()))

    async def _tool(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        if name == BOOK_APPOINTMENT:
            if self.direction != "outbound":
                return {"ok": False, "error": "not available on this call"}
            appointment = Appointment.from_arguments(args)
            summary = appointment.summary(self.german)
            await self._emit(BookingInProgress(attempt=self.attempt, details=summary))
            await self._emit(BookingConfirmed(attempt=self.attempt, summary=summary))
            self.booked_summary = summary
            return {"ok": True, "booked": summary}
        if name == REPORT_NO_AVAILABILITY:
            if self.direction != "outbound":
                return {"ok": False, "error": "not available on this call"}
            reason = str(args.get("reason") or "no availability").strip()
            await self._emit(
                CallFailed(
                    attempt=self.attempt,
                    call_sid=self._identity.call_sid if self._identity else None,
                    reason=reason,
                    retry_at=None,
                    timezone="Europe/Berlin" if self.german else "UTC",
                    callback_requested=args.get("callback_requested") is True,
                )
            )
            self.no_availability_reason = reason
            return {"ok": True, "noted": reason}
        if name == END_CALL:
            self._end_after_response = True
            return {"ok": True}
        raise InvalidArguments(f"unknown tool {name[:60]!r}")

    async def _response_done(self, model: RealtimeModel) -> None:
        outputs, self._tool_outputs = self._tool_outputs, []
        for call_id, output in outputs:
            await model.send_tool_output(call_id, output)
        if self._end_after_response:
            await self._drain_and_end()
        elif outputs:
            await model.create_response()

    async def _drain_and_end(self) -> None:
        """Let Twilio finish playing the goodbye (until its last mark), then hang up."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._config.end_call_drain_seconds):
                await self._all_played.wait()
        self._end(EndReason.AGENT_ENDED)

    # --- events ------------------------------------------------------------------------------

    def _envelope(self, data: EventData) -> Envelope:
        assert self.tenant_id is not None
        self._version += 1
        return new_event(
            data,
            # Inbound calls have no request behind them: their conversation lives on the
            # inbound_call aggregate, which the request projections do not follow.
            aggregate=CONVERSATION if self.direction == "outbound" else INBOUND_CALL,
            aggregate_id=self.id,
            version=self._version,
            tenant_id=self.tenant_id,
            correlation_id=self.request_id or self.id,
            clock=self._clock,
        )

    async def _emit(self, data: EventData) -> None:
        if self.tenant_id is None:
            log.error("conversation_event_dropped", reason="no tenant_id", type=type(data).__name__)
            return
        await self._store.append([self._envelope(data)])

    # --- the end -----------------------------------------------------------------------------

    async def _finish(self, reason: EndReason) -> None:
        await self._tasks.stop(grace_seconds=1.0)
        model = self._model
        connecting = self._connecting
        if (
            model is None
            and connecting is not None
            and connecting.done()
            and not connecting.cancelled()
            and connecting.exception() is None
        ):
            model = connecting.result()
        if model is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(MODEL_CLOSE_SECONDS):
                    await model.close()
        if self._identity is None:
            return  # never started: no call to hang up, nothing to report
        try:
            async with asyncio.timeout(FINISH_SECONDS):
                await asyncio.gather(
                    self._hangup.hang_up(self._identity.call_sid), self._complete(reason)
                )
        except Exception as exc:
            log.error("conversation_finish_failed", error=repr(exc))

    async def _complete(self, reason: EndReason) -> None:
        assert self._identity is not None
        code = outcome_of(reason, self.booked_summary is not None,
                          self.no_availability_reason is not None)
        CONVERSATIONS.labels(code.value).inc()
        record = ConversationRecord(
            conversation_id=self.id,
            stream_sid=self._identity.stream_sid,
            call_sid=self._identity.call_sid,
            request_id=self.request_id,
            tenant_id=self.tenant_id,
            direction=self.direction,
            attempt=self.attempt,
            outcome=code.value,
            started_at=self._started_at,
            ended_at=self._clock.now(),
            interruptions=self.interruptions,
            latencies_ms=list(self.latencies_ms),
            transcript=list(self.transcript),
        )
        detail = self.booked_summary if code is Outcome.BOOKED else (
            self.no_availability_reason if code is Outcome.NO_AVAILABILITY else None
        )
        self.outcome = outcome_summary(
            code,
            detail=detail,
            lines=len(record.transcript),
            interruptions=record.interruptions,
            p50_ms=record.latency_p50_ms,
            p95_ms=record.latency_p95_ms,
        )
        events: list[Envelope] = []
        if self.tenant_id is not None:
            completed = self._envelope(
                CallCompleted(
                    attempt=self.attempt,
                    call_sid=self._identity.call_sid,
                    duration_seconds=round(record.duration_seconds, 3),
                    outcome=code.value,
                    transcript=tuple(
                        ContractTranscriptLine(
                            speaker="agent" if line.speaker == "agent" else "callee",
                            text=line.text, at_ms=line.at_ms, interrupted=line.interrupted)
                        for line in record.transcript
                    ),
                    interruptions=record.interruptions,
                    latency_p50_ms=record.latency_p50_ms,
                    latency_p95_ms=record.latency_p95_ms,
                )
            )
            self.completed_event_id = completed.id
            events.append(completed)
        else:
            log.warning("call_completed_not_emitted", reason="no tenant_id")
        await self._store.completed(record, events)
        log.info(
            "conversation_ended",
            outcome=code.value,
            reason=reason.value,
            interruptions=self.interruptions,
            turns=len(self.latencies_ms),
            latency_p50_ms=record.latency_p50_ms,
            latency_p95_ms=record.latency_p95_ms,
        )


_TOOLS = frozenset({BOOK_APPOINTMENT, REPORT_NO_AVAILABILITY, END_CALL})
