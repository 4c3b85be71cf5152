"""call-orchestrator's stream token secret: public in development, refused elsewhere."""

from __future__ import annotations

import pytest
from call_orchestrator.settings import OrchestratorSettings
from pydantic import ValidationError
from ringbook.stream_tokens import DEV_MEDIA_STREAM_TOKEN_SECRET


def test_the_development_stream_token_secret_is_only_for_development() -> None:
    dev = OrchestratorSettings(environment="development")
    assert dev.media_stream_token_secret.get_secret_value() == DEV_MEDIA_STREAM_TOKEN_SECRET
    with pytest.raises(ValidationError, match="MEDIA_STREAM_TOKEN_SECRET still has its"):
        OrchestratorSettings(environment="test")
    with pytest.raises(ValidationError, match="MEDIA_STREAM_TOKEN_SECRET must be at least 32"):
        OrchestratorSettings(environment="test", media_stream_token_secret="short")
    ok = OrchestratorSettings(environment="test", media_stream_token_secret="s" * 32)
    assert ok.media_stream_token_ttl_seconds == 120
