"""Bodies of seed 003's ``POST /ai``: ``{"action": ..., "data": {...}}``.

``generate_message`` takes the seed's body as its frontend sends it (the conversation
and the lead inline, its last contact under ``extra``), or a stored lead's ``lead_id``;
``analyze_lead`` takes either too. The answer keeps the seed's ``{"action", "reply"}``
and adds the draft's parts, so a frontend can fill an e-mail's subject and body apart.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, Field, model_validator
from ringbook.contracts.leads import LeadState

from catalog_service.domain.follow_ups import MAX_TURN_CHARS, MAX_TURNS, Draft, Turn
from catalog_service.domain.lead_analysis import LeadVerdict
from catalog_service.domain.lead_dates import parse_date
from catalog_service.domain.lead_vocabulary import channel_of, disg_of, status_of
from catalog_service.entrypoints.fields import Body, LongText, Name, Text
from catalog_service.entrypoints.schemas_leads import LeadOut

Short = Annotated[str, Field(max_length=200)]


class MessageIn(Body):
    role: Literal["user", "assistant"]
    content: Annotated[str, Field(min_length=1, max_length=MAX_TURN_CHARS)]

    def turn(self) -> Turn:
        return Turn(role=self.role, content=self.content)


class SeedLead(Body):
    """The lead as the seed's frontend describes it."""

    name: Name
    email: Short | None = None
    phone: Short | None = None
    status: Annotated[str, Field(max_length=40)] | None = None
    channel: Annotated[str, Field(max_length=40)] | None = None
    notes: LongText | None = None
    disg_type: Annotated[str, Field(max_length=40)] | None = None
    language: Annotated[str, Field(pattern=r"^[a-z]{2}$")] | None = None
    extra: dict[str, Text | int | float | bool | None] = Field(default_factory=dict,
                                                              max_length=50)

    def state(self, today: date) -> LeadState:
        """Raises ValueError naming the field (``extra.last_contact``) at fault."""
        raw = self.extra.get("last_contact")
        try:
            last_contact = parse_date(str(raw), today=today) if raw not in (None, "") else None
        except ValueError as exc:
            raise ValueError(f"extra.last_contact: {exc}") from None
        others = {k: str(v) for k, v in self.extra.items()
                  if k != "last_contact" and v is not None}
        return LeadState(
            name=self.name.strip(), email=self.email, phone=self.phone,
            status=status_of(self.status or ""),
            channel=channel_of(self.channel) if self.channel else None,
            notes=(self.notes or "").strip() or None,
            disg_type=disg_of(self.disg_type) if self.disg_type else None,
            language=self.language, last_contact=last_contact, extra=others)


class _LeadRef(Body):
    lead: SeedLead | None = None
    lead_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one_lead(self) -> Self:
        if (self.lead is None) == (self.lead_id is None):
            raise ValueError("give either lead (the lead's fields) or lead_id (a stored lead)")
        return self


class GenerateMessageData(_LeadRef):
    messages: Annotated[list[MessageIn], Field(max_length=MAX_TURNS * 5)] = Field(
        default_factory=list)


class GenerateMessage(Body):
    action: Literal["generate_message"]
    data: GenerateMessageData


class AnalyzeLead(Body):
    action: Literal["analyze_lead"]
    data: _LeadRef


AiRequest = Annotated[GenerateMessage | AnalyzeLead, Field(discriminator="action")]


class DraftOut(BaseModel):
    channel: str | None
    language: str
    subject: str | None
    body: str


class GenerateMessageOut(BaseModel):
    action: Literal["generate_message"] = "generate_message"
    reply: str
    draft: DraftOut

    @classmethod
    def of(cls, reply: str, draft: Draft, channel: str | None, language: str
           ) -> GenerateMessageOut:
        return cls(reply=reply, draft=DraftOut(channel=channel, language=language,
                                               subject=draft.subject, body=draft.body))


class AnalyzeLeadOut(BaseModel):
    action: Literal["analyze_lead"] = "analyze_lead"
    analysis: LeadVerdict  # a dataclass: pydantic answers its fields as they are
    lead: LeadOut | None = Field(description="the stored lead after the analysis "
                                             "(null for a lead given inline)")


def details(field: str, problem: Any) -> list[dict[str, Any]]:
    return [{"field": field, "problem": str(problem)}]
