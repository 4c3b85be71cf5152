"""What the model is asked about a lead, the shape of its answer (a strict json_schema
for the Responses API's structured outputs), and how the answer is checked and applied.

The model may propose a status, but a status a person set (or the file held) is never
overwritten: a guess must not undo a salesperson's "gewonnen"; and a closed lead never
needs action. Otherwise it decides whether the lead needs action and when, what to do,
and may read a last contact out of the notes where the file had none. Its dates are
checked: no next action in the past, no contact in the future.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from ringbook.contracts.leads import LeadState

from catalog_service.domain.lead_vocabulary import CLOSED_STATUSES

SCHEMA_NAME: Final = "lead_analysis"
STATUSES: Final = ("neu", "offen", "kontaktiert", "angebot", "verhandlung", "gewonnen",
                   "verloren", "pausiert")
MAX_DESCRIPTION_CHARS: Final = 300
MAX_REASON_CHARS: Final = 500

INSTRUCTIONS: Final = (
    "You are a sales assistant reviewing one existing customer (a lead) of a small "
    "business. Decide: the lead's status (one of the listed values; keep the given one "
    "if it fits), whether someone must act now (no status, never contacted, or no "
    "contact for about a month while the deal is open), the date of the next action "
    "(ISO 8601, today or later), a one-sentence next action in the lead's language "
    "naming the channel to use, and the last contact date if the notes mention one "
    "(else repeat the given one, or null). Give a short reason. Use only the facts "
    "given; never invent contact details."
)


class InvalidVerdict(ValueError):
    """The model's answer does not fit the schema's meaning (a date that is no date)."""


@dataclass(frozen=True)
class LeadVerdict:
    status: str
    needs_action: bool
    next_action_at: date | None
    next_action_description: str | None
    last_contact: date | None
    reason: str


def output_schema() -> dict[str, Any]:
    nullable_date = {"type": ["string", "null"], "format": "date"}
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["status", "needs_action", "next_action_at", "next_action_description",
                     "last_contact", "reason"],
        "properties": {
            "status": {"type": "string", "enum": list(STATUSES)},
            "needs_action": {"type": "boolean"},
            "next_action_at": nullable_date,
            "next_action_description": {"type": ["string", "null"]},
            "last_contact": nullable_date,
            "reason": {"type": "string"},
        },
    }


def render_facts(state: LeadState, today: date) -> list[str]:
    """The lead as labelled lines; a missing fact is left out, not written as empty."""
    facts = [
        ("Today", today.isoformat()), ("Name", state.name), ("E-Mail", state.email),
        ("Phone", state.phone), ("Status", state.status), ("Channel", state.channel),
        ("Language", state.language), ("DISG type", state.disg_type),
        ("Last contact", state.last_contact.isoformat() if state.last_contact else None),
        ("Notes", " ".join(state.notes.split()) if state.notes else None),
    ]
    lines = [f"{label}: {value}" for label, value in facts if value]
    lines += [f"{key}: {value}" for key, value in sorted(state.extra.items())
              if key.isprintable() and ":" not in key]
    return lines


def render_input(state: LeadState, today: date) -> str:
    return "\n".join(render_facts(state, today))


def _date(raw: Any, name: str) -> date | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise InvalidVerdict(f"{name} is not a date")
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise InvalidVerdict(f"{name} {raw!r} is not an ISO date") from None


def parse_verdict(raw: Any) -> LeadVerdict:
    if not isinstance(raw, dict):
        raise InvalidVerdict("the answer is not an object")
    status, needs, reason = raw.get("status"), raw.get("needs_action"), raw.get("reason")
    if status not in STATUSES:
        raise InvalidVerdict(f"status {status!r} is not one of {', '.join(STATUSES)}")
    if not isinstance(needs, bool):
        raise InvalidVerdict("needs_action is not a boolean")
    description = raw.get("next_action_description")
    if description is not None and not isinstance(description, str):
        raise InvalidVerdict("next_action_description is not a string")
    return LeadVerdict(
        status=status, needs_action=needs,
        next_action_at=_date(raw.get("next_action_at"), "next_action_at"),
        next_action_description=(description.strip()[:MAX_DESCRIPTION_CHARS] or None
                                 if description else None),
        last_contact=_date(raw.get("last_contact"), "last_contact"),
        reason=(reason if isinstance(reason, str) else "").strip()[:MAX_REASON_CHARS],
    )


def as_asked(state: LeadState, default_language: str) -> LeadState:
    """The lead as the model is told it: with the tenant's default language when the lead
    has none, so its next action is written in the team's language."""
    return state if state.language else state.model_copy(update={"language": default_language})


def apply_verdict(state: LeadState, verdict: LeadVerdict, today: date) -> LeadState:
    last_contact = state.last_contact
    if last_contact is None and verdict.last_contact and verdict.last_contact <= today:
        last_contact = verdict.last_contact
    next_at = verdict.next_action_at
    if next_at is not None and next_at < today:
        next_at = today
    status = state.status or verdict.status
    return state.model_copy(update={
        "status": status,
        # A closed lead never needs action, whatever the model thinks (as the plain rules).
        "needs_action": verdict.needs_action and status not in CLOSED_STATUSES,
        "next_action_at": next_at,
        "next_action_description": verdict.next_action_description,
        "last_contact": last_contact,
    })
