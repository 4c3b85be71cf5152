"""The agent's audio bookkeeping: marks every 100 ms, tails, truncation offsets."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from media_bridge.domain.playback import MARK_EVERY_MS, Playback


def test_a_mark_per_100_ms_and_one_for_the_tail() -> None:
    playback = Playback()
    marks = []
    assert playback.start("item_1") is None
    for _ in range(12):  # 240 ms in 20 ms deltas
        mark = playback.sent(20)
        if mark:
            marks.append(mark)
    assert marks == ["item_1:100", "item_1:200"]
    assert playback.flush() == "item_1:240"
    assert playback.flush() is None  # nothing unmarked left


def test_a_new_item_marks_the_previous_tail_first() -> None:
    playback = Playback()
    playback.start("item_1")
    playback.sent(60)
    assert playback.start("item_2") == "item_1:60"
    assert (playback.item, playback.sent_ms, playback.played_ms) == ("item_2", 0, 0)


def test_interrupt_cuts_at_the_last_echoed_mark_and_drops_the_rest() -> None:
    playback = Playback()
    playback.start("item_1")
    for _ in range(15):
        playback.sent(20)
    playback.played("item_1:100")
    playback.played("item_1:200")
    playback.played("item_0:900")  # another item's echo says nothing about this one
    assert playback.interrupt() == ("item_1", 200)
    assert not playback.accepts("item_1")
    assert playback.flush() is None  # cleared audio needs no mark
    assert playback.interrupt() is None  # already cut


def test_no_interruption_once_everything_has_played() -> None:
    playback = Playback()
    playback.start("item_1")
    playback.sent(100)
    playback.played("item_1:100")
    assert playback.interrupt() is None
    assert playback.accepts("item_1")


@given(st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=60))
def test_marks_cover_every_delta_and_never_lag_by_more_than_the_interval(
    deltas: list[int],
) -> None:
    playback = Playback()
    playback.start("item_1")
    last = 0
    for ms in deltas:
        mark = playback.sent(ms)
        if mark is not None:
            last = int(mark.rpartition(":")[2])
            assert last == playback.sent_ms
        assert playback.sent_ms - last < MARK_EVERY_MS
    tail = playback.flush()
    final = int(tail.rpartition(":")[2]) if tail else last
    assert final == sum(deltas)
