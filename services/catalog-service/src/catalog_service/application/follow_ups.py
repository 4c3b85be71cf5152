"""Drafting a follow-up (seed 003's ``POST /ai`` ``generate_message``) for a lead the
request describes, or for a stored one.

The draft's language is the lead's, else the language the salesperson writes in (their
latest message and the notes), else the tenant's default: a German team asking "Schreib
mir ein Follow-up für Lea" gets German, whatever the model would guess.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ringbook.contracts.leads import LeadState

from catalog_service.application.lead_ports import LeadModel
from catalog_service.domain.follow_ups import Draft, Turn, reply_text, shaped
from catalog_service.domain.language import language_of


@dataclass(frozen=True)
class FollowUp:
    draft: Draft
    language: str
    reply: str


async def draft_language(lead: LeadState, turns: Sequence[Turn], default: str) -> str:
    if lead.language:
        return lead.language
    asked = [t.content for t in turns if t.role == "user"]
    said = " ".join([*asked[-1:], lead.notes or ""])
    # The detector's model loads on first use (about a second): not on the event loop.
    detected = await asyncio.to_thread(language_of, said)
    return detected or default


async def generate_message(model: LeadModel, lead: LeadState, turns: Sequence[Turn], *,
                           today: date, default_language: str) -> FollowUp:
    """Raises ModelFailed."""
    language = await draft_language(lead, turns, default_language)
    draft = shaped(await model.draft(lead, turns, language, today), lead, language)
    return FollowUp(draft=draft, language=language, reply=reply_text(draft, language))
