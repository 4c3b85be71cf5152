"""Typed reads of what ``create_app`` wired onto ``app.state``, as ``Annotated``
dependencies (the rest of call-orchestrator's state is still read directly)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from ringbook.stream_tokens import StreamTokens
from ringbook.web.state import wired


def get_stream_tokens(request: Request) -> StreamTokens:
    """Mints the stream token of every call we connect to media-bridge."""
    return wired(request, "stream_tokens", StreamTokens)


StreamTokensDep = Annotated[StreamTokens, Depends(get_stream_tokens)]
