"""The SIMULATED practice speaks its scripted lines on the carrier's Media Stream.

End-to-end tests run the real carrier against a fake media-bridge that answers like an
agent: after each practice line (non-silent frames, then silence) it streams a reply
of ``media`` frames in real time, then stops. Unit tests drive ``PracticeVoice`` with
a synthetic monotonic clock.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import orjson
from ringbook_simulators.carrier.practice import PracticeVoice, lines_for
from ringbook_simulators.carrier.records import SpokenLine
from ringbook_simulators.carrier.settings import CarrierSettings
from ringbook_simulators.carrier.testing import CallbackRecorder, running_carrier, serve_app
from ringbook_simulators.realtime.audio import TONE_FRAME, mean_abs_level
from ringbook_simulators.realtime.scripts import (
    BARGE_IN_NUMBER,
    BOOKING_NUMBER,
    PracticeLine,
    practice_lines,
)
from ringbook_simulators.realtime.vad import DEFAULT_THRESHOLD
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

FROM = "+49305550050"
SILENCE = b"\xff" * 160
AGENT_PAYLOAD = base64.b64encode(TONE_FRAME).decode("ascii")
TODAY = date(2025, 3, 5)


@dataclass
class Segment:
    """One run of non-silent frames the carrier sent: a practice line as heard."""

    started: float
    frames: list[bytes] = field(default_factory=list)
    ended: float | None = None


@dataclass
class Reply:
    """One agent reply the fake bridge streamed."""

    planned_seconds: float
    sent: list[float] = field(default_factory=list)  # monotonic send time of each frame
    cut_by_practice: bool = False


@dataclass
class FakeAgentBridge:
    """Our media-bridge as the carrier sees it, with a scripted agent behind it.

    After each practice line it sends the next reply of ``reply_seconds`` as 20 ms
    ``media`` frames (each followed by a ``mark``), paced in real time. With
    ``yield_on_barge_in`` it stops a reply as soon as the practice starts speaking and
    sends ``clear``, as the real bridge does on the model's ``speech_started``.
    """

    reply_seconds: list[float]
    yield_on_barge_in: bool = False
    segments: list[Segment] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    frame_sizes: set[int] = field(default_factory=set)
    media_frames: int = 0
    marks_echoed: int = 0
    _lines_ended: asyncio.Queue[None] = field(default_factory=asyncio.Queue)

    @property
    def practice_speaking(self) -> bool:
        return bool(self.segments) and self.segments[-1].ended is None

    async def _handle(self, ws: ServerConnection) -> None:
        agent = asyncio.create_task(self._agent(ws), name="fake-agent")
        try:
            async for raw in ws:
                self._heard(orjson.loads(raw), time.monotonic())
        except ConnectionClosed:
            pass
        finally:
            agent.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await agent

    def _heard(self, message: dict[str, Any], now: float) -> None:
        if message["event"] == "mark":
            self.marks_echoed += 1
            return
        if message["event"] != "media":
            return
        self.media_frames += 1
        payload = base64.b64decode(message["media"]["payload"])
        self.frame_sizes.add(len(payload))
        if payload != SILENCE:
            if not self.practice_speaking:
                self.segments.append(Segment(started=now))
            self.segments[-1].frames.append(payload)
        elif self.practice_speaking:
            self.segments[-1].ended = now
            self._lines_ended.put_nowait(None)

    async def _agent(self, ws: ServerConnection) -> None:
        loop = asyncio.get_running_loop()
        for index, seconds in enumerate(self.reply_seconds):
            await self._lines_ended.get()
            reply = Reply(seconds)
            self.replies.append(reply)
            began = loop.time()
            for n in range(round(seconds * 50)):
                await asyncio.sleep(max(0.0, began + n * 0.02 - loop.time()))
                if self.yield_on_barge_in and self.practice_speaking:
                    reply.cut_by_practice = True
                    await ws.send(orjson.dumps({"event": "clear", "streamSid": "x"}).decode())
                    break
                await ws.send(
                    orjson.dumps(
                        {"event": "media", "streamSid": "x", "media": {"payload": AGENT_PAYLOAD}}
                    ).decode()
                )
                reply.sent.append(time.monotonic())
                await ws.send(
                    orjson.dumps(
                        {"event": "mark", "streamSid": "x", "mark": {"name": f"r{index}:{n}"}}
                    ).decode()
                )

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[str]:
        async with serve(self._handle, "127.0.0.1", 0) as server:
            yield f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/media"


@dataclass
class Call:
    sid: str
    http: httpx.AsyncClient
    calls_url: str
    listing_url: str

    async def hang_up(self) -> None:
        response = await self.http.post(
            f"{self.calls_url}/{self.sid}.json", data={"Status": "completed"}
        )
        assert response.status_code == 200

    async def view(self) -> dict[str, Any]:
        calls = (await self.http.get(self.listing_url)).json()["calls"]
        [call] = [c for c in calls if c["sid"] == self.sid]
        return dict(call)


@asynccontextmanager
async def call_with(bridge: FakeAgentBridge, to: str) -> AsyncIterator[Call]:
    settings = CarrierSettings(answer_after_seconds=0.05, answered_hold_seconds=30.0)
    callbacks = CallbackRecorder(settings.auth_token)
    async with (
        bridge.serving() as media_url,
        serve_app(callbacks.app()) as callback_base,
        running_carrier(settings) as (base_url, _),
        httpx.AsyncClient(auth=(settings.account_sid, settings.auth_token)) as http,
    ):
        calls_url = f"{base_url}/2010-04-01/Accounts/{settings.account_sid}/Calls"
        twiml = f'<Response><Connect><Stream url="{media_url}"/></Connect></Response>'
        created = await http.post(
            f"{calls_url}.json",
            data={"To": to, "From": FROM, "Twiml": twiml, "StatusCallback": f"{callback_base}/s"},
        )
        assert created.status_code == 201
        yield Call(created.json()["sid"], http, calls_url, f"{base_url}/calls")


async def eventually(check: Callable[[], bool], within: float) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def frames_for(line: PracticeLine) -> int:
    return -(-line.duration_ms // 20)


def assert_spoken(segment: Segment, line: PracticeLine) -> None:
    assert segment.ended is not None
    assert len(segment.frames) == frames_for(line)
    assert all(len(frame) == 160 for frame in segment.frames)
    # Voice, not noise: every frame is far above the realtime model's energy VAD.
    assert all(mean_abs_level(frame) > 4 * DEFAULT_THRESHOLD for frame in segment.frames)
    assert abs((segment.ended - segment.started) - line.duration_ms / 1000) < 0.15


async def test_practice_answers_then_speaks_after_the_agent_has_finished() -> None:
    lines = practice_lines(BOOKING_NUMBER, TODAY)
    assert lines[0].text == "Praxis Dr. Müller, guten Tag."
    bridge = FakeAgentBridge(reply_seconds=[1.0, 0.6])
    async with call_with(bridge, BOOKING_NUMBER) as call:
        await eventually(lambda: bool(bridge.segments), within=3)
        await eventually(lambda: len(bridge.segments) == 2 and not bridge.practice_speaking, 10)
        # The agent's goodbye, then no further practice line: the script is over.
        await eventually(lambda: len(bridge.replies) == 2 and len(bridge.replies[1].sent) == 30, 3)
        await asyncio.sleep(1.2)
        assert len(bridge.segments) == 2
        await call.hang_up()
        view = await call.view()

    first, second = bridge.segments
    assert_spoken(first, lines[0])
    assert_spoken(second, lines[1])
    agent_stopped = bridge.replies[0].sent[-1]
    assert len(bridge.replies[0].sent) == 50  # 1 s of agent audio, uninterrupted
    assert 0.68 <= second.started - agent_stopped <= 0.85
    assert bridge.frame_sizes == {160}

    said = view["media"]["practice_said"]
    assert [line["text"] for line in said] == [line.text for line in lines]
    assert [line["frames_sent"] for line in said] == [frames_for(line) for line in lines]
    assert [line["interrupting"] for line in said] == [False, False]
    assert said[0]["start_ms"] == 0 and said[0]["end_ms"] == 20 * frames_for(lines[0])
    assert all(line["ended_at"] is not None for line in said)
    assert view["media"]["sent_speech_frames"] == sum(frames_for(line) for line in lines)
    assert view["media"]["received_media"] == 80 and view["media"]["received_clears"] == 0
    assert view["status"] == "completed"


async def test_practice_barges_in_on_the_agents_long_reply_then_continues() -> None:
    lines = practice_lines(BARGE_IN_NUMBER, TODAY)
    barge_in_ms = lines[1].barge_in_after_ms
    assert barge_in_ms is not None
    bridge = FakeAgentBridge(reply_seconds=[4.0, 1.0], yield_on_barge_in=True)
    async with call_with(bridge, BARGE_IN_NUMBER) as call:
        await eventually(lambda: len(bridge.segments) == 3 and not bridge.practice_speaking, 15)
        await call.hang_up()
        view = await call.view()

    interrupted, answer = bridge.replies
    # The practice spoke while the agent was still sending its (4 s) reply ...
    assert interrupted.cut_by_practice
    barge_in = bridge.segments[1]
    assert interrupted.sent[0] < barge_in.started <= interrupted.sent[-1] + 0.03
    assert abs(barge_in.started - interrupted.sent[0] - barge_in_ms / 1000) < 0.12
    # ... then waited for the agent's next turn before the rest of the script.
    assert 0.68 <= bridge.segments[2].started - answer.sent[-1] <= 0.85
    for segment, line in zip(bridge.segments, lines, strict=True):
        assert_spoken(segment, line)

    said = view["media"]["practice_said"]
    assert [line["text"] for line in said] == [line.text for line in lines]
    assert [line["interrupting"] for line in said] == [False, True, False]
    assert view["media"]["received_clears"] == 1


async def test_unscripted_numbers_stay_silent() -> None:
    assert lines_for("+4915112345678", TODAY) == ()
    assert [line.text for line in lines_for(f" {BOOKING_NUMBER} ", TODAY)] == [
        line.text for line in practice_lines(BOOKING_NUMBER, TODAY)
    ]


# --- PracticeVoice on a synthetic clock --------------------------------------------


def drive(
    voice: PracticeVoice, start: float, end: float, agent: Callable[[float], bool]
) -> list[tuple[float, bool]]:
    """Tick every 20 ms from ``start`` to ``end``; ``agent(t)`` says if agent audio arrives."""
    ticks: list[tuple[float, bool]] = []
    n = 0
    while (t := start + n * 0.02) < end - 1e-9:
        if agent(t):
            voice.agent_audio(t)
        ticks.append((t, voice.frame(t, round(t * 1000)) != SILENCE))
        n += 1
    return ticks


def starts(ticks: list[tuple[float, bool]]) -> list[float]:
    return [
        round(t, 2) for i, (t, loud) in enumerate(ticks) if loud and (i == 0 or not ticks[i - 1][1])
    ]


def test_voice_turn_taking_on_a_synthetic_clock() -> None:
    lines = [PracticeLine("a" * 5, 300, None), PracticeLine("b" * 5, 300, None)]
    said: list[SpokenLine] = []
    voice = PracticeVoice(lines, frame_ms=20, agent_quiet_seconds=0.7, said=said)
    # Agent speaks 1.0 s - 2.0 s; the practice's second line starts 0.7 s after.
    ticks = drive(voice, 0.0, 4.0, lambda t: 1.0 <= t < 2.0)
    assert starts(ticks) == [0.0, 2.68]
    assert sum(loud for _, loud in ticks) == 30
    assert voice.done and [s.frames_sent for s in said] == [15, 15]
    assert said[1].start_ms == 2680 and said[1].end_ms == 2980


def test_voice_needs_an_agent_turn_and_ignores_audio_during_its_own_line() -> None:
    lines = [PracticeLine("a", 1000, None), PracticeLine("b", 200, None)]
    voice = PracticeVoice(lines, frame_ms=20, agent_quiet_seconds=0.7, said=[])
    # Agent audio only while the practice itself speaks: no agent turn yet.
    ticks = drive(voice, 0.0, 3.0, lambda t: 0.2 <= t < 0.5)
    assert starts(ticks) == [0.0] and not voice.done


def test_voice_barge_in_interrupts_the_agent() -> None:
    lines = [
        PracticeLine("a", 200, None),
        PracticeLine("b", 400, 1500),
        PracticeLine("c", 200, None),
    ]
    said: list[SpokenLine] = []
    voice = PracticeVoice(lines, frame_ms=20, agent_quiet_seconds=0.7, said=said)
    # Agent reply from 0.5 s, cut at 2.1 s; second reply 3.0 s - 3.5 s.
    ticks = drive(voice, 0.0, 5.0, lambda t: 0.5 <= t < 2.1 or 3.0 <= t < 3.5)
    assert starts(ticks) == [0.0, 2.0, 4.18]
    assert [s.interrupting for s in said] == [False, True, False]


def test_voice_frames_of_other_sizes_continue_the_tone() -> None:
    voice = PracticeVoice(
        [PracticeLine("a", 100, None)], frame_ms=30, agent_quiet_seconds=0.7, said=[]
    )
    frames = [voice.frame(0.03 * n, 30 * n) for n in range(5)]
    assert [len(f) for f in frames] == [240] * 5
    assert b"".join(frames[:4]) == (TONE_FRAME * 6)[:960] and frames[4] == b"\xff" * 240
