"""One Twilio Media Stream, from the websocket's first frame to its end: the adapter that
turns Twilio's frames into calls on the conversation (a ``StreamListener``) and is its
``CallStream`` (the way back to the caller, and a way to end the stream).

A session lives exactly as long as its socket: it keeps reading until Twilio's ``stop``,
the socket closing, or silence longer than the receive timeout, then closes the socket,
records the end and returns. It starts no task and keeps no buffer, so nothing of a call
outlives it. The conversation (realtime model, tools) hangs off it as a
:class:`StreamListener`; ``line`` (:class:`TwilioCallerLine`) is its way back to the
caller, and ``end(reason)`` lets it end the stream from its own task.

Bad frames: before ``start`` nothing useful can follow, so the socket is closed with
1003 (unsupported data); once the call is live one bad frame must not hang up on a
caller, so it is logged, counted and skipped.

Admission: a ``start`` is only believed once the ``gate`` has admitted it (its stream
token verified and claimed, see :mod:`media_bridge.application.stream_admission`). A
refused stream is closed with 1008 (policy violation; 1011 if admission itself failed)
before the listener hears of it: no row, no model session, no event, no hang-up.

Two lanes, one order. Once the stream is live, media and mark frames are taken inline,
in the socket's read callback (:meth:`_take_inline`), while the reader is idle; anything
else, and any frame the listener cannot take at once, is refused there and read by
:meth:`_stream` instead. The socket only offers a frame when none is queued, and we
refuse while :meth:`_stream` is busy with one, so frames are still handled one at a
time and in the order they came.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from ringbook.clock import Clock
from ringbook.logging import correlation, get_logger
from ringbook.stream_tokens import StreamGrant

from media_bridge.adapters.idle_watch import IdleWatch
from media_bridge.adapters.twilio_caller_line import FRAME_COUNT_BATCH, TwilioCallerLine
from media_bridge.adapters.twilio_media_stream import (
    Connected,
    Dtmf,
    Mark,
    Media,
    ProtocolError,
    Start,
    Stop,
    parse_twilio_message,
)
from media_bridge.application.metrics import ACTIVE_STREAMS, FRAMES_IN, PROTOCOL_ERRORS
from media_bridge.application.ports import (
    MediaSocket,
    SessionRecorder,
    StreamGate,
    StreamListener,
)
from media_bridge.domain.call_stream import (
    EndReason,
    StreamIdentity,
    StreamProgress,
    StreamRefused,
)

log = get_logger(__name__)

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_UNSUPPORTED_DATA = 1003
CLOSE_POLICY_VIOLATION = 1008
CLOSE_INTERNAL_ERROR = 1011


class CallSession:
    def __init__(
        self,
        *,
        socket: MediaSocket,
        recorder: SessionRecorder,
        gate: StreamGate,
        clock: Clock,
        receive_timeout: float,
        listener: StreamListener | None = None,
    ) -> None:
        self._socket, self._recorder, self._clock = socket, recorder, clock
        self._gate = gate
        self._listener = listener
        self._runner: asyncio.Task[Any] | None = None
        self._idle = IdleWatch(receive_timeout, self._timed_out)
        self._end_requested: EndReason | None = None
        self._live_sid: str | None = None  # set while frames may be taken inline
        self._reading = False  # _stream is waiting for a frame, busy with none
        self.identity: StreamIdentity | None = None
        self.progress = StreamProgress()
        self.line = TwilioCallerLine(socket, self.progress)  # to the caller, once started
        self.end_reason: EndReason | None = None

    async def run(self) -> EndReason:
        """Serve the stream until it ends; returns why it ended."""
        self._runner = asyncio.current_task()
        self._idle.start()
        try:
            return await self._run()
        finally:
            self._idle.stop()

    async def _run(self) -> EndReason:
        try:
            opening = await self._await_start()
        except asyncio.CancelledError:
            opening = self._requested_end()
            await self._socket.close(CLOSE_NORMAL)
        if isinstance(opening, EndReason):
            self.end_reason = opening
            log.info("call_stream_ended", reason=opening.value, started=False,
                     **self.progress.summary())
            return opening
        grant = await self._admit(opening)
        if isinstance(grant, EndReason):
            self.end_reason = grant
            return grant
        self.identity = StreamIdentity(
            stream_sid=opening.stream_sid,
            call_sid=opening.call_sid,
            account_sid=opening.account_sid,
            grant=grant,
        )
        cid = self.identity.request_id
        with correlation(cid, call_sid=opening.call_sid, stream_sid=opening.stream_sid):
            return await self._run_started(opening, self.identity)

    async def _admit(self, start: Start) -> StreamGrant | EndReason:
        try:
            return await self._gate.admit(start.call_sid, start.custom_parameters)
        except StreamRefused:
            code = CLOSE_POLICY_VIOLATION
        except Exception as exc:  # not admitted is the only safe answer to "cannot tell"
            log.error("media_stream_admission_failed", error=repr(exc))
            code = CLOSE_INTERNAL_ERROR
        await self._socket.close(code, "stream not admitted")
        log.info("call_stream_ended", reason=EndReason.REFUSED.value, started=False)
        return EndReason.REFUSED

    def end(self, reason: EndReason) -> None:
        """End the stream from another task (the conversation hung up, or its model
        died): ``run`` stops reading, closes the socket, records ``reason`` and returns."""
        if self.end_reason is not None or self._end_requested is not None:
            return
        self._end_requested = reason
        if self._runner is not None and self._runner is not asyncio.current_task():
            self._runner.cancel()

    def _requested_end(self) -> EndReason:
        """Turn our own cancellation (from ``end``) back into a normal return; any other
        cancellation (server shutdown) propagates."""
        if self._end_requested is None:
            raise asyncio.CancelledError
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
        return self._end_requested

    # --- the stream's life ----------------------------------------------------------------

    async def _await_start(self) -> Start | EndReason:
        while True:
            frame = await self._next_frame()
            if isinstance(frame, EndReason):
                await self._socket.close(CLOSE_NORMAL)
                return frame
            try:
                message = parse_twilio_message(frame)
            except ProtocolError as exc:
                return await self._reject(str(exc))
            match message:
                case Connected():
                    continue
                case Start():
                    return message
                case Stop():
                    await self._socket.close(CLOSE_NORMAL)
                    return EndReason.STOP
                case _:
                    return await self._reject(f"{type(message).__name__.lower()} before start")

    async def _run_started(self, start: Start, identity: StreamIdentity) -> EndReason:
        started_at = self._clock.now()
        self.line.open(identity.stream_sid)
        ACTIVE_STREAMS.inc()
        # If the server cancels us (shutdown), this is the reason recorded.
        reason = EndReason.SHUTDOWN
        try:
            await self._record("started", self._recorder.started(identity, started_at))
            log.info(
                "call_stream_started",
                tracks=list(start.tracks),
                encoding=start.media_format.encoding,
                sample_rate=start.media_format.sample_rate,
                # Names only: the values may carry personal data.
                custom_parameters=sorted(start.custom_parameters),
            )
            if self._listener is not None:
                await self._listener.on_start(identity)
            self._live_sid = identity.stream_sid
            self._socket.deliver_inline(self._take_inline)
            reason = await self._stream(identity.stream_sid)
            return reason
        except asyncio.CancelledError:
            reason = self._requested_end()
            return reason
        finally:
            self._live_sid = None
            self._socket.deliver_inline(None)
            self.end_reason = reason
            self.line.close()
            ACTIVE_STREAMS.dec()
            FRAMES_IN.inc(self.progress.frames_in % FRAME_COUNT_BATCH)
            await self._socket.close(
                CLOSE_GOING_AWAY if reason is EndReason.SHUTDOWN else CLOSE_NORMAL
            )
            ended_at = self._clock.now()
            await self._record(
                "ended",
                self._recorder.ended(
                    identity.stream_sid,
                    at=ended_at,
                    frames_in=self.progress.frames_in,
                    reason=reason,
                ),
            )
            log.info(
                "call_stream_ended",
                reason=reason.value,
                started=True,
                duration_seconds=round((ended_at - started_at).total_seconds(), 3),
                **self.progress.summary(),
            )

    async def _stream(self, stream_sid: str) -> EndReason:
        progress = self.progress
        while True:
            if self._end_requested is not None:  # asked from inside a listener call
                return self._end_requested
            self._reading = True
            try:
                frame = await self._next_frame()
            finally:
                self._reading = False
            if isinstance(frame, EndReason):
                return frame
            try:
                message = parse_twilio_message(frame)
            except ProtocolError as exc:
                self._tolerate(str(exc))
                continue
            if isinstance(message, Connected | Start):
                self._tolerate(f"unexpected {type(message).__name__.lower()} during the stream")
                continue
            if message.stream_sid != stream_sid:
                self._tolerate("frame for another stream")
                continue
            match message:
                case Media():
                    if not self._take_media(message):
                        assert self._listener is not None  # only a listener refuses
                        await self._listener.on_media(message.payload)
                        self._count_media(message)
                case Mark():
                    self._take_mark(message)
                case Dtmf():
                    progress.sequence(message.sequence_number)
                    progress.dtmf_digits.append(message.digit)
                    log.info("dtmf_received", count=len(progress.dtmf_digits))
                case Stop():
                    progress.sequence(message.sequence_number)
                    return EndReason.STOP

    def _take_inline(self, frame: str) -> bool:
        """A frame from the socket's read callback: True once handled, False to have
        it queued for :meth:`_stream` (see the module doc). Never raises: it runs
        inside the server's protocol."""
        if not self._reading or self._end_requested is not None or self._live_sid is None:
            return False
        try:
            message = parse_twilio_message(frame)
        except ProtocolError:
            return False  # _stream counts and logs it
        try:
            if type(message) is Media and message.stream_sid == self._live_sid:
                taken = self._take_media(message)
            elif type(message) is Mark and message.stream_sid == self._live_sid:
                taken = self._take_mark(message)
            else:
                return False
        except Exception as exc:
            log.error("inline_frame_failed", error=repr(exc))
            return True  # as _stream would: the call goes on without this frame
        if taken:
            self._idle.heard()
        return taken

    def _take_media(self, message: Media) -> bool:
        """Caller audio without waiting; False if the listener needs to wait (then
        nothing was counted or sent)."""
        if self._listener is not None and not self._listener.on_media_now(message.payload):
            return False
        self._count_media(message)
        return True

    def _count_media(self, message: Media) -> None:
        progress = self.progress
        progress.frame_in(message.sequence_number)
        if progress.frames_in % FRAME_COUNT_BATCH == 0:
            FRAMES_IN.inc(FRAME_COUNT_BATCH)

    def _take_mark(self, message: Mark) -> bool:
        self.progress.sequence(message.sequence_number)
        if not self.progress.mark_played(message.name):
            log.info("unexpected_mark", name=message.name[:100])
        elif self._listener is not None:
            self._listener.on_mark(message.name)
        return True

    async def _next_frame(self) -> str | bytes | EndReason:
        frame = await self._socket.receive()
        if frame is None:
            return EndReason.SOCKET_CLOSED
        self._idle.heard()
        return frame

    def _timed_out(self) -> None:
        log.warning("media_receive_timeout", seconds=self._idle.timeout)
        self.end(EndReason.RECEIVE_TIMEOUT)

    async def _reject(self, problem: str) -> EndReason:
        self._count_protocol_error(problem, phase="before_start")
        await self._socket.close(CLOSE_UNSUPPORTED_DATA, "not a Twilio Media Stream")
        return EndReason.PROTOCOL_ERROR

    def _tolerate(self, problem: str) -> None:
        self._count_protocol_error(problem, phase="streaming")

    def _count_protocol_error(self, problem: str, *, phase: str) -> None:
        self.progress.protocol_errors += 1
        PROTOCOL_ERRORS.inc()
        log.warning("media_protocol_error", phase=phase, problem=problem[:300])

    async def _record(self, what: str, write: Awaitable[None]) -> None:
        # Bookkeeping must never hang up on a caller: a failed write is logged, the call
        # goes on (or ends normally).
        try:
            await write
        except Exception as exc:
            log.error("media_session_record_failed", write=what, error=repr(exc))
