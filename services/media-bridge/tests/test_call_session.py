"""CallSession's bookkeeping with in-memory ports (the socket and the store are plain
in-process implementations of the ports, not mocks): marks, dtmf, sending back."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from media_bridge.adapters.twilio_call_session import CallSession
from media_bridge.domain.call_stream import (
    EndReason,
    StreamIdentity,
    StreamProgress,
    StreamRefused,
)
from ringbook.clock import FakeClock
from ringbook.stream_tokens import CallDirection, StreamGrant
from ringbook_simulators.carrier import media_stream_client as sim

SID, CALL, ACCOUNT = "MZ1", "CA1", "AC1"
GRANT = StreamGrant(token_id=uuid.uuid4(), call_sid=CALL, tenant_id=uuid.uuid4(),
                    request_id=uuid.uuid4(), attempt=1, direction=CallDirection.INBOUND,
                    expires_at=datetime(2026, 1, 15, 9, 2, tzinfo=UTC))


class GrantingGate:
    """The StreamGate port in memory: admits every start with ``GRANT`` (admission
    itself is test_stream_authentication's), or refuses with ``refuse``."""

    def __init__(self, refuse: Exception | None = None) -> None:
        self.refuse = refuse
        self.asked: list[tuple[str, dict[str, str]]] = []

    async def admit(self, call_sid: str, parameters: Mapping[str, str]) -> StreamGrant:
        self.asked.append((call_sid, dict(parameters)))
        if self.refuse is not None:
            raise self.refuse
        return GRANT


class MemorySocket:
    """The MediaSocket port in memory, inline lane included: ``feed`` offers a frame to
    the sink first when nothing is queued, as the server's protocol does."""

    def __init__(self) -> None:
        self.incoming: asyncio.Queue[str | None] = asyncio.Queue()
        self.sent: list[dict[str, object]] = []
        self.closed_with: int | None = None
        self.idle = asyncio.Event()  # set while the session waits on an empty socket
        self.sink: Callable[[str], bool] | None = None
        self.inline_taken = 0

    async def receive(self) -> str | bytes | None:
        if self.incoming.empty():
            self.idle.set()
        frame = await self.incoming.get()
        self.idle.clear()
        return frame

    async def send_text(self, data: str) -> None:
        self.sent.append(orjson.loads(data))

    async def close(self, code: int, reason: str = "") -> None:
        if self.closed_with is None:
            self.closed_with = code

    def deliver_inline(self, sink: Callable[[str], bool] | None) -> bool:
        self.sink = sink
        return True

    def can_send_now(self) -> bool:
        return self.closed_with is None

    def send_now(self, texts: Sequence[str]) -> bool:
        if not self.can_send_now():
            return False
        self.sent.extend(orjson.loads(text) for text in texts)
        return True

    def feed(self, message: dict[str, object]) -> None:
        frame = orjson.dumps(message).decode()
        if self.sink is not None and self.incoming.empty() and self.sink(frame):
            self.inline_taken += 1
            return
        self.incoming.put_nowait(frame)


class MemoryRecorder:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, object]] = {}

    async def started(self, identity: StreamIdentity, at: datetime) -> None:
        self.rows[identity.stream_sid] = {"call_sid": identity.call_sid, "started_at": at}

    async def ended(
        self, stream_sid: str, *, at: datetime, frames_in: int, reason: EndReason
    ) -> None:
        self.rows[stream_sid].update(ended_at=at, frames_in=frames_in, reason=reason)


def session(socket: MemorySocket, recorder: MemoryRecorder, timeout: float = 5.0,
            gate: GrantingGate | None = None) -> CallSession:
    clock = FakeClock(datetime(2026, 1, 15, 9, 0, tzinfo=UTC))
    return CallSession(socket=socket, recorder=recorder, gate=gate or GrantingGate(),
                       clock=clock, receive_timeout=timeout)


async def test_marks_dtmf_and_audio_back_to_the_caller() -> None:
    socket, recorder = MemorySocket(), MemoryRecorder()
    call = session(socket, recorder)
    with pytest.raises(RuntimeError):  # nothing to send to before the stream started
        await call.line.send_audio("/w==")
    runner = asyncio.create_task(call.run())
    socket.feed(sim.connected_message())
    socket.feed(sim.start_message(sequence_number=1, stream_sid=SID, account_sid=ACCOUNT,
                                  call_sid=CALL, custom_parameters={"request_id": "r-1"}))
    await socket.idle.wait()
    assert call.identity is not None and call.identity.grant is GRANT
    assert call.identity.request_id == str(GRANT.request_id)

    await call.line.send_audio("/w==")
    await call.line.send_mark("greeting")
    await call.line.clear_audio()
    assert [m["event"] for m in socket.sent] == ["media", "mark", "clear"]
    assert call.progress.marks_pending == ["greeting"]

    socket.feed(sim.mark_message(sequence_number=2, stream_sid=SID, name="greeting"))
    socket.feed(sim.mark_message(sequence_number=3, stream_sid=SID, name="never-sent"))
    socket.feed(sim.dtmf_message(sequence_number=4, stream_sid=SID, digit="5"))
    socket.feed(sim.media_message(sequence_number=4, stream_sid=SID, chunk=1, timestamp_ms=0,
                                  payload=b"\xff"))  # a repeated sequence number
    socket.feed(sim.stop_message(sequence_number=6, stream_sid=SID, account_sid=ACCOUNT,
                                 call_sid=CALL))
    assert await runner is EndReason.STOP

    assert call.progress.marks_pending == [] and call.progress.marks_played == 1
    assert call.progress.dtmf_digits == ["5"]
    assert call.progress.frames_out == 1 and call.progress.frames_in == 1
    assert call.progress.out_of_order == 1 and call.progress.last_sequence == 6
    assert socket.closed_with == 1000
    assert recorder.rows[SID]["reason"] is EndReason.STOP
    with pytest.raises(RuntimeError):  # nor after it ended
        await call.line.send_mark("late")


@pytest.mark.parametrize(("problem", "code"), [
    (StreamRefused("replayed"), 1008),  # not one of our calls: policy violation
    (ConnectionError("postgres is down"), 1011),  # cannot tell: refused all the same
], ids=["refused", "admission-failed"])
async def test_a_start_the_gate_does_not_admit_never_reaches_the_listener(
    problem: Exception, code: int
) -> None:
    class Listener(AudioListener):
        started = False

        async def on_start(self, identity: StreamIdentity) -> None:
            self.started = True

    socket, recorder, listener = MemorySocket(), MemoryRecorder(), Listener()
    gate = GrantingGate(problem)
    clock = FakeClock(datetime(2026, 1, 15, 9, 0, tzinfo=UTC))
    call = CallSession(socket=socket, recorder=recorder, gate=gate, clock=clock,
                       receive_timeout=5.0, listener=listener)
    socket.feed(sim.connected_message())
    socket.feed(sim.start_message(sequence_number=1, stream_sid=SID, account_sid=ACCOUNT,
                                  call_sid=CALL, custom_parameters={"stream_token": "t"}))
    assert await call.run() is EndReason.REFUSED
    assert gate.asked == [(CALL, {"stream_token": "t"})]
    assert socket.closed_with == code
    assert not listener.started and call.identity is None
    assert recorder.rows == {} and socket.sent == [] and socket.sink is None


async def test_silence_ends_the_stream() -> None:
    socket, recorder = MemorySocket(), MemoryRecorder()
    socket.feed(sim.start_message(sequence_number=1, stream_sid=SID, account_sid=ACCOUNT,
                                  call_sid=CALL, custom_parameters={}))
    assert await session(socket, recorder, timeout=0.05).run() is EndReason.RECEIVE_TIMEOUT
    assert recorder.rows[SID]["reason"] is EndReason.RECEIVE_TIMEOUT


async def test_a_failing_store_does_not_end_the_call() -> None:
    class BrokenRecorder(MemoryRecorder):
        async def started(self, identity: StreamIdentity, at: datetime) -> None:
            raise ConnectionError("postgres is down")

    socket = MemorySocket()
    socket.feed(sim.start_message(sequence_number=1, stream_sid=SID, account_sid=ACCOUNT,
                                  call_sid=CALL, custom_parameters={}))
    for n in range(3):
        socket.feed(sim.media_message(sequence_number=n + 2, stream_sid=SID, chunk=n + 1,
                                      timestamp_ms=20 * n, payload=b"\xff"))
    socket.feed(sim.stop_message(sequence_number=5, stream_sid=SID, account_sid=ACCOUNT,
                                 call_sid=CALL))
    call = session(socket, BrokenRecorder())
    assert await call.run() is EndReason.STOP
    assert call.progress.frames_in == 3


def test_progress_counts_marks_once() -> None:
    progress = StreamProgress()
    progress.mark_sent("a")
    assert progress.mark_played("a") is True
    assert progress.mark_played("a") is False


class AudioListener:
    """A StreamListener that records caller audio in the order it is handled, taking it
    inline only while ``inline`` is True (False stands for a model socket under
    back-pressure); its awaited lane waits for ``release``."""

    def __init__(self) -> None:
        self.inline = True
        self.heard: list[str] = []
        self.awaited: list[str] = []
        self.waiting = asyncio.Event()  # the awaited lane has a frame and waits
        self.release = asyncio.Event()
        self.release.set()
        self.marks: list[str] = []

    async def on_start(self, identity: StreamIdentity) -> None:
        return None

    async def on_media(self, payload: str) -> None:
        self.waiting.set()
        await self.release.wait()
        self.heard.append(payload)
        self.awaited.append(payload)

    def on_media_now(self, payload: str) -> bool:
        if self.inline:
            self.heard.append(payload)
        return self.inline

    def on_mark(self, name: str) -> None:
        self.marks.append(name)


def media(n: int) -> dict[str, object]:
    return sim.media_message(sequence_number=n + 2, stream_sid=SID, chunk=n + 1,
                             timestamp_ms=20 * n, payload=bytes([n]) * 160)


def starting(socket: MemorySocket, listener: AudioListener) -> tuple[CallSession, Any]:
    """A session running with ``listener``, its ``start`` fed."""
    clock = FakeClock(datetime(2026, 1, 15, 9, 0, tzinfo=UTC))
    call = CallSession(socket=socket, recorder=MemoryRecorder(), gate=GrantingGate(),
                       clock=clock, receive_timeout=5.0, listener=listener)
    runner = asyncio.create_task(call.run())
    socket.feed(sim.start_message(sequence_number=1, stream_sid=SID, account_sid=ACCOUNT,
                                  call_sid=CALL, custom_parameters={}))
    return call, runner


async def live(socket: MemorySocket, listener: AudioListener) -> tuple[CallSession, Any]:
    """As ``starting``, once the stream is live and the session waits for frames."""
    call, runner = starting(socket, listener)
    await socket.idle.wait()
    return call, runner


def payloads(numbers: range) -> list[str]:
    return [str(media(n)["media"]["payload"]) for n in numbers]  # type: ignore[index]


async def test_audio_and_marks_are_taken_inline_while_the_session_waits() -> None:
    socket, listener = MemorySocket(), AudioListener()
    call, runner = await live(socket, listener)
    call.line.send_frames_now([call.line.mark_frame("m1")])
    for n in range(5):
        socket.feed(media(n))
    socket.feed(sim.mark_message(sequence_number=7, stream_sid=SID, name="m1"))
    assert socket.inline_taken == 6 and socket.incoming.empty()
    assert listener.heard == payloads(range(5)) and listener.marks == ["m1"]
    socket.feed(sim.stop_message(sequence_number=8, stream_sid=SID, account_sid=ACCOUNT,
                                 call_sid=CALL))  # not inline: the reader ends the stream
    assert await runner is EndReason.STOP
    assert call.progress.frames_in == 5 and call.progress.out_of_order == 0


async def test_a_frame_waiting_on_the_awaited_lane_holds_back_the_next_one() -> None:
    socket, listener = MemorySocket(), AudioListener()
    call, runner = await live(socket, listener)
    socket.feed(media(0))  # inline
    listener.inline, listener.release = False, asyncio.Event()
    socket.feed(media(1))  # refused inline: the reader sends it awaited...
    await listener.waiting.wait()  # ...and is stuck there
    listener.inline = True
    socket.feed(media(2))  # nothing queued, but the reader is busy: must not overtake 1
    socket.feed(sim.dtmf_message(sequence_number=5, stream_sid=SID, digit="7"))
    listener.release.set()
    await socket.idle.wait()
    socket.feed(media(4))  # all read: inline again
    socket.feed(sim.stop_message(sequence_number=7, stream_sid=SID, account_sid=ACCOUNT,
                                 call_sid=CALL))
    assert await runner is EndReason.STOP
    assert listener.heard == payloads(range(3)) + payloads(range(4, 5))
    assert listener.awaited == payloads(range(1, 2))
    assert socket.inline_taken == 2  # frames 0 and 4
    assert call.progress.dtmf_digits == ["7"]
    assert call.progress.frames_in == 4 and call.progress.out_of_order == 0


async def test_nothing_is_taken_inline_once_the_stream_has_ended() -> None:
    socket, listener = MemorySocket(), AudioListener()
    call, runner = await live(socket, listener)
    call.end(EndReason.AGENT_ENDED)
    assert await runner is EndReason.AGENT_ENDED
    assert socket.sink is None  # the session let go of the lane
    assert not call.line.can_send_now()


async def test_audio_sent_while_the_listener_is_still_starting_is_delayed_not_dropped() -> None:
    class SlowStart(AudioListener):
        def __init__(self) -> None:
            super().__init__()
            self.may_start = asyncio.Event()
            self.starting = asyncio.Event()

        async def on_start(self, identity: StreamIdentity) -> None:
            self.starting.set()
            await self.may_start.wait()  # the model's connect and session.update

    socket, listener = MemorySocket(), SlowStart()
    call, runner = starting(socket, listener)
    await listener.starting.wait()
    for n in range(5):  # the callee's first words, before the model is ready
        socket.feed(media(n))
    assert listener.heard == [] and socket.inline_taken == 0
    listener.may_start.set()
    await socket.idle.wait()
    socket.feed(media(5))
    socket.feed(sim.stop_message(sequence_number=8, stream_sid=SID, account_sid=ACCOUNT,
                                 call_sid=CALL))
    assert await runner is EndReason.STOP
    assert listener.heard == payloads(range(6))
    assert call.progress.frames_in == 6
