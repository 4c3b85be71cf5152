"""What the SIMULATED callee does, chosen by the E.164 number that is called.

Tests and demos pick the outcome of a call simply by dialling a well-known number:

=================  =================================================================
Number             Behaviour of the simulated carrier
=================  =================================================================
``+49305550100``   Rings, answers, opens the Media Stream; the callee hangs up after
                   ``answered_hold_seconds`` (or earlier via REST / websocket close).
                   The practice speaks its script (offers Monday 10:30).
``+49305550101``   Busy: ``initiated`` then final status ``busy``.
``+49305550102``   No answer: rings for ``ring_seconds``, then ``no-answer``.
``+49305550103``   Answers like ``+49305550100``; the practice has nothing free.
``+49305550104``   Answers like ``+49305550100``; the practice interrupts the agent's
                   first reply, then offers Monday 10:30.
``+49305550199``   The carrier cannot route the call: final status ``failed``.
any other number   Answers like ``+49305550100``, but the callee stays silent.
=================  =================================================================

The practice's lines and their timing come from the SIMULATED realtime model's
scripts; ``practice`` describes how the carrier plays them.

The ``555-01xx`` block mirrors the North American fictional range so these numbers
are recognisable as test numbers in logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class Outcome(StrEnum):
    """How the simulated call ends up, before anybody hangs up via REST."""

    ANSWER = "answer"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAIL = "failed"


@dataclass(frozen=True)
class Scenario:
    """The scripted behaviour of the callee behind one number."""

    outcome: Outcome
    description: str

    @property
    def rings(self) -> bool:
        # Busy and unroutable calls never reach the ringing state on a real network.
        return self.outcome in (Outcome.ANSWER, Outcome.NO_ANSWER)


# The simulated account's own line: call-orchestrator's caller id (TWILIO_FROM_NUMBER)
# and the number callers ring in the demos; the account owns it (``phone_numbers``).
ACCOUNT_NUMBER: Final = "+49305550000"
ANSWERING_NUMBER: Final = "+49305550100"
BUSY_NUMBER: Final = "+49305550101"
NO_ANSWER_NUMBER: Final = "+49305550102"
FAILING_NUMBER: Final = "+49305550199"

_ANSWERS: Final = Scenario(Outcome.ANSWER, "callee answers and talks")

SCENARIOS: Final = MappingProxyType(
    {
        ANSWERING_NUMBER: _ANSWERS,
        BUSY_NUMBER: Scenario(Outcome.BUSY, "callee line is busy"),
        NO_ANSWER_NUMBER: Scenario(Outcome.NO_ANSWER, "phone rings, nobody picks up"),
        FAILING_NUMBER: Scenario(Outcome.FAIL, "carrier cannot route the call"),
    }
)


# Every number of the simulated 555-01xx block with a behaviour of its own (the
# realtime model's scripts give +49305550103 and +49305550104 theirs); the account
# owns them too, so any of them can be configured as a business's line.
SIMULATED_NUMBERS: Final = (
    ANSWERING_NUMBER, BUSY_NUMBER, NO_ANSWER_NUMBER, "+49305550103", "+49305550104",
    FAILING_NUMBER,
)


def scenario_for(number: str) -> Scenario:
    """The scenario for a dialled E.164 number; unknown numbers answer."""
    return SCENARIOS.get(number.strip(), _ANSWERS)
