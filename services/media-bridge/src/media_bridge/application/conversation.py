"""One phone conversation: a Twilio media stream bridged to a realtime speech model.

Lifecycle (one :class:`Conversation` per websocket Twilio opens):

1. ``run`` serves the stream; nothing of the call exists before Twilio's ``start`` has
   been admitted (its stream token verified and claimed): a stream that is not one of
   our calls never costs a model session;
2. on the admitted ``start`` it connects to the model (the call's facts are the token's
   grant), sends ``session.update`` (the briefing: instructions and tools for the
   call's direction) and starts reading the model's events, which :class:`AgentTurns`
   acts on (audio, barge-in, transcripts, tools);
3. caller audio goes to the model and model audio to Twilio as the base64 strings they
   arrived as: no decode, no transcode;
4. ``end_call``, Twilio's ``stop`` or either socket dying ends the call: the model
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

from ringbook.clock import Clock
from ringbook.contracts.calls import CONVERSATION, INBOUND_CALL
from ringbook.events import Envelope, EventData, new_event
from ringbook.logging import get_logger
from ringbook.tasks import TaskSupervisor

from media_bridge.application.agent_turns import AgentTurns
from media_bridge.application.briefing import session_spec
from media_bridge.application.call_report import CallReport
from media_bridge.application.call_session import CallSession
from media_bridge.application.call_tools import CallTools
from media_bridge.application.metrics import CONVERSATIONS
from media_bridge.application.ports import (
    CallHangup,
    ConversationStore,
    MediaSocket,
    ModelFactory,
    RealtimeModel,
    SessionRecorder,
    StreamGate,
)
from media_bridge.domain.call_facts import CallFacts
from media_bridge.domain.call_stream import EndReason, StreamIdentity
from media_bridge.domain.model_events import ModelEvent

log = get_logger(__name__)

# Bounds on the ending, so call_completed is out within 5 s of the end.
MODEL_CLOSE_SECONDS = 1.0
FINISH_SECONDS = 3.5


@dataclass(frozen=True)
class ConversationConfig:
    receptionist_instructions: str
    connect_timeout: float
    receive_timeout: float
    end_call_drain_seconds: float


class Conversation:
    def __init__(
        self,
        *,
        config: ConversationConfig,
        model_factory: ModelFactory,
        store: ConversationStore,
        hangup: CallHangup,
        gate: StreamGate,
        clock: Clock,
    ) -> None:
        self._config = config
        self._model_factory = model_factory
        self._gate = gate
        self._store, self._hangup, self._clock = store, hangup, clock
        self.id = uuid.uuid4()
        self._tasks = TaskSupervisor()
        self._connecting: asyncio.Task[RealtimeModel] | None = None
        self._model: RealtimeModel | None = None
        self._session: CallSession | None = None
        self._identity: StreamIdentity | None = None
        self._version = 0
        self._ending = False
        self.facts = CallFacts()
        self.tools = CallTools(self.facts, self._emit)
        self.turns: AgentTurns | None = None  # once the model is briefed
        self._started_at = clock.now()

    # --- the call's life ----------------------------------------------------------------------

    async def run(self, socket: MediaSocket, recorder: SessionRecorder) -> EndReason:
        """Serve one Twilio websocket (already accepted) until the call has ended."""
        session = CallSession(
            socket=socket,
            recorder=recorder,
            gate=self._gate,
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
        assert self._session is not None
        started = time.monotonic()
        self._identity = identity
        self._started_at = self._clock.now()
        # Connecting while the briefing is read: both are done by the time it is sent.
        self._connecting = self._tasks.spawn("realtime-connect", self._model_factory())
        self.facts = CallFacts.from_grant(identity.grant)
        self.tools = CallTools(self.facts, self._emit)
        model = await self._await_model()
        if model is None:
            self._end(EndReason.MODEL_DISCONNECTED)
            return
        spec = await session_spec(self.facts, self._store,
                                  self._config.receptionist_instructions)
        try:
            await model.configure(spec)
        except Exception as exc:
            log.error("realtime_configure_failed", error=repr(exc))
            self._end(EndReason.MODEL_DISCONNECTED)
            return
        self.turns = AgentTurns(line=self._session.line, model=model, tools=self.tools,
                                end=self._end, drain_seconds=self._config.end_call_drain_seconds,
                                started=started)
        self._model = model
        self._tasks.spawn("realtime-reader", self._read_model(model, self.turns))
        model.deliver_inline(self._model_event_now)
        log.info(
            "conversation_started",
            conversation_id=str(self.id),
            direction=self.facts.direction,
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

    def on_media_now(self, payload: str) -> bool:
        model = self._model
        if model is None or self._ending:
            return True  # dropped, as on_media would
        return model.append_audio_now(payload)

    def on_mark(self, name: str) -> None:
        if self.turns is not None:
            self.turns.mark_played(name)

    def _model_event_now(self, event: ModelEvent) -> bool:
        """A model event from its socket's read callback (see ``RealtimeModel``): what
        ``AgentTurns`` can do at once, inline; the rest goes to ``_read_model``."""
        turns = self.turns
        if turns is None or self._ending:
            return False
        try:
            return turns.on_event_now(event)
        except Exception as exc:  # as in _read_model: one bad event must not end the call
            log.warning("model_event_failed", event=type(event).__name__, error=repr(exc))
            return True

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

    async def _read_model(self, model: RealtimeModel, turns: AgentTurns) -> None:
        async for event in model.events():
            try:
                await turns.on_event(event)
            except Exception as exc:
                # Twilio's socket closing under us, a failed append...: the call's own
                # end path reports it; one bad event must not end the call.
                log.warning("model_event_failed", event=type(event).__name__, error=repr(exc))
            if self._ending:
                return
        if not self._ending:
            log.warning("realtime_model_disconnected")
            self._end(EndReason.MODEL_DISCONNECTED)

    # --- events ------------------------------------------------------------------------------

    def _envelope(self, data: EventData) -> Envelope:
        facts = self.facts
        assert facts.tenant_id is not None
        self._version += 1
        return new_event(
            data,
            # Inbound calls have no request behind them: their conversation lives on the
            # inbound_call aggregate, which the request projections do not follow.
            aggregate=CONVERSATION if facts.outbound else INBOUND_CALL,
            aggregate_id=self.id,
            version=self._version,
            tenant_id=facts.tenant_id,
            correlation_id=facts.request_id or self.id,
            clock=self._clock,
        )

    async def _emit(self, data: EventData) -> None:
        if self.facts.tenant_id is None:
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
        turns = self.turns
        report = CallReport.of(
            conversation_id=self.id,
            identity=self._identity,
            facts=self.facts,
            reason=reason,
            booked_summary=self.tools.booked_summary,
            no_availability_reason=self.tools.no_availability_reason,
            started_at=self._started_at,
            ended_at=self._clock.now(),
            interruptions=turns.interruptions if turns else 0,
            latencies_ms=turns.latencies_ms if turns else [],
            transcript=turns.transcript if turns else [],
        )
        CONVERSATIONS.labels(report.outcome.value).inc()
        events: list[Envelope] = []
        if self.facts.tenant_id is not None:
            events.append(self._envelope(report.call_completed()))
        else:
            log.warning("call_completed_not_emitted", reason="no tenant_id")
        await self._store.completed(report.record, events)
        log.info(
            "conversation_ended",
            outcome=report.summary,
            reason=reason.value,
            turns=len(report.record.latencies_ms),
        )
