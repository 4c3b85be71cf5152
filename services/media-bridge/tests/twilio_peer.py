"""Twilio's side of a Media Stream for the bridge's tests: sends frames, collects what the
bridge sends back, echoes marks as Twilio does once the audio has played."""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from typing import Any

import nats
import orjson
from bridge_harness import DEFAULT_TENANT, Bridge, eventually, stream_token
from prometheus_client import REGISTRY
from ringbook.clock import SystemClock
from ringbook.contracts.requests import RequestReceived, UserProfile
from ringbook.events import new_event
from ringbook_devtools.testing.infra import ServerSet
from ringbook_simulators.carrier import media_stream_client as sim
from ringbook_simulators.realtime.audio import TONE_FRAME
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

ACCOUNT = "AC00000000000000000000000000000001"
TENANT = DEFAULT_TENANT
SILENCE = base64.b64encode(b"\xff" * 160).decode()


def loud_frame(n: int) -> str:
    """A loud 20 ms frame, unique per n, so forwarding can be checked string by string."""
    frame = bytearray(TONE_FRAME)
    frame[-1] = n % 256
    frame[-2] = (n // 256) % 256
    return base64.b64encode(bytes(frame)).decode()


class Twilio:
    """Twilio's side: sends frames, collects what the bridge sends back, echoes marks
    (all of them, or only the first ``echo_marks``) as Twilio does once audio played."""

    def __init__(self, ws: ClientConnection, n: int, echo_marks: int | None = None) -> None:
        self.ws = ws
        self.stream_sid = f"MZ{n:032d}"
        self.call_sid = f"CA{n:032d}"
        self.sequence = 0
        self.echo_marks = echo_marks
        self.media: list[str] = []
        self.marks: list[str] = []
        self.clears = 0
        self.sent: list[str] = []
        self.last_media_at = 0.0
        self.reader = asyncio.create_task(self._read())

    def _next(self) -> int:
        self.sequence += 1
        return self.sequence

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                message = orjson.loads(raw)
                if message["event"] == "media":
                    self.media.append(message["media"]["payload"])
                    self.last_media_at = time.monotonic()
                elif message["event"] == "mark":
                    name = message["mark"]["name"]
                    self.marks.append(name)
                    if self.echo_marks is None or len(self.marks) <= self.echo_marks:
                        await self.send(sim.mark_message(sequence_number=self._next(),
                                                         stream_sid=self.stream_sid, name=name))
                elif message["event"] == "clear":
                    self.clears += 1
        except ConnectionClosed:
            return  # the bridge ended the call: what was received is the recording

    async def send(self, message: dict[str, Any] | str) -> None:
        await self.ws.send(message if isinstance(message, str) else orjson.dumps(message).decode())

    async def start(self, **parameters: str) -> None:
        """``connected`` and ``start`` of one of our calls: the call's facts go into the
        stream token call-orchestrator would have minted (see ``stream_token``)."""
        token = stream_token(self.call_sid, parameters)
        await self.start_with({**parameters, "stream_token": token})

    async def start_with(self, custom_parameters: dict[str, str]) -> None:
        """``connected`` and ``start`` carrying exactly ``custom_parameters``."""
        await self.send(sim.connected_message())
        await self.send(sim.start_message(
            sequence_number=self._next(), stream_sid=self.stream_sid, account_sid=ACCOUNT,
            call_sid=self.call_sid, custom_parameters=custom_parameters))

    async def frames(self, payloads: list[str]) -> None:
        for payload in payloads:
            n = self._next()
            self.sent.append(payload)
            await self.send({"event": "media", "sequenceNumber": str(n),
                             "streamSid": self.stream_sid,
                             "media": {"track": "inbound", "chunk": str(n),
                                       "timestamp": str(20 * n), "payload": payload}})

    async def say(self, frames: int = 30) -> None:
        """A callee turn: loud frames, then 600 ms of silence (the VAD's end of turn)."""
        await self.frames([loud_frame(self.sequence + i) for i in range(frames)])
        await self.frames([SILENCE] * 30)

    async def agent_finished(self, after: int, quiet: float = 0.4, within: float = 15) -> None:
        """Wait until the agent has spoken (more than ``after`` frames) and gone quiet."""
        async def done() -> bool:
            return len(self.media) > after and time.monotonic() - self.last_media_at > quiet
        await eventually(done, within)

    async def stop(self) -> None:
        await self.send(sim.stop_message(sequence_number=self._next(),
                                         stream_sid=self.stream_sid, account_sid=ACCOUNT,
                                         call_sid=self.call_sid))


async def publish_request(infra: ServerSet, number: str) -> uuid.UUID:
    request_id = uuid.uuid4()
    event = new_event(
        RequestReceived(
            user_id=uuid.uuid4(), title="Zahnreinigung", description="Professionelle Reinigung",
            callback_number="+4915112345678", number_to_call=number,
            preferred_time="nächste Woche vormittags",
            user_profile=UserProfile(username="Erika Mustermann", street="Hauptstr.",
                                     house_number="1", postal_code="10115", city="Berlin"),
        ),
        aggregate_id=request_id, version=1, tenant_id=TENANT, correlation_id=request_id,
        clock=SystemClock(),
    )
    nc = await nats.connect(infra.nats_url)
    try:
        await nc.jetstream().publish(event.subject, event.to_json(),
                                     headers={"Nats-Msg-Id": str(event.id)})
    finally:
        await nc.close()
    return request_id


async def booking_call(bridge: Bridge, infra: ServerSet, n: int, number: str) -> Twilio:
    """An outbound call to ``number`` played to its end: the callee's two turns of the
    simulated model's booking script (greeting, offer), then the agent books (or tries
    to), says goodbye and hangs up (``end_call``)."""
    request_id = await publish_request(infra, number)

    async def projected() -> bool:
        return bool(await bridge.pool.fetchval(
            "select count(*) from call_requests where request_id = $1", request_id))

    await eventually(projected)
    async with bridge.connect() as ws:
        twilio = Twilio(ws, n)
        await twilio.start(direction="outbound", request_id=str(request_id),
                           tenant_id=str(TENANT), attempt="1")
        await twilio.say()
        await twilio.agent_finished(after=0)
        await twilio.say()
        await asyncio.wait_for(ws.wait_closed(), 20)
        await twilio.reader
    return twilio


async def completed_within(bridge: Bridge, seconds: float) -> dict[str, Any]:
    """call_completed appended (committed with its outbox row) within ``seconds``."""
    row: Any = None

    async def appended() -> bool:
        nonlocal row
        row = await bridge.pool.fetchrow(
            "select data from events where type = 'call_completed'")
        return row is not None

    await eventually(appended, seconds)
    data: dict[str, Any] = orjson.loads(row["data"])
    return data


def metric(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0
