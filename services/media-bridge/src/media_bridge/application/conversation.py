"""One phone conversation: a Twilio media stream bridged to a realtime speech model.

Lifecycle (one :class:`Conversation` per websocket Twilio opens):

1. ``run`` serves the stream; nothing of the call exists before Twilio's ``start`` has
   been admitted (its stream token verified and claimed): a stream that is not one of
   our calls never costs a model session;
2. on the admitted ``start`` it connects to the model (the call's facts are the token's
   grant), sends ``session.update`` (the briefing: instructions, tools and voice for
   the call's direction, or for the assistant or client the dialled number is
   configured for) and starts reading the model's events, which :class:`AgentTurns`
   acts on (audio, barge-in, transcripts, tools); an assistant with a first message
   is asked to say it at once (``response.create``), before the caller speaks;
3. caller audio goes to the model and model audio to Twilio as the base64 strings they
   arrived as: no decode, no transcode;
4. ``end_call``, Twilio's ``stop`` or either socket dying ends the call: the call's
   tasks are cancelled, then the report (its row and ``call_completed``, one
   transaction) is committed first, retried while Postgres is unavailable; the model is
   closed meanwhile, and the hang-up is asked once the report is in (or after a head
   start, so the call is still hung up within 5 s when Postgres is down). The hang-up
   runs beside the report, never around it: however it stalls or fails, it cannot
   cancel or hold up the report, whose loss would have the call dialled again.

Events go through a :class:`ConversationLog`: versions without gaps, one step's events
in one transaction, a failed write retried with the same events.

Three tasks exist per call, all in the call's own :class:`TaskSupervisor`: the model
connection, the model reader and, at the end, the report; besides them, one per tool
call while it runs (and one delivering outputs that wait for a slow tool). The Twilio
reader is the caller's (the websocket endpoint's) own task.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from ringbook.clock import Clock
from ringbook.events import EventData
from ringbook.logging import get_logger
from ringbook.tasks import TaskSupervisor

from media_bridge.application.agent_turns import AgentTurns
from media_bridge.application.assistant_tools import AssistantServices, AssistantTools
from media_bridge.application.booking_tools import BookingTools
from media_bridge.application.briefing import Briefing, brief
from media_bridge.application.call_report import CallReport
from media_bridge.application.call_tools import CallTools
from media_bridge.application.conversation_log import ConversationLog
from media_bridge.application.metrics import CONVERSATIONS
from media_bridge.application.ports import (
    CallHangup,
    CallStream,
    ConversationStore,
    ModelFactory,
    RealtimeModel,
)
from media_bridge.domain.assistant_session import first_message_instructions
from media_bridge.domain.call_facts import CallFacts
from media_bridge.domain.call_stream import EndReason, StreamIdentity
from media_bridge.domain.model_events import ModelEvent

log = get_logger(__name__)

MODEL_CLOSE_SECONDS = 1.0
# A tool's events are retried briefly: the model waits for the output (and can retry).
TOOL_WRITE_SECONDS = 2.0
# The report is retried this long: well inside the 60 s call-orchestrator gives a
# conversation to report before it settles the call without us.
REPORT_SECONDS = 45.0
# The hang-up waits this long for the report (normally milliseconds): with Postgres
# down the call must still be hung up within 5 s (the tasks stop within 1 s).
REPORT_HEAD_START_SECONDS = 1.5
# A backstop only: the hang-up's own request is bounded by HANGUP_TIMEOUT_SECONDS.
HANGUP_SECONDS = 15.0


@dataclass(frozen=True)
class ConversationConfig:
    receptionist_instructions: str
    connect_timeout: float
    receive_timeout: float
    end_call_drain_seconds: float
    realtime_model: str  # the session's model, named in call_completed's usage


class Conversation:
    def __init__(
        self,
        *,
        config: ConversationConfig,
        model_factory: ModelFactory,
        store: ConversationStore,
        hangup: CallHangup,
        clock: Clock,
        assistants: AssistantServices | None = None,
    ) -> None:
        """``assistants``: the catalog projection and tool requests (None: every
        inbound call gets the default receptionist)."""
        self._config = config
        self._model_factory = model_factory
        self._assistants = assistants
        self._store, self._hangup, self._clock = store, hangup, clock
        self.id = uuid.uuid4()
        self._tasks = TaskSupervisor()
        self._connecting: asyncio.Task[RealtimeModel] | None = None
        self._model: RealtimeModel | None = None
        self._session: CallStream | None = None
        self._identity: StreamIdentity | None = None
        self._log = ConversationLog(aggregate_id=self.id, store=store, clock=clock)
        self._ending = False
        self.facts = CallFacts()
        self.tools = CallTools(self.facts, self._emit)
        self.turns: AgentTurns | None = None  # once the model is briefed
        self._started_at = clock.now()

    # --- the call's life ----------------------------------------------------------------------

    async def run(self, stream: CallStream) -> EndReason:
        """Serve one call's stream (its listener is this conversation) until the call has
        ended and been reported. The model is dialled only once the stream's ``start``
        has been admitted (``on_start``)."""
        self._session = stream
        reason = EndReason.SHUTDOWN
        try:
            reason = await stream.run()
            return reason
        finally:
            self._ending = True
            # Shielded: a server shutdown cancelling us must still close and report.
            await asyncio.shield(self._finish(reason))

    def _call_tools(self, briefing: Briefing) -> CallTools:
        services = self._assistants
        if services is None:
            return CallTools(self.facts, self._emit)
        assistant = None if briefing.assistant is None else AssistantTools(
            briefing.assistant, facts=self.facts, services=services, emit=self._emit,
            clock=self._clock)
        bookings = None
        if briefing.booking is not None and services.bookings is not None:
            bookings = BookingTools(
                briefing.booking, facts=self.facts, functions=services.bookings,
                language=briefing.assistant.language if briefing.assistant else None)
        return CallTools(self.facts, self._emit, assistant, bookings)

    async def on_start(self, identity: StreamIdentity) -> None:
        assert self._session is not None
        started = time.monotonic()
        self._identity = identity
        self._started_at = self._clock.now()
        # Connecting while the briefing is read: both are done by the time it is sent.
        self._connecting = self._tasks.spawn("realtime-connect", self._model_factory())
        self.facts = CallFacts.from_grant(identity.grant)
        self.tools = CallTools(self.facts, self._emit)
        briefing = await brief(self.facts, self._store, self._config.receptionist_instructions,
                               services=self._assistants, clock=self._clock)
        spec = briefing.spec
        self.tools = self._call_tools(briefing)
        model = await self._await_model()
        if model is None:
            self._end(EndReason.MODEL_DISCONNECTED)
            return
        try:
            await model.configure(spec)
        except Exception as exc:
            log.error("realtime_configure_failed", error=repr(exc))
            self._end(EndReason.MODEL_DISCONNECTED)
            return
        self.turns = AgentTurns(line=self._session.line, model=model, tools=self.tools,
                                end=self._end, drain_seconds=self._config.end_call_drain_seconds,
                                started=started, tasks=self._tasks)
        self._model = model
        self._tasks.spawn("realtime-reader", self._read_model(model, self.turns))
        model.deliver_inline(self._model_event_now)
        if spec.first_message is not None:
            try:
                await model.create_response(first_message_instructions(spec.first_message))
            except Exception as exc:
                log.error("first_message_failed", error=repr(exc))
                self._end(EndReason.MODEL_DISCONNECTED)
                return
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
            log.warning("model_event_failed", model_event=type(event).__name__, error=repr(exc))
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
                log.warning("model_event_failed", model_event=type(event).__name__, error=repr(exc))
            if self._ending:
                return
        if not self._ending:
            log.warning("realtime_model_disconnected")
            self._end(EndReason.MODEL_DISCONNECTED)

    # --- events ------------------------------------------------------------------------------

    async def _emit(self, datas: Sequence[EventData]) -> None:
        """One tool step's events, stored together (see :class:`ConversationLog`)."""
        if self.facts.tenant_id is None:
            log.error("conversation_event_dropped", reason="no tenant_id",
                      types=[type(d).__name__ for d in datas])
            return
        await self._log.commit(self.facts, datas, within=TOOL_WRITE_SECONDS)

    # --- the end -----------------------------------------------------------------------------

    async def _finish(self, reason: EndReason) -> None:
        # The model reader stops first: the transcript and the tools' results are final.
        await self._tasks.stop(grace_seconds=1.0)
        if self._identity is None:
            await self._close_model()
            return  # never started: no call to hang up, nothing to report
        reporting = self._tasks.spawn("call-report", self._report(self._identity, reason))
        await asyncio.gather(
            self._close_model(),
            asyncio.wait({reporting}, timeout=REPORT_HEAD_START_SECONDS),
        )
        await self._hang_up(self._identity.call_sid)
        await reporting

    async def _close_model(self) -> None:
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

    async def _hang_up(self, call_sid: str) -> None:
        try:
            async with asyncio.timeout(HANGUP_SECONDS):
                await self._hangup.hang_up(call_sid)
        except Exception as exc:  # the port never raises; a backstop all the same
            log.error("hangup_failed", error=repr(exc))

    async def _report(self, identity: StreamIdentity, reason: EndReason) -> None:
        """Commit the conversation's row and ``call_completed`` (one transaction),
        retried while Postgres is unavailable; never raises."""
        turns = self.turns
        report = CallReport.of(
            conversation_id=self.id,
            identity=identity,
            facts=self.facts,
            reason=reason,
            booked_summary=self.tools.booked_summary,
            no_availability_reason=self.tools.no_availability_reason,
            started_at=self._started_at,
            ended_at=self._clock.now(),
            interruptions=turns.interruptions if turns else 0,
            latencies_ms=turns.latencies_ms if turns else [],
            transcript=turns.transcript if turns else [],
            usage=turns.usage if turns else None,
            model=self._config.realtime_model,
        )
        CONVERSATIONS.labels(report.outcome.value).inc()
        events: list[EventData] = []
        if self.facts.tenant_id is not None:
            events.append(report.call_completed())
        else:
            log.warning("call_completed_not_emitted", reason="no tenant_id")
        try:
            await self._log.commit(
                self.facts, events, within=REPORT_SECONDS,
                write=functools.partial(self._store.completed, report.record),
            )
        except Exception as exc:
            log.error("call_report_lost", error=repr(exc), outcome=report.outcome.value)
            return
        log.info(
            "conversation_ended",
            outcome=report.summary,
            reason=reason.value,
            turns=len(report.record.latencies_ms),
        )
