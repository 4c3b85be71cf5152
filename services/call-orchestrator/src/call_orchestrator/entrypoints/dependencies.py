"""What the webhooks and internal routes receive: the orchestrator's collaborators,
wired once the runtime has started (the pool exists only then), as ``Annotated``
dependencies read through the kernel's one typed read of ``app.state``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from ringbook.stream_tokens import StreamTokens
from ringbook.web.state import wired

from call_orchestrator.application.context import Orchestration
from call_orchestrator.application.ports import UnitOfWork


@dataclass(frozen=True)
class Orchestrator:
    """The use cases' collaborators for this process (``app.state.orchestrator``)."""

    ctx: Orchestration
    uow: UnitOfWork


@dataclass(frozen=True)
class TwilioWebhookAuth:
    """How a webhook proves it comes from Twilio (``app.state.twilio_webhooks``): the
    URL Twilio was given (PUBLIC_BASE_URL) and the account's auth token."""

    public_base_url: str
    auth_token: str


async def get_orchestrator(request: Request) -> Orchestrator:
    return wired(request, "orchestrator", Orchestrator)


async def get_twilio_webhook_auth(request: Request) -> TwilioWebhookAuth:
    return wired(request, "twilio_webhooks", TwilioWebhookAuth)


OrchestratorDep = Annotated[Orchestrator, Depends(get_orchestrator)]
TwilioWebhookAuthDep = Annotated[TwilioWebhookAuth, Depends(get_twilio_webhook_auth)]


async def get_stream_tokens(request: Request) -> StreamTokens:
    """Mints the stream token of every call we connect to media-bridge."""
    return wired(request, "stream_tokens", StreamTokens)


StreamTokensDep = Annotated[StreamTokens, Depends(get_stream_tokens)]
