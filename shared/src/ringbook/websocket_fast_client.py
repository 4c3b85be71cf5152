"""An :class:`~ringbook.websocket_inline.InlineClientConnection` whose hot text frames
skip ``websockets``' Python framing both ways (see :mod:`ringbook.websocket_frames`).

Reading: while a sink is set and nothing waits for ``recv()``, each received chunk is
cut into whole simple text frames here, and each is offered to the sink before the
protocol sees any of it. The first frame that is not one (a ping, a close, a partial
frame, a bad one), or that the sink refuses, and everything after it, go to the
protocol exactly as they arrived: it starts at a frame's first byte, as it would have.

Writing: :meth:`FastClientConnection.write_text_now` frames and masks a message itself
and hands it to the transport, under the same conditions as
:func:`ringbook.websocket_writes.write_now` plus :func:`~ringbook.websocket_frames.
can_write_frames`; False means nothing was written and the caller uses the awaited path.

It is passed to ``websockets.asyncio.client.connect(create_connection=...)`` like its
parent, so the openai SDK still opens, owns and closes the connection.
"""

from __future__ import annotations

from typing import Any

from ringbook.websocket_frames import (
    MaskSource,
    at_frame_boundary,
    can_write_frames,
    next_text_frame,
    text_frame,
)
from ringbook.websocket_inline import InlineClientConnection


class FastClientConnection(InlineClientConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._masks = MaskSource()

    def data_received(self, data: bytes) -> None:
        if (
            self._inline_sink is not None
            and self._waiting == 0
            and at_frame_boundary(self.protocol)
        ):
            taken = self._take_frames(data)
            if taken == len(data):
                return
            if taken:
                data = data[taken:]
        super().data_received(data)

    def _take_frames(self, data: bytes) -> int:
        """Offer the whole simple text frames at the start of ``data`` to the sink; how
        many bytes were handled."""
        pos, max_size = 0, self.protocol.max_message_size
        while pos < len(data):
            sink = self._inline_sink
            if sink is None or self._waiting:
                break
            frame = next_text_frame(data, pos, masked=False, max_size=max_size)
            if frame is None:
                break
            payload, end = frame
            if not self._offer(sink, payload):
                break  # the protocol reads it again, and hands it to recv()
            pos = end
        return pos

    def write_text_now(self, text: bytes) -> bool:
        """Send ``text`` (UTF-8) as one text frame if that needs no waiting."""
        if (
            self.send_in_progress is not None
            or not can_write_frames(self.protocol)
            or self.transport.get_write_buffer_size() >= self.write_limit_high
        ):
            return False
        self.transport.write(text_frame(text, self._masks.mask()))
        return True
