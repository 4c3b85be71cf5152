"""A text's language, as the Postgres text search configuration that stems it.

Search runs ``to_tsvector(<config>, passage)`` against ``websearch_to_tsquery(<config>,
query)``: with the right configuration "Öffnungszeiten" finds "Öffnungszeit" and stop
words are dropped; with ``simple`` words only match as written, which is still correct,
only less forgiving. So when the detector is unsure, or the language has no
configuration, the answer is ``simple``: a wrong stemmer would be worse than none.

Detection is py3langid (a naive Bayes model over byte n-grams, 97 languages). Its model
takes about a second to load, so it is loaded on first use, once per process.
"""

from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

SIMPLE = "simple"

# ISO 639-1 code -> the configuration Postgres ships for it. Only those present since
# Postgres 13, so the name exists on every server search may run on.
CONFIGURATIONS = {
    "ar": "arabic",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hu": "hungarian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "nl": "dutch",
    "no": "norwegian",
    "nn": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
}

# Below this many letters a guess is noise ("OK", a table of numbers).
MIN_LETTERS = 20
# norm_probs confidence below which the text is called unsure (mixed languages, lists).
MIN_CONFIDENCE = 0.6
# The detector reads samples, not the whole text: a few windows say the language of a
# long document as well as all of it does, at a fixed cost.
_SAMPLE_CHARS = 4000
_SAMPLES = 3

_lock = threading.Lock()


def search_config(text: str) -> str:
    """The Postgres text search configuration for ``text``'s language, or ``simple``."""
    language = language_of(text)
    return CONFIGURATIONS.get(language, SIMPLE) if language else SIMPLE


def language_of(text: str) -> str | None:
    """``text``'s ISO 639-1 language, or None when it is too short or the detector is
    unsure. The first call loads the model (about a second): call it off the event
    loop, or after :func:`preload`."""
    sample = _sample(text)
    if sum(1 for ch in sample if ch.isalpha()) < MIN_LETTERS:
        return None
    language, confidence = _loaded().classify(sample)
    if confidence < MIN_CONFIDENCE:
        return None
    return str(language)


def preload() -> None:
    """Load the model now rather than on the first text (the sandbox's child does,
    before a file's limits apply to it)."""
    _loaded()


def _sample(text: str) -> str:
    if len(text) <= _SAMPLE_CHARS * _SAMPLES:
        return text
    step = (len(text) - _SAMPLE_CHARS) // (_SAMPLES - 1)
    return "\n".join(text[i * step: i * step + _SAMPLE_CHARS] for i in range(_SAMPLES))


def _loaded() -> LanguageIdentifier:
    with _lock:  # one load, even when two threads ask first
        return _model()


@functools.cache
def _model() -> LanguageIdentifier:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
