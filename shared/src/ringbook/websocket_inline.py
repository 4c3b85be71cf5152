"""A ``websockets`` client connection that can hand text messages over inline.

``ClientConnection`` puts every received frame in its assembler, from which ``recv()``
takes it: a future and a task wake-up per message. :class:`InlineClientConnection`
first offers each complete, unfragmented text message to a sink, from inside the
protocol's ``data_received``; the sink returns True when it has fully handled the
message, False to leave it to ``recv()`` as usual. It is passed to
``websockets.asyncio.client.connect(create_connection=...)``, the library's own hook
for a connection subclass, so a library that opens the socket for us (the openai SDK)
can be given it too.

Order is kept: a message is only offered while no earlier one waits in the assembler.
``_waiting`` counts the messages handed to the assembler and not yet returned by
``recv()``; each ``recv()`` returns one whole message, and a message is complete (and
counted) on its frame with ``fin`` set. The sink must itself refuse while its consumer
is still busy with a message it got from ``recv()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, overload

from websockets.asyncio.client import ClientConnection
from websockets.frames import DATA_OPCODES, Frame, Opcode
from websockets.protocol import Event
from websockets.typing import Data

BytesSink = Callable[[bytes], bool]


class InlineClientConnection(ClientConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._inline_sink: BytesSink | None = None
        self._waiting = 0

    def deliver_to(self, sink: BytesSink | None) -> None:
        """Offer later text messages (their UTF-8 bytes) to ``sink`` first."""
        self._inline_sink = sink

    def process_event(self, event: Event) -> None:
        if isinstance(event, Frame) and event.opcode in DATA_OPCODES:
            sink = self._inline_sink
            if (
                sink is not None
                and self._waiting == 0
                and event.opcode is Opcode.TEXT
                and event.fin
                and self._offer(sink, event.data)
            ):
                return
            if event.fin:
                self._waiting += 1
        super().process_event(event)

    @overload
    async def recv(self, decode: Literal[True]) -> str: ...

    @overload
    async def recv(self, decode: Literal[False]) -> bytes: ...

    @overload
    async def recv(self, decode: bool | None = None) -> Data: ...

    async def recv(self, decode: bool | None = None) -> Data:
        message = await super().recv(decode)
        self._waiting -= 1
        return message

    def _offer(self, sink: BytesSink, data: bytes | bytearray | memoryview) -> bool:
        try:
            return sink(data if isinstance(data, bytes) else bytes(data))
        except Exception:
            # A sink must not raise (this is the protocol's read callback); if one does,
            # the connection lives on without the message: recv() could repeat its effect.
            self.logger.exception("inline websocket sink failed; message dropped")
            return True
