"""The token usage the SIMULATED realtime model reports in each ``response.done``.

There is no tokenizer here, only plain rules, so a test can work out what a call's
usage must be from what was said and heard:

* a text is ``ceil(characters / 4)`` tokens (OpenAI's rule of thumb of about four
  characters a token);
* audio is counted as OpenAI documents it for the Realtime API (guide "Managing costs"):
  the caller's audio 1 token per 100 ms, the agent's own audio 1 token per 50 ms, each
  rounded up per turn;
* a response's *input* is the whole conversation so far, as with the real API: the
  session's instructions (text), every ``function_call_output`` the client sent (text),
  the caller's committed turns (audio) and every earlier response's output (its
  transcript and tool call arguments as text, its audio as audio);
* its *cached* input is what the previous response already had as input, kind by kind
  (the conversation's prefix, which the real server caches; nothing for the first
  response), and, as in the real API, part of the input counts;
* its *output* is its own transcript and tool call arguments (text) and the audio it
  streamed (agent audio), cut short where the response was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

CHARACTERS_PER_TOKEN: Final = 4
CALLER_AUDIO_MS_PER_TOKEN: Final = 100
AGENT_AUDIO_MS_PER_TOKEN: Final = 50


def text_tokens(text: str) -> int:
    return -(-len(text) // CHARACTERS_PER_TOKEN)


def audio_tokens(audio_ms: int, ms_per_token: int) -> int:
    return -(-max(0, audio_ms) // ms_per_token)


class UsageMeter:
    """One session's conversation, in tokens; :meth:`response` is one response's usage.
    ``instructions``: the session's, read at each response (``session.update`` may
    change them); ``reported``: where each usage sent is also kept, for tests."""

    def __init__(self, instructions: Callable[[], str], reported: list[dict[str, Any]]
                 ) -> None:
        self._instructions, self._reported = instructions, reported
        # The conversation without the instructions (they may change with session.update).
        self._text = 0
        self._audio = 0
        self._previous_text = 0  # the previous response's input, for the cached part
        self._previous_audio = 0

    def heard(self, audio_ms: int) -> None:
        """A committed turn of the caller (or practice), ``audio_ms`` long."""
        self._audio += audio_tokens(audio_ms, CALLER_AUDIO_MS_PER_TOKEN)

    def read(self, text: str) -> None:
        """A text item the client added (a tool's output)."""
        self._text += text_tokens(text)

    def response(self, output_text: str, output_audio_ms: int) -> dict[str, Any]:
        """The usage object of a response that produced ``output_text`` and
        ``output_audio_ms`` of audio; its output then joins the conversation."""
        input_text = text_tokens(self._instructions()) + self._text
        input_audio = self._audio
        cached_text = min(self._previous_text, input_text)
        cached_audio = min(self._previous_audio, input_audio)
        self._previous_text, self._previous_audio = input_text, input_audio
        out_text = text_tokens(output_text)
        out_audio = audio_tokens(output_audio_ms, AGENT_AUDIO_MS_PER_TOKEN)
        self._text += out_text
        self._audio += out_audio
        input_tokens, output_tokens = input_text + input_audio, out_text + out_audio
        usage = {
            "total_tokens": input_tokens + output_tokens,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "input_token_details": {
                "text_tokens": input_text,
                "audio_tokens": input_audio,
                "image_tokens": 0,
                "cached_tokens": cached_text + cached_audio,
                "cached_tokens_details": {
                    "text_tokens": cached_text, "audio_tokens": cached_audio, "image_tokens": 0,
                },
            },
            "output_token_details": {"text_tokens": out_text, "audio_tokens": out_audio},
        }
        self._reported.append(usage)
        return usage
