"""Drives each SIMULATED call through Twilio's lifecycle as one tracked asyncio task.

Progress for an outbound call: ``initiated`` -> ``ringing`` -> ``in-progress`` (the
"answered" event) -> Media Stream -> final status, or an earlier final status per
scenario. A call created with ``Url`` learns its TwiML only once answered: the Url is
asked then (:mod:`~ringbook_simulators.carrier.voice_url`), and an answer without a
stream (``<Hangup/>``, an error) ends the answered call at once. An incoming call
(``incoming``) is ``ringing`` while its voice webhook is asked for TwiML
(:meth:`CallRunner.ring_in`), then ``in-progress`` while the TwiML's Media Stream runs
(the caller speaks: a SIMULATED booking caller's lines if its From number is one,
``realtime.bookings``, else the receptionist's caller), then ``completed``; or
``failed`` at once if the webhook gave nothing usable.
Callbacks are posted from the call's own task, one after the other, so the receiver
sees them in order, as with Twilio. The task ends when the call does; shutting the
runner down cancels and awaits every task still running.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import TracebackType

import httpx
import structlog

from ringbook_simulators.carrier.callbacks import (
    SIMULATOR_HEADER,
    SIMULATOR_NAME,
    StatusCallbackSender,
    sign,
)
from ringbook_simulators.carrier.media_stream_client import MediaStreamSession, StreamEnd
from ringbook_simulators.carrier.practice import berlin_today, lines_for
from ringbook_simulators.carrier.records import INBOUND, CallRecord, CallStatus, new_sid
from ringbook_simulators.carrier.scenarios import Outcome
from ringbook_simulators.carrier.settings import CarrierSettings
from ringbook_simulators.carrier.voice_url import WebhookFailed, fetch_twiml
from ringbook_simulators.realtime.scripts import (
    PracticeLine,
    booking_caller_lines,
    caller_lines,
    greeted_booking_caller_lines,
    greeted_caller_lines,
)

_log = structlog.get_logger("ringbook_simulators.carrier.calls")


class CallNotActive(Exception):
    """The call has already ended; Twilio answers such updates with error 21220."""


class CallRunner:
    """Owns the shared HTTP client and every running call task."""

    def __init__(self, settings: CarrierSettings) -> None:
        self._settings = settings
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: httpx.AsyncClient | None = None
        self._callbacks: StatusCallbackSender | None = None
        self._closing = False

    async def __aenter__(self) -> CallRunner:
        self._http = httpx.AsyncClient(follow_redirects=False)
        self._callbacks = StatusCallbackSender(self._http, self._settings)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self._closing = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    @property
    def active_tasks(self) -> int:
        return len(self._tasks)

    def launch(self, record: CallRecord) -> None:
        """Start the call's lifecycle in the background."""
        if self._closing or self._callbacks is None:
            raise RuntimeError("the simulated carrier is not running")
        task = asyncio.create_task(self._run(record), name=f"simcarrier-call-{record.sid}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def ring_in(self, record: CallRecord) -> str | None:
        """Put an incoming call through: ask the number's voice URL for TwiML, then run
        the call in the background. Returns why the call failed, or None."""
        if self._http is None:
            raise RuntimeError("the simulated carrier is not running")
        record.transition(CallStatus.RINGING)
        failure: str | None = None
        try:
            record.stream = await fetch_twiml(self._http, self._settings, record)
            # Running the TwiML answers the call (Twilio bills it from here on).
            record.transition(CallStatus.IN_PROGRESS)
        except WebhookFailed as exc:
            failure = record.voice_webhook_error = str(exc)
            _log.warning("simulated incoming call failed", call_sid=record.sid, error=failure)
            record.transition(CallStatus.FAILED)
        # Launched even when failed: the final status callback still goes out.
        self.launch(record)
        return failure

    def hang_up(self, record: CallRecord, requested: CallStatus) -> None:
        """Apply ``Status=completed|canceled`` from the REST API, like Twilio does."""
        if record.status.is_final:
            raise CallNotActive(record.sid)
        if record.status is CallStatus.IN_PROGRESS:
            # Twilio's "canceled" only affects calls that have not been answered yet.
            if requested is CallStatus.COMPLETED:
                record.transition(CallStatus.COMPLETED)
        else:
            record.transition(CallStatus.CANCELED)

    async def _run(self, record: CallRecord) -> None:
        log = _log.bind(call_sid=record.sid, to=record.to, scenario=record.scenario.outcome)
        log.info("simulated call started")
        try:
            await self._play(record)
        except asyncio.CancelledError:
            log.info("simulated call interrupted: simulated carrier shutting down")
            raise
        except Exception:
            # A bug in the simulator must still end the call visibly, not leave it hanging.
            log.exception("simulated call crashed")
            record.transition(CallStatus.FAILED)
        await self._notify(record, record.status.value, final=True)
        log.info("simulated call ended", status=record.status.value)

    async def _notify(self, record: CallRecord, event: str, *, final: bool = False) -> None:
        if self._callbacks is None:  # launch() refuses to run before __aenter__
            raise RuntimeError("the simulated carrier is not running")
        if final or event in record.status_callback_events:
            call_status = record.status.value if final else _EVENT_STATUS[event]
            await self._callbacks.post(record, call_status, final=final)

    async def _play(self, record: CallRecord) -> None:
        """Advance the call until it is in a final status."""
        if record.direction == INBOUND:
            await self._answer_incoming(record)
            return
        settings = self._settings
        outcome = record.scenario.outcome
        await self._notify(record, "initiated")
        if outcome is Outcome.BUSY:
            record.transition(CallStatus.BUSY)
            return
        if outcome is Outcome.FAIL:
            record.transition(CallStatus.FAILED)
            return
        if not record.transition(CallStatus.RINGING):
            return
        await self._notify(record, "ringing")
        ring = (
            settings.ring_seconds if outcome is Outcome.NO_ANSWER else settings.answer_after_seconds
        )
        if await _ended_within(record, ring):
            return
        if outcome is Outcome.NO_ANSWER:
            record.transition(CallStatus.NO_ANSWER)
            return
        if not record.transition(CallStatus.IN_PROGRESS):
            return
        if record.voice_url is not None:
            await self._fetch_answer(record)
        await self._notify(record, "answered")
        if not record.status.is_final and (record.stream is not None or record.voice_url is None):
            await self._talk(record, self._settings.answered_hold_seconds)
        record.transition(CallStatus.COMPLETED)

    async def _fetch_answer(self, record: CallRecord) -> None:
        """A ``Url`` call was answered: ask for its TwiML now, as Twilio does."""
        if self._http is None:
            raise RuntimeError("the simulated carrier is not running")
        try:
            record.stream = await fetch_twiml(self._http, self._settings, record)
        except WebhookFailed as exc:
            # Twilio tells the callee "an application error has occurred" and hangs up.
            record.voice_webhook_error = str(exc)
            _log.warning("simulated call's Url failed", call_sid=record.sid, error=str(exc))

    async def _answer_incoming(self, record: CallRecord) -> None:
        # Not in progress if its webhook failed, or it was hung up meanwhile.
        if record.status is not CallStatus.IN_PROGRESS:
            return
        await self._notify(record, "answered")
        # Without a stream the TwiML has run out at once, and Twilio hangs up.
        if record.stream is not None:
            await self._talk(record, self._settings.incoming_hold_seconds)
        record.transition(CallStatus.COMPLETED)

    def _lines(self, record: CallRecord) -> tuple[PracticeLine, ...]:
        """What the person on the line says: the caller, or the called practice."""
        if not self._settings.practice_speaks:
            return ()
        if record.direction == INBOUND:
            return tuple(_or_default(booking_caller_lines(record.from_.strip()), caller_lines))
        return lines_for(record.to, berlin_today())

    async def _talk(self, record: CallRecord, hold: float) -> None:
        if record.stream is None:
            await _ended_within(record, hold)
            return
        url = record.stream.url
        practice = self._lines(record)
        # An inbound caller listens first: greeted by the business, it skips its hello.
        inbound = record.direction == INBOUND and bool(practice)
        greeted = tuple(_or_default(greeted_booking_caller_lines(record.from_.strip()),
                                    greeted_caller_lines)) if inbound else None
        session = MediaStreamSession(
            url=url,
            stream_sid=new_sid("MZ"),
            account_sid=record.account_sid,
            call_sid=record.sid,
            parameters=record.stream.parameters,
            stats=record.media,
            ended=record.ended,
            dtmf_queue=record.dtmf_queue,
            frame_ms=self._settings.media_frame_ms,
            open_timeout=self._settings.websocket_open_timeout_seconds,
            # Twilio signs the websocket upgrade request too, over the URL alone.
            headers={
                "X-Twilio-Signature": sign(self._settings.auth_token, url, {}),
                SIMULATOR_HEADER: SIMULATOR_NAME,
            },
            practice=practice,
            greeted=greeted,
            listen_ms=self._settings.caller_listens_ms if inbound else 0,
            agent_quiet_ms=self._settings.practice_agent_quiet_ms,
        )
        end = await session.run(hold)
        _log.info("simulated media stream ended", call_sid=record.sid, reason=end.value)
        if end is StreamEnd.CONNECT_FAILED:
            # Twilio moves on to the next TwiML verb; there is none, so the call ends.
            _log.warning("simulated call ends: media stream unreachable", call_sid=record.sid)


def _or_default(lines: list[PracticeLine] | None,
                default: Callable[[], list[PracticeLine]]) -> list[PracticeLine]:
    """A SIMULATED booking caller's lines (by its From number), else the default's."""
    return lines if lines is not None else default()


_EVENT_STATUS = {"initiated": "initiated", "ringing": "ringing", "answered": "in-progress"}


async def _ended_within(record: CallRecord, seconds: float) -> bool:
    """Wait up to ``seconds``; True if the call ended (REST hang-up) meanwhile."""
    try:
        await asyncio.wait_for(record.ended.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True
