"""A SIMULATED LLM speaking OpenAI's Responses API (``POST /v1/responses``).

It is not AI: sentiment, success, summaries and names come from plain word lists and
patterns (:mod:`rules`), and any ``json_schema`` a request gives is filled by type and
property name (:mod:`schema_fill`). Run it with
``python -m ringbook_simulators.responses --port 8101`` and point the official SDK at
``http://127.0.0.1:8101/v1``.
"""

from ringbook_simulators.responses.api import SIMULATED_NOTICE, LlmState, create_responses_app
from ringbook_simulators.responses.rules import Reading, read

__all__ = ["SIMULATED_NOTICE", "LlmState", "Reading", "create_responses_app", "read"]
