"""Passages for search: bounded, never empty, cut at paragraphs, then sentences, then
words, overlapping a little, and together holding all of the text."""

from __future__ import annotations

import itertools

import pytest
from catalog_service.domain.chunking import chunk_text
from hypothesis import given, settings
from hypothesis import strategies as st


def squashed(text: str) -> str:
    return "".join(text.split())


def assert_covers(text: str, chunks: list[str], overlap_chars: int) -> None:
    """Every chunk is a piece of the text (whitespace aside), each starts at most
    ``overlap_chars`` before where the last one ended, and together they reach the end."""
    whole = squashed(text)
    end = 0
    for chunk in chunks:
        piece = squashed(chunk)
        start = next((s for s in range(end, max(0, end - overlap_chars) - 1, -1)
                      if whole.startswith(piece, s)), None)
        assert start is not None, f"{chunk!r} does not continue the text at {end}"
        end = start + len(piece)
    assert end == len(whole)


def test_short_text_is_one_passage() -> None:
    assert chunk_text("  Montags geschlossen.  ") == ["Montags geschlossen."]


def test_empty_text_has_no_passage() -> None:
    assert chunk_text("") == []
    assert chunk_text(" \n\n \t ") == []


def test_paragraphs_are_kept_whole_and_packed() -> None:
    paragraphs = [f"Paragraph {i} " + "word " * 30 for i in range(10)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    chunks = chunk_text(text, max_chars=400, overlap_chars=0)
    # Each ~165-char paragraph fits; two fit into 400, three do not.
    assert len(chunks) == 5
    for chunk in chunks:
        assert chunk.startswith("Paragraph ")
        assert chunk.count("Paragraph ") == 2
    assert_covers(text, chunks, 0)


def test_a_long_paragraph_is_cut_between_sentences() -> None:
    sentences = [f"Sentence number {i} says something useful." for i in range(40)]
    text = " ".join(sentences)
    chunks = chunk_text(text, max_chars=200, overlap_chars=0)
    for chunk in chunks:
        assert chunk.startswith("Sentence number ")
        assert chunk.endswith("useful.")
    assert_covers(text, chunks, 0)


def test_overlap_repeats_the_end_of_the_previous_passage() -> None:
    sentences = [f"Fact {i} is here." for i in range(60)]
    chunks = chunk_text(" ".join(sentences), max_chars=120, overlap_chars=30)
    assert len(chunks) > 3
    for before, after in itertools.pairwise(chunks):
        # The overlap is the previous passage's last whole sentence (15-16 chars).
        last_sentence = before[before.rindex("Fact"):]
        assert after.startswith(last_sentence + " Fact")
        assert len(last_sentence) <= 30


def test_a_word_longer_than_a_passage_is_cut_inside() -> None:
    chunks = chunk_text("x" * 2500, max_chars=1000, overlap_chars=100)
    assert [len(c) for c in chunks] == [1000, 1000, 500]


@pytest.mark.parametrize(("max_chars", "overlap"), [(0, 0), (100, 100), (100, -1)])
def test_bad_sizes_are_refused(max_chars: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        chunk_text("text", max_chars=max_chars, overlap_chars=overlap)


# Text made of words, sentence ends, line and paragraph breaks, and odd whitespace.
words = st.text(alphabet=st.characters(codec="utf-8"),  # utf-8: no lone surrogates
                min_size=0, max_size=40)
texts = st.lists(
    st.tuples(words, st.sampled_from([" ", " ", ". ", "! ", "\n", "\n\n", "\n \n", "\t", "…  "])),
    max_size=120,
).map(lambda parts: "".join(word + sep for word, sep in parts))


@settings(max_examples=300, deadline=None)
@given(text=texts, max_chars=st.integers(min_value=1, max_value=300),
       overlap=st.integers(min_value=0, max_value=299))
def test_passages_are_bounded_non_empty_and_cover_the_text(
    text: str, max_chars: int, overlap: int
) -> None:
    overlap = min(overlap, max_chars - 1)
    chunks = chunk_text(text, max_chars=max_chars, overlap_chars=overlap)
    assert all(chunk.strip() for chunk in chunks)
    assert all(len(chunk) <= max_chars for chunk in chunks)
    assert all(chunk == chunk.strip() for chunk in chunks)
    assert_covers(text, chunks, overlap)
    assert bool(chunks) == bool(text.strip())


@settings(max_examples=200, deadline=None)
@given(text=texts, max_chars=st.integers(min_value=1, max_value=300))
def test_without_overlap_the_passages_are_the_text(text: str, max_chars: int) -> None:
    chunks = chunk_text(text, max_chars=max_chars, overlap_chars=0)
    assert "".join(squashed(c) for c in chunks) == squashed(text)
