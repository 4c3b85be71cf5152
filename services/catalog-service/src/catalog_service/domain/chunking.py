"""A file's text cut into passages for full-text search.

A passage is what a search returns to the agent, so it should read as a whole: cuts
fall between paragraphs where possible, else between sentences, else between words, and
only a "word" longer than a passage is cut inside. Each passage after the first repeats
up to ``overlap_chars`` of the end of the one before it (from a word boundary), so a
fact that straddles a cut is still found in one passage.
"""

from __future__ import annotations

import re

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
# After . ! ? … (and a closing quote or bracket), before whitespace.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'»”)\]]*\s+")
_WHITESPACE = re.compile(r"\s+")
_ENDS_SENTENCE = re.compile(r"[.!?…][\"'»”)\]]*\s+$")


def chunk_text(text: str, *, max_chars: int = 1200, overlap_chars: int = 150) -> list[str]:
    """Passages of ``text``: none empty, none longer than ``max_chars``, in order."""
    if max_chars < 1:
        raise ValueError("max_chars must be at least 1")
    if not 0 <= overlap_chars < max_chars:
        raise ValueError("overlap_chars must be at least 0 and less than max_chars")
    chunks: list[str] = []
    current = ""
    for piece, separator in _pieces(text, max_chars):
        joined = f"{current}{separator}{piece}" if current else piece
        if len(joined) <= max_chars:
            current = joined
            continue
        chunks.append(current)
        overlap = _tail(current, overlap_chars)
        with_overlap = f"{overlap} {piece}" if overlap else piece
        current = with_overlap if len(with_overlap) <= max_chars else piece
    if current:
        chunks.append(current)
    return chunks


def _pieces(text: str, max_chars: int) -> list[tuple[str, str]]:
    """The text as pieces of at most ``max_chars``, each with the separator that joins
    it to the piece before it in a passage (a blank line between paragraphs, a space
    within one)."""
    pieces: list[tuple[str, str]] = []
    for raw in _PARAGRAPH_BREAK.split(text):
        paragraph = raw.strip()
        if not paragraph:
            continue
        separator = "\n\n"
        for part in _split_long(paragraph, max_chars):
            pieces.append((part, separator))
            separator = " "
    return pieces


def _split_long(paragraph: str, max_chars: int) -> list[str]:
    if len(paragraph) <= max_chars:
        return [paragraph]
    parts: list[str] = []
    for raw in _SENTENCE_END.split(paragraph):
        sentence = raw.strip()
        if len(sentence) <= max_chars:
            if sentence:
                parts.append(sentence)
            continue
        parts.extend(_split_words(sentence, max_chars))
    return parts


def _split_words(sentence: str, max_chars: int) -> list[str]:
    parts: list[str] = []
    current = ""
    for whole in _WHITESPACE.split(sentence):
        word = whole
        while len(word) > max_chars:  # no boundary to cut at: cut inside
            if current:
                parts.append(current)
                current = ""
            parts.append(word[:max_chars])
            word = word[max_chars:]
        if not word:
            continue
        joined = f"{current} {word}" if current else word
        if len(joined) <= max_chars:
            current = joined
        else:
            parts.append(current)
            current = word
    if current:
        parts.append(current)
    return parts


def _tail(chunk: str, overlap_chars: int) -> str:
    """At most ``overlap_chars`` of the chunk's end, starting at a sentence if one
    starts in it, else at a word."""
    if overlap_chars == 0:
        return ""
    tail = chunk[-overlap_chars:]
    if len(tail) == len(chunk) or _ENDS_SENTENCE.search(chunk[: len(chunk) - len(tail)]):
        return tail.strip()
    sentence = _SENTENCE_END.search(tail)
    if sentence is not None and sentence.end() < len(tail):
        return tail[sentence.end():].strip()
    if not chunk[-overlap_chars - 1].isspace():
        # The cut fell inside a word: start at the next one.
        space = _WHITESPACE.search(tail)
        tail = tail[space.end():] if space else ""
    return tail.strip()
