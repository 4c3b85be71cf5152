"""The dashboard's figures, defined once (docs/analytics.md quotes these rules).

Pure: inputs are counts the queries return, so an empty tenant is zeros, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping

from ringbook.contracts.call_log import SENTIMENTS, Sentiment

# A sentiment's score; avg_sentiment is the label of the mean score's third of [-1, 1].
SCORE: Mapping[Sentiment, int] = {"POSITIVE": 1, "NEUTRAL": 0, "NEGATIVE": -1}
THIRD = 1 / 3


def success_rate(successes: int, known: int) -> float:
    """Percent (one decimal) of the calls whose success is known that succeeded; calls
    not analysed yet (success unknown) are left out, and no known call gives 0.0."""
    if known <= 0:
        return 0.0
    return round(100.0 * successes / known, 1)


def avg_sentiment(counts: Mapping[str, int]) -> Sentiment | None:
    """POSITIVE when the mean score (+1/0/-1) of the calls with a sentiment is above 1/3,
    NEGATIVE below -1/3, NEUTRAL between; None when no call has a sentiment."""
    total = sum(counts.get(s, 0) for s in SENTIMENTS)
    if total == 0:
        return None
    mean = sum(SCORE[s] * counts.get(s, 0) for s in SENTIMENTS) / total
    if mean > THIRD:
        return "POSITIVE"
    if mean < -THIRD:
        return "NEGATIVE"
    return "NEUTRAL"


def sentiment_counts(counts: Mapping[str, int]) -> dict[Sentiment, int]:
    """Every sentiment present, zeros included (a chart never guesses a missing key)."""
    return {s: int(counts.get(s, 0)) for s in SENTIMENTS}
