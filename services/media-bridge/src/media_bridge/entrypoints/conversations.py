"""One call as the media-stream endpoint serves it: the application's
:class:`~media_bridge.application.conversation.Conversation` on a Twilio Media Stream
(:class:`~media_bridge.adapters.twilio_call_session.CallSession`).

This is wiring, so it lives here and not in the application: the conversation knows the
stream only as the ``CallStream`` port, and the stream knows the conversation only as
its ``StreamListener``. Both are plain objects calling each other: nothing is added
between a frame and the model. The stream admits its ``start`` through the ``gate``
(:class:`~media_bridge.application.stream_admission.StreamAdmission`) before the
conversation hears of the call.
"""

from __future__ import annotations

from ringbook.clock import Clock

from media_bridge.adapters.twilio_call_session import CallSession
from media_bridge.application.assistant_tools import AssistantServices
from media_bridge.application.conversation import Conversation, ConversationConfig
from media_bridge.application.ports import (
    CallHangup,
    ConversationStore,
    MediaSocket,
    ModelFactory,
    SessionRecorder,
    StreamGate,
)
from media_bridge.domain.call_stream import EndReason


class StreamedConversation:
    def __init__(
        self,
        *,
        config: ConversationConfig,
        model_factory: ModelFactory,
        store: ConversationStore,
        hangup: CallHangup,
        gate: StreamGate,
        clock: Clock,
        assistants: AssistantServices | None = None,
    ) -> None:
        self._receive_timeout, self._gate, self._clock = config.receive_timeout, gate, clock
        self.conversation = Conversation(
            config=config, model_factory=model_factory, store=store, hangup=hangup, clock=clock,
            assistants=assistants,
        )
        self._stream: CallSession | None = None
        self._end_requested: EndReason | None = None

    def end(self, reason: EndReason) -> None:
        """End the call from another task (a drain's deadline): as a hang-up ends it."""
        if self._stream is None:
            self._end_requested = reason  # not served yet: ended as soon as it is
        else:
            self._stream.end(reason)

    async def run(self, socket: MediaSocket, recorder: SessionRecorder) -> EndReason:
        """Serve one Twilio websocket (already accepted) until the call has ended."""
        stream = CallSession(
            socket=socket,
            recorder=recorder,
            gate=self._gate,
            clock=self._clock,
            receive_timeout=self._receive_timeout,
            listener=self.conversation,
        )
        self._stream = stream
        if self._end_requested is not None:
            stream.end(self._end_requested)
        return await self.conversation.run(stream)
