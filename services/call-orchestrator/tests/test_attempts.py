from __future__ import annotations

import pytest
from call_orchestrator.domain.attempts import AttemptState, Effect, on_carrier_status

S = AttemptState


def test_answered_call_walks_forward() -> None:
    assert on_carrier_status(S.PLACED, "ringing") is None
    assert on_carrier_status(S.PLACED, "in-progress") == Effect(S.CONNECTED, connected=True)
    assert on_carrier_status(S.CONNECTED, "completed") == Effect(S.ENDED, completed=True)


@pytest.mark.parametrize(("status", "reason"), [("busy", "busy"), ("no-answer", "no answer"),
                                                 ("failed", "call failed")])
def test_failures(status: str, reason: str) -> None:
    assert on_carrier_status(S.PLACED, status) == Effect(S.FAILED, failure=reason)


def test_callbacks_for_an_attempt_we_never_saw_placed_adopt_it() -> None:
    # A crash between committing the attempt and storing the sid: the callback tells us.
    assert on_carrier_status(S.DIALING, "initiated") == Effect(S.PLACED, started=True)
    assert on_carrier_status(S.DIALING, "in-progress") == Effect(
        S.CONNECTED, started=True, connected=True)


@pytest.mark.parametrize("state", [S.ENDED, S.FAILED])
@pytest.mark.parametrize("status", ["ringing", "in-progress", "completed", "busy"])
def test_finished_attempts_ignore_everything(state: AttemptState, status: str) -> None:
    assert on_carrier_status(state, status) is None


def test_repeats_and_steps_backwards_have_no_effect() -> None:
    assert on_carrier_status(S.CONNECTED, "in-progress") is None
    assert on_carrier_status(S.CONNECTED, "ringing") is None
    assert on_carrier_status(S.PLACED, "something-new") is None


def test_completed_without_answer_is_a_failure() -> None:
    effect = on_carrier_status(S.PLACED, "completed")
    assert effect is not None and effect.state is S.FAILED and effect.failure
