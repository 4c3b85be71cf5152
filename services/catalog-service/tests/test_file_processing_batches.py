"""How a file's passages are cut into file_text_extracted events: numbered across the
file, each event's JSON bounded."""

from __future__ import annotations

from catalog_service.application.file_processing import MAX_BATCH_BYTES, chunk_batches
from ringbook.contracts.catalog import FileTextExtracted


def test_passages_are_numbered_across_batches_and_each_batch_is_bounded() -> None:
    chunks = [f"Passage {i}: " + "Öffnungszeiten und Preise. " * 40 for i in range(2000)]
    batches = chunk_batches(chunks)
    assert len(batches) > 5
    assert [c.index for batch in batches for c in batch] == list(range(2000))
    assert [c.text for batch in batches for c in batch] == chunks
    for batch in batches:
        data = FileTextExtracted(language="german", chunks=batch)
        assert len(data.model_dump_json().encode()) <= MAX_BATCH_BYTES + 100


def test_a_small_file_is_one_batch_and_no_text_none() -> None:
    assert [[c.text for c in b] for b in chunk_batches(["a", "b"])] == [["a", "b"]]
    assert chunk_batches([]) == []


def test_a_passage_bigger_than_a_batch_still_travels_alone() -> None:
    batches = chunk_batches(["x" * 500, "y" * 50, "z" * 50], max_bytes=200)
    assert [[c.index for c in b] for b in batches] == [[0], [1, 2]]
