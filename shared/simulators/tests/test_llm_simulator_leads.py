"""The SIMULATED LLM on leads (catalog-service's lead analysis and follow-up drafts),
through the official ``openai`` SDK on a real socket, plus its fact rules directly."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import pytest
from openai import AsyncOpenAI
from pydantic import BaseModel
from ringbook_simulators.responses import LlmState, read
from ringbook_simulators.responses.drafts import SHORT_LIMIT
from ringbook_simulators.responses.lead_rules import facts_of, language_of, parse_date
from ringbook_simulators.responses.schema_fill import SchemaFiller
from ringbook_simulators.responses.testing import running_llm

STATUSES = ["neu", "offen", "kontaktiert", "angebot", "verhandlung", "gewonnen", "verloren",
            "pausiert"]
LEAD_ANALYSIS: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "status": {"type": "string", "enum": STATUSES},
        "needs_action": {"type": "boolean"},
        "next_action_at": {"type": ["string", "null"], "format": "date"},
        "next_action_description": {"type": ["string", "null"]},
        "last_contact": {"type": ["string", "null"], "format": "date"},
        "reason": {"type": "string"},
    },
    "required": ["status", "needs_action", "next_action_at", "next_action_description",
                 "last_contact", "reason"],
}
FOLLOW_UP_DRAFT: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "properties": {"subject": {"type": ["string", "null"]}, "body": {"type": "string"}},
    "required": ["subject", "body"],
}
CONVERSATION = ("Conversation:\nUser: Schreib mir ein Follow-up für Lea\n"
                "Assistant: Gern, für welchen Kanal?\n")


def lead_text(**facts: str | None) -> str:
    """The labelled lines catalog-service sends; a fact given as None is left out."""
    given: dict[str, str | None] = {
        "Today": "2026-12-04", "Name": "Lea Kramer", "E-Mail": "lea@example.com",
        "Phone": "+4915112345678", "Status": "offen", "Channel": "WhatsApp",
        "Language": "de", "DISG type": "I", "Last contact": "2024-11-20",
        "Notes": "Hat Demo gesehen, wartet auf Angebot",
    }
    given.update({k.replace("_", " ").capitalize().replace("Disg", "DISG")
                  .replace("E mail", "E-Mail"): v for k, v in facts.items()})
    return "".join(f"{label}: {value}\n" for label, value in given.items() if value is not None)


@pytest.fixture
async def client() -> AsyncIterator[AsyncOpenAI]:
    async with running_llm(LlmState()) as base_url:
        sdk = AsyncOpenAI(base_url=base_url, api_key="any-key", max_retries=0)
        yield sdk
        await sdk.close()


async def ask(client: AsyncOpenAI, text: str, name: str, schema: dict[str, Any]) -> Any:
    response = await client.responses.create(
        model="gpt-4o-mini", instructions="Analysiere den Lead. Antworte als JSON.",
        input=[{"role": "user", "content": text}],
        text={"format": {"type": "json_schema", "name": name, "strict": True,
                         "schema": schema}})
    assert response.status == "completed"
    return json.loads(response.output_text)


async def analyse(client: AsyncOpenAI, text: str) -> Any:
    return await ask(client, text, "lead_analysis", LEAD_ANALYSIS)


async def draft(client: AsyncOpenAI, text: str) -> Any:
    return await ask(client, text + CONVERSATION, "follow_up_draft", FOLLOW_UP_DRAFT)


async def test_a_stale_lead_needs_action_in_two_days(client: AsyncOpenAI) -> None:
    assert await analyse(client, lead_text()) == {
        "status": "offen", "needs_action": True, "next_action_at": "2026-12-06",
        "next_action_description": "Lea Kramer per WhatsApp nachfassen: wartet auf Angebot",
        "last_contact": "2024-11-20",
        "reason": "Lea Kramer per WhatsApp: letzter Kontakt vor 744 Tagen.",
    }


async def test_a_fresh_offer_lead_waits_two_weeks(client: AsyncOpenAI) -> None:
    analysis = await analyse(client, lead_text(status="Angebot", last_contact="25.11.2026",
                                               language="en", channel="E-Mail"))
    assert analysis["status"] == "angebot"  # the enum's own case
    assert analysis["needs_action"] is False
    assert analysis["next_action_at"] == "2026-12-18"
    assert analysis["last_contact"] == "2026-11-25"  # dd.mm.yyyy read as ISO
    assert analysis["next_action_description"] == (
        "Check in with Lea Kramer via E-Mail in two weeks: wartet auf Angebot")
    assert "no action needed" in analysis["reason"]


async def test_a_lead_without_status_is_new_and_needs_action(client: AsyncOpenAI) -> None:
    analysis = await analyse(client, lead_text(status=None, last_contact="2026-12-01"))
    assert (analysis["status"], analysis["needs_action"]) == ("neu", True)
    assert analysis["next_action_at"] == "2026-12-06"
    assert analysis["reason"] == "Lea Kramer per WhatsApp: kein Status erfasst."
    no_contact = await analyse(client, lead_text(last_contact=None, language="it"))
    assert (no_contact["needs_action"], no_contact["last_contact"]) == (True, None)
    assert no_contact["reason"].startswith("Lea Kramer via WhatsApp: nessun ultimo contatto")


async def test_without_a_today_line_the_real_utc_date_counts(client: AsyncOpenAI) -> None:
    before = datetime.now(UTC).date()
    analysis = await analyse(client, lead_text(today=None))
    after = datetime.now(UTC).date()
    assert analysis["next_action_at"] in {(d + timedelta(days=2)).isoformat()
                                          for d in (before, after)}


async def test_a_whatsapp_draft_is_short_informal_and_labelled(client: AsyncOpenAI) -> None:
    answer = await draft(client, lead_text())
    body = answer["body"]
    assert answer["subject"] is None
    assert len(body) <= SHORT_LIMIT
    assert body.startswith("Hey Lea! 👋") and "Kramer" not in body
    assert "Hat Demo gesehen, wartet auf Angebot" in body
    assert body.endswith(" — [simulated draft · WhatsApp]")
    plain = (await draft(client, lead_text(disg_type="D")))["body"]
    assert plain.startswith("Hallo Lea,") and "👋" not in plain


async def test_a_long_sms_stays_within_the_limit(client: AsyncOpenAI) -> None:
    body = (await draft(client, lead_text(channel="SMS", disg_type="G", notes="x" * 500,
                                          status="verhandlung " * 30)))["body"]
    assert len(body) <= SHORT_LIMIT
    assert "Lea" in body and body.endswith("[simulated draft · SMS]")


async def test_an_email_draft_has_a_subject_the_full_name_and_the_date(
    client: AsyncOpenAI,
) -> None:
    answer = await draft(client, lead_text(channel="E-Mail", disg_type="S"))
    assert answer["subject"] == "Ihr Angebot \u2013 nächste Schritte"
    body = answer["body"]
    assert body.startswith("Hallo Lea Kramer,\n\n")
    assert "20.11.2024" in body and "wartet auf Angebot" in body
    assert "Viele Grüße" in body and body.endswith(" — [simulated draft · E-Mail]")


@pytest.mark.parametrize(("language", "greeting", "subject", "sign_off"), [
    ("de", "Hallo Lea Kramer,", "Ihr Angebot", "Viele Grüße"),
    ("en", "Dear Lea Kramer,", "Your offer", "Best regards"),
    ("it", "Gentile Lea Kramer,", "La sua offerta", "Cordiali saluti"),
])
async def test_the_language_fact_sets_the_drafts_language(
    client: AsyncOpenAI, language: str, greeting: str, subject: str, sign_off: str,
) -> None:
    answer = await draft(client, lead_text(channel="E-Mail", language=language))
    assert answer["body"].startswith(greeting) and sign_off in answer["body"]
    assert answer["subject"].startswith(subject)


async def test_a_phone_draft_is_a_call_script(client: AsyncOpenAI) -> None:
    answer = await draft(client, lead_text(channel="Telefon", language="en", disg_type="G"))
    assert answer["subject"] is None
    assert answer["body"] == (
        "Hi Lea, I am calling about our conversation of 2024-11-20. Topic: Hat Demo "
        "gesehen, wartet auf Angebot. Have the facts ready: status offen, last contact "
        "2024-11-20. — [simulated draft · Telefon]")


async def test_the_same_request_gets_the_same_answer(client: AsyncOpenAI) -> None:
    text = lead_text(channel="E-Mail", disg_type="I")
    first, second = await draft(client, text), await draft(client, text)
    assert first == second
    assert await analyse(client, text) == await analyse(client, text)


class LeadModel(BaseModel):
    status: Literal["neu", "offen", "angebot"]
    needs_action: bool
    next_action_at: date | None
    last_contact: date | None


async def test_parse_with_a_pydantic_model_reads_dates(client: AsyncOpenAI) -> None:
    """pydantic writes ``date | None`` as anyOf: the format must survive it."""
    response = await client.responses.parse(model="gpt-4o-mini", input=lead_text(),
                                            text_format=LeadModel)
    assert response.output_parsed == LeadModel(
        status="offen", needs_action=True, next_action_at=date(2026, 12, 6),
        last_contact=date(2024, 11, 20))


async def test_odd_leads_get_answers_not_errors(client: AsyncOpenAI) -> None:
    last_day = await analyse(client, lead_text(today="9999-12-31"))
    assert last_day["next_action_at"] == "9999-12-31"  # no day after it, and no 500
    nameless = await analyse(client, "Status: neu\nNotes: wants a callback\n")
    assert nameless["next_action_description"] == "Follow up with the lead: wants a callback"
    assert nameless["reason"] == "The lead: a new lead, no last contact recorded."


def test_facts_are_labelled_lines_normalised() -> None:
    facts = facts_of("E-Mail: a@b.de\nDISG type: I\nNotes: call at 10:30: urgent\n"
                     "A label far too long to be a label at all: x\nEmpty:\n"
                     "Notes: a later quote does not win")
    assert facts == {"e_mail": "a@b.de", "disg_type": "I", "notes": "call at 10:30: urgent"}


def test_dates_and_languages_by_rule() -> None:
    assert parse_date("seit 03.02.2026") == date(2026, 2, 3)
    assert parse_date("2026-02-31") is None and parse_date("soon") is None
    assert language_of({}, "Hat Demo gesehen und wartet") == "de"
    assert language_of({}, "Saw the demo, waiting for an offer") == "en"
    assert language_of({"language": "Italiano"}, "und") == "it"


def test_the_name_fact_comes_before_an_introduction() -> None:
    reading = read("Name: Lea Kramer\nUser: Hallo, ich heiße Anna Weber")
    assert reading.name == "Lea Kramer"
    schema = {"type": "object", "properties": {"lead_name": {"type": "string"},
                                               "next_call_date": {"type": "string"},
                                               "needs_callback": {"type": "boolean"}}}
    today = datetime.now(UTC).date()  # taken first: the filler's day is today or later
    filled = SchemaFiller(schema, reading).fill()
    assert filled["lead_name"] == "Lea Kramer"
    assert filled["needs_callback"] is True  # no status, no last contact
    assert filled["next_call_date"] in {(today + timedelta(days=2)).isoformat(),
                                        (today + timedelta(days=3)).isoformat()}
