"""The realtime model's tokens: one response's (the ``usage`` of its ``response.done``)
and their sum over a call, which ``call_completed`` reports as ``usage``. Pure.

The counts mean what the OpenAI Realtime API's do: ``input_text`` and ``input_audio``
are the response's whole input (the conversation so far is sent again with every
response), and ``cached_input`` is the part of those two that the model had cached,
priced lower; a sum over responses is therefore what the call was billed for, not the
length of the conversation.
"""

from __future__ import annotations

from dataclasses import dataclass

from ringbook.contracts.calls import ModelUsage

# A response's count at most: far above any model's context window, and far enough below
# 2**63 that a call's sum still fits the 64-bit integers of JSON libraries and Postgres.
MAX_TOKENS_PER_RESPONSE = 10**9


def _bounded(count: int) -> int:
    return min(max(0, count), MAX_TOKENS_PER_RESPONSE)


@dataclass(frozen=True, slots=True)
class TokenCounts:
    input_text: int = 0
    input_audio: int = 0
    cached_input: int = 0  # of the two input counts, never more than both
    output_text: int = 0
    output_audio: int = 0

    @classmethod
    def of(cls, *, input_text: int, input_audio: int, cached_input: int,
           output_text: int, output_audio: int) -> TokenCounts:
        """Counts as a server reported them, made consistent: none below zero or above
        :data:`MAX_TOKENS_PER_RESPONSE`, and the cached part no larger than the input
        it is part of (a server that said more must not make the priced input
        negative)."""
        text, audio = _bounded(input_text), _bounded(input_audio)
        return cls(text, audio, min(_bounded(cached_input), text + audio),
                   _bounded(output_text), _bounded(output_audio))

    def __add__(self, other: TokenCounts) -> TokenCounts:
        return TokenCounts(
            self.input_text + other.input_text,
            self.input_audio + other.input_audio,
            self.cached_input + other.cached_input,
            self.output_text + other.output_text,
            self.output_audio + other.output_audio,
        )

    def as_model_usage(self, model: str) -> ModelUsage:
        return ModelUsage(
            model=model,
            input_text_tokens=self.input_text,
            input_audio_tokens=self.input_audio,
            cached_input_tokens=self.cached_input,
            output_text_tokens=self.output_text,
            output_audio_tokens=self.output_audio,
        )


def summed(total: TokenCounts | None, usage: TokenCounts | None) -> TokenCounts | None:
    """``total`` with one more response's ``usage``; a response without one adds
    nothing, and a call none of whose responses had one has no usage (None), which is
    not the same as a usage of zero tokens."""
    if usage is None:
        return total
    return usage if total is None else total + usage
