"""The SIMULATED realtime model, driven by the official OpenAI SDK over a real socket.

Every server event is parsed twice: by the SDK (as our media bridge does) and strictly
with pydantic against the SDK's GA event union, so a shape the SDK would merely
tolerate still fails here.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openai import AsyncOpenAI
from openai.resources.realtime.realtime import AsyncRealtimeConnection
from openai.types.realtime import RealtimeServerEvent
from pydantic import TypeAdapter
from ringbook.clock import FakeClock
from ringbook_simulators.realtime import RealtimeModelSimulator, practice_lines, script_for
from ringbook_simulators.realtime.audio import (
    FRAME_BYTES,
    decode,
    encode_sample,
    mean_abs_level,
    silence_frames,
    speaking_duration_ms,
    tone_frames,
)
from ringbook_simulators.realtime.scripts import next_monday, number_called
from ringbook_simulators.realtime.vad import EnergyVad
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

STRICT = TypeAdapter(RealtimeServerEvent)
TOOLS = [
    {"type": "function", "name": name, "description": name, "parameters": {"type": "object"}}
    for name in ("book_appointment", "report_no_availability", "end_call")
]


def _berlin_next_monday() -> date:
    # Computed independently of the simulator's helper on purpose.
    day = datetime.now(ZoneInfo("Europe/Berlin")).date() + timedelta(days=1)
    while day.weekday() != 0:
        day += timedelta(days=1)
    return day


class Events:
    """Reads every server event in the background; tests await the ones they need."""

    def __init__(self, conn: AsyncRealtimeConnection) -> None:
        self.conn = conn
        self.all: list[Any] = []
        self.strict_errors: list[str] = []
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            while True:
                raw = await self.conn.recv_bytes()
                try:
                    STRICT.validate_json(raw)
                except ValueError as exc:
                    self.strict_errors.append(f"{json.loads(raw)['type']}: {exc}")
                event = self.conn.parse_event(raw)
                self.all.append(event)
                self._queue.put_nowait(event)
        except ConnectionClosed:
            pass

    async def until(
        self, type_: str, where: Callable[[Any], bool] = lambda _: True, timeout: float = 20
    ) -> tuple[Any, list[Any]]:
        """The next event of ``type_`` (matching ``where``) and every event before it."""
        seen: list[Any] = []
        async with asyncio.timeout(timeout):
            while True:
                event = await self._queue.get()
                seen.append(event)
                if event.type == type_ and where(event):
                    return event, seen

    async def close(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


@pytest.fixture
async def fast_sim() -> AsyncIterator[RealtimeModelSimulator]:
    async with RealtimeModelSimulator(speed=20.0) as sim:
        yield sim


@pytest.fixture
async def realtime_sim() -> AsyncIterator[RealtimeModelSimulator]:
    async with RealtimeModelSimulator() as sim:
        yield sim


async def _open(
    sim: RealtimeModelSimulator, number: str | None
) -> AsyncIterator[tuple[AsyncRealtimeConnection, Events]]:
    client = AsyncOpenAI(api_key="sim", base_url=sim.base_url)
    async with client.realtime.connect(model="gpt-realtime") as conn:
        events = Events(conn)
        created, _ = await events.until("session.created")
        assert "SIMULATED" in created.session.instructions
        if number is not None:
            await conn.session.update(
                session={
                    "type": "realtime",
                    "instructions": f"You call a practice.\nNumber called: {number}\n",
                    "tools": TOOLS,  # type: ignore[typeddict-item]
                    "audio": {
                        "input": {
                            "format": {"type": "audio/pcmu"},
                            "turn_detection": {"type": "server_vad", "silence_duration_ms": 400},
                        },
                        "output": {"format": {"type": "audio/pcmu"}},
                    },
                }
            )
            updated, _ = await events.until("session.updated")
            assert f"Number called: {number}" in (updated.session.instructions or "")
        try:
            yield conn, events
        finally:
            await events.close()
        assert events.strict_errors == []


def session_with(sim: RealtimeModelSimulator, number: str | None) -> Any:
    from contextlib import asynccontextmanager

    return asynccontextmanager(_open)(sim, number)


async def speak(conn: AsyncRealtimeConnection, speech_ms: int = 300, silence_ms: int = 500) -> None:
    """The practice talks (non-silent μ-law), then falls silent so VAD ends the turn."""
    for frame in tone_frames(speech_ms) + silence_frames(silence_ms):
        await conn.input_audio_buffer.append(audio=base64.b64encode(frame).decode())


async def practice_turn(conn: AsyncRealtimeConnection, events: Events, text: str) -> None:
    started, _ = await events.until("input_audio_buffer.speech_started")
    stopped, _ = await events.until("input_audio_buffer.speech_stopped")
    assert stopped.item_id == started.item_id
    assert stopped.audio_end_ms - started.audio_start_ms >= 300 + 400 - 20
    await events.until("input_audio_buffer.committed", lambda e: e.item_id == started.item_id)
    transcript, _ = await events.until("conversation.item.input_audio_transcription.completed")
    assert transcript.transcript == text


def audio_of(seen: list[Any]) -> list[bytes]:
    return [base64.b64decode(e.delta) for e in seen if e.type == "response.output_audio.delta"]


async def agent_says(events: Events, text: str) -> Any:
    done, seen = await events.until("response.done")
    chunks = audio_of(seen)
    assert chunks and all(len(c) == FRAME_BYTES for c in chunks)
    assert all(mean_abs_level(c) > 500 for c in chunks)  # a tone, not silence
    assert len(chunks) * 20 == speaking_duration_ms(text)
    transcript = "".join(
        e.delta for e in seen if e.type == "response.output_audio_transcript.delta"
    )
    assert transcript == text
    assert [e.transcript for e in seen if e.type == "response.output_audio_transcript.done"] == [
        text
    ]
    assert done.response.status == "completed"
    return done


async def tool_call(events: Events, name: str) -> tuple[Any, dict[str, Any], list[Any]]:
    call, seen = await events.until("response.function_call_arguments.done")
    assert call.name == name
    deltas = "".join(e.delta for e in seen if e.type == "response.function_call_arguments.delta")
    assert deltas == call.arguments
    added = [e for e in seen if e.type == "response.output_item.added"]
    assert added[-1].item.type == "function_call" and added[-1].item.name == name
    done, rest = await events.until("response.done")
    assert done.response.status == "completed"
    assert done.response.output[-1].call_id == call.call_id
    return call, json.loads(call.arguments), seen + rest


async def send_tool_result(conn: AsyncRealtimeConnection, events: Events, call_id: str) -> None:
    await conn.conversation.item.create(
        item={"type": "function_call_output", "call_id": call_id, "output": '{"ok": true}'}
    )
    await events.until("conversation.item.added", lambda e: e.item.type == "function_call_output")
    await conn.response.create()


# -- the scripted conversations over the SDK --------------------------------------------


async def test_booking_script_end_to_end(fast_sim: RealtimeModelSimulator) -> None:
    script = script_for("+49305550100", date.today())
    greeting, ask, offer, _, goodbye = (t.text for t in script.turns)
    async with session_with(fast_sim, "+49305550100") as (conn, events):
        await speak(conn)
        await practice_turn(conn, events, str(greeting))
        await agent_says(events, str(ask))  # server VAD created the response itself

        await speak(conn)
        await practice_turn(conn, events, str(offer))
        call, arguments, _ = await tool_call(events, "book_appointment")
        assert arguments == {
            "date": _berlin_next_monday().isoformat(),
            "time": "10:30",
            "with_whom": "Praxis Dr. Müller",
            "notes": "Zahnreinigung",
        }

        await send_tool_result(conn, events, call.call_id)
        _, end_args, seen = await tool_call(events, "end_call")
        assert end_args == {"reason": "booked"}
        spoken = [e.transcript for e in seen if e.type == "response.output_audio_transcript.done"]
        assert spoken == [goodbye]
        assert len(audio_of(seen)) * 20 == speaking_duration_ms(str(goodbye))

    record = fast_sim.sessions[0].record
    assert record.number == "+49305550100"
    assert record.tool_outputs == {call.call_id: '{"ok": true}'}
    assert record.errors == []


async def test_no_availability_script(fast_sim: RealtimeModelSimulator) -> None:
    async with session_with(fast_sim, "+49305550103") as (conn, events):
        await speak(conn)
        await events.until("response.done")
        await speak(conn)
        await practice_turn(
            conn,
            events,
            "Leider ist diese Woche nichts frei. Rufen Sie bitte nächste Woche wieder an.",
        )
        call, arguments, _ = await tool_call(events, "report_no_availability")
        assert arguments["callback_requested"] is True and arguments["reason"]
        await send_tool_result(conn, events, call.call_id)
        _, end_args, _ = await tool_call(events, "end_call")
        assert end_args == {"reason": "no_availability"}


async def test_agent_waits_for_the_tool_result(fast_sim: RealtimeModelSimulator) -> None:
    async with session_with(fast_sim, "+49305550100") as (conn, events):
        await speak(conn)
        await events.until("response.done")
        await speak(conn)
        call, _, _ = await tool_call(events, "book_appointment")
        await conn.response.create()  # without the function_call_output
        error, _ = await events.until("error")
        assert error.error.code == "function_call_output_missing"
        await send_tool_result(conn, events, call.call_id)
        await tool_call(events, "end_call")


async def test_barge_in_cuts_the_reply_short_and_truncate_is_confirmed(
    realtime_sim: RealtimeModelSimulator,
) -> None:
    script = script_for("+49305550104", date.today())
    intro, interruption = str(script.turns[1].text), str(script.turns[2].text)
    async with session_with(realtime_sim, "+49305550104") as (conn, events):
        await speak(conn)
        await events.until("response.created")
        # ~0.5 s into an ~11 s reply the practice starts talking over the agent.
        first, _ = await events.until("response.output_audio.delta")
        for _ in range(24):
            await events.until("response.output_audio.delta")
        mark = len(events.all)
        await speak(conn)
        done, seen = await events.until("response.done")
        assert done.response.status == "cancelled"
        assert done.response.status_details.reason == "turn_detected"
        assert done.response.output[0].status == "incomplete"
        sent_ms = 20 * (25 + len(audio_of(seen)))
        assert sent_ms < speaking_duration_ms(intro) / 2
        partial = done.response.output[0].content[0].transcript
        assert partial and intro.startswith(partial) and partial != intro

        # The bridge tells the model how much the practice actually heard.
        await conn.conversation.item.truncate(
            item_id=first.item_id, content_index=0, audio_end_ms=400
        )
        truncated, _ = await events.until("conversation.item.truncated")
        assert (truncated.item_id, truncated.audio_end_ms) == (first.item_id, 400)

        # VAD events of the interruption may overtake the cancelled response.done.
        heard = events.all[mark:]
        kinds = [e.type for e in heard]
        assert kinds.index("input_audio_buffer.speech_started") < kinds.index("response.done")
        transcript, _ = (
            await events.until("conversation.item.input_audio_transcription.completed")
            if "conversation.item.input_audio_transcription.completed" not in kinds
            else (
                heard[kinds.index("conversation.item.input_audio_transcription.completed")],
                [],
            )
        )
        assert transcript.transcript == interruption
        again, _ = await events.until("response.output_audio.delta")  # the agent answers again
        assert again.response_id != done.response.id
        await conn.response.cancel()
        cancelled, _ = await events.until("response.done")
        assert cancelled.response.status_details.reason == "client_cancelled"

    record = realtime_sim.sessions[0].record
    assert [(t.item_id, t.audio_end_ms) for t in record.truncations] == [(first.item_id, 400)]
    assert [status for _, status in record.responses] == ["cancelled", "cancelled"]


async def test_bad_events_get_errors_and_the_session_keeps_working(
    fast_sim: RealtimeModelSimulator,
) -> None:
    async with session_with(fast_sim, "+49305550100") as (conn, events):
        await conn.send_raw("{this is not json")
        error, _ = await events.until("error")
        assert error.error.code == "invalid_json"

        await conn.send_raw(json.dumps({"type": "bogus.event", "event_id": "evt_1"}))
        error, _ = await events.until("error")
        assert error.error.code == "invalid_value" and "bogus.event" in error.error.message
        assert error.error.event_id == "evt_1"

        await conn.send_raw(json.dumps({"type": "input_audio_buffer.append", "audio": "%%"}))
        error, _ = await events.until("error")
        assert error.error.param == "audio"

        await conn.conversation.item.truncate(
            item_id="item_nope", content_index=0, audio_end_ms=1, event_id="evt_2"
        )
        error, _ = await events.until("error")
        assert error.error.code == "item_truncate_invalid_item_id"
        assert error.error.event_id == "evt_2"

        await conn.response.cancel()
        error, _ = await events.until("error")
        assert error.error.code == "response_cancel_not_active"

        await conn.session.update(
            session={"type": "realtime", "audio": {"input": {"format": {"type": "audio/pcm"}}}}
        )
        error, _ = await events.until("error")
        assert "audio/pcmu" in error.error.message

        # Still the same socket, still on script.
        await speak(conn)
        await practice_turn(conn, events, "Praxis Dr. Müller, guten Tag.")
        await events.until("response.done", lambda e: e.response.status == "completed")


async def test_handshake_requires_bearer_path_and_model(fast_sim: RealtimeModelSimulator) -> None:
    ws_url = fast_sim.base_url.replace("http", "ws", 1)
    for url, headers, status in [
        (f"{ws_url}/realtime?model=m", {}, 401),
        (f"{ws_url}/realtime?model=m", {"Authorization": "Bearer "}, 401),
        (f"{ws_url}/elsewhere?model=m", {"Authorization": "Bearer k"}, 404),
        (f"{ws_url}/realtime", {"Authorization": "Bearer k"}, 400),
    ]:
        with pytest.raises(InvalidStatus) as caught:
            async with ws_connect(url, additional_headers=headers):
                pass
        assert caught.value.response.status_code == status


async def test_shutdown_closes_open_sessions() -> None:
    sim = RealtimeModelSimulator(speed=1.0)
    await sim.start()
    url = sim.base_url.replace("http", "ws", 1) + "/realtime?model=gpt-realtime"
    async with ws_connect(url, additional_headers={"Authorization": "Bearer k"}) as ws:
        await ws.recv()  # session.created
        for frame in tone_frames(300) + silence_frames(500):
            event = {"type": "input_audio_buffer.append", "audio": base64.b64encode(frame).decode()}
            await ws.send(json.dumps(event))
        async with asyncio.timeout(5):
            while json.loads(await ws.recv())["type"] != "response.output_audio.delta":
                pass
        await asyncio.wait_for(sim.stop(), timeout=5)  # mid-response
        with pytest.raises(ConnectionClosed):
            while True:
                await ws.recv()


# -- building blocks ----------------------------------------------------------------------


def test_mulaw_round_trip_and_silence() -> None:
    for sample in (-30000, -1000, -1, 0, 1, 1000, 30000):
        (decoded,) = decode(bytes([encode_sample(sample)]))
        assert abs(decoded - sample) <= max(2, abs(sample) // 16)
    assert mean_abs_level(silence_frames(20)[0]) == 0
    assert mean_abs_level(tone_frames(20)[0]) > 2000


def test_vad_start_needs_60ms_and_stop_needs_400ms_of_silence() -> None:
    vad = EnergyVad()
    assert vad.feed(b"".join(silence_frames(100))) == []
    assert vad.feed(b"".join(tone_frames(40))) == []  # too short to count yet
    (started,) = vad.feed(b"".join(tone_frames(20)))
    assert (started.kind, started.audio_ms) == ("speech_started", 100)
    # A 200 ms pause inside the turn is not the end of it.
    assert vad.feed(b"".join(silence_frames(200) + tone_frames(100))) == []
    (stopped,) = vad.feed(b"".join(silence_frames(600))[:-1])  # unaligned appends are fine
    assert (stopped.kind, stopped.audio_ms) == ("speech_stopped", 460 + 400)


def test_scripts_pick_by_number_and_export_the_practice_side() -> None:
    assert number_called("Du bist ...\nNumber called: +49305550103\n") == "+49305550103"
    assert number_called("no number") is None
    assert next_monday(date(2026, 3, 6)) == date(2026, 3, 9)  # Friday -> Monday
    assert next_monday(date(2026, 3, 9)) == date(2026, 3, 16)  # Monday -> next Monday
    assert (
        script_for("+49301234567", date(2026, 3, 6)).turns
        == script_for("+49305550100", date(2026, 3, 6)).turns
    )
    lines = practice_lines("+49305550104", date(2026, 3, 6))
    assert [line.text for line in lines][:2] == [
        "Praxis Dr. Müller, guten Tag.",
        "Moment, worum geht es denn genau?",
    ]
    assert lines[0].duration_ms == 60 * len(lines[0].text)
    assert lines[1].barge_in_after_ms is not None
    long_intro = script_for("+49305550104", date(2026, 3, 6)).turns[1]
    assert long_intro.duration_ms > 4 * int(lines[1].barge_in_after_ms or 0)


async def test_scripts_use_the_berlin_date_of_the_clock(fast_sim: RealtimeModelSimulator) -> None:
    # Sunday 23:30 UTC is already Monday in Berlin, so the "next Monday" is a week later.
    clock = FakeClock(datetime(2026, 3, 8, 23, 30, tzinfo=UTC))
    async with RealtimeModelSimulator(clock=clock, speed=20.0) as sim:
        async with session_with(sim, "+49305550100") as (conn, events):
            await speak(conn)
            await events.until("response.done")
            await speak(conn)
            _, arguments, _ = await tool_call(events, "book_appointment")
    assert arguments["date"] == "2026-03-16"


async def test_manual_commit_without_turn_detection(fast_sim: RealtimeModelSimulator) -> None:
    async with session_with(fast_sim, None) as (conn, events):
        await conn.session.update(
            session={"type": "realtime", "audio": {"input": {"turn_detection": None}}}
        )
        await events.until("session.updated")
        await conn.input_audio_buffer.commit()
        error, _ = await events.until("error")
        assert error.error.code == "input_audio_buffer_commit_empty"
        await speak(conn)  # no VAD: no speech events, no automatic response
        await conn.input_audio_buffer.commit()
        transcript, seen = await events.until(
            "conversation.item.input_audio_transcription.completed"
        )
        assert transcript.transcript == "Praxis Dr. Müller, guten Tag."  # default script
        assert not any(e.type.startswith("input_audio_buffer.speech") for e in seen)
        await conn.response.create()
        done, _ = await events.until("response.done")
        assert done.response.status == "completed"


async def test_python_dash_m_serves_and_stops_on_sigterm() -> None:
    import signal
    import socket
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ringbook_simulators.realtime",
        "--port",
        str(port),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(15):
            while b"SIMULATED realtime model listening" not in await proc.stdout.readline():
                pass
        client = AsyncOpenAI(api_key="any", base_url=f"http://127.0.0.1:{port}/v1")
        async with client.realtime.connect(model="gpt-realtime") as conn:
            created = await conn.recv()
            assert created.type == "session.created"
            proc.send_signal(signal.SIGTERM)
            async with asyncio.timeout(10):
                assert await proc.wait() == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
