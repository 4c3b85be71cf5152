"""The leads' pure rules: the plain needs-action rule, a re-import over an existing lead,
the model's verdict as applied (a person's status kept, dates checked, closed leads
never needing action), and a draft's form by channel."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from catalog_service.domain.follow_ups import Draft, parse_draft, reply_text, shaped, shortened
from catalog_service.domain.lead_analysis import (
    InvalidVerdict,
    LeadVerdict,
    apply_verdict,
    as_asked,
    parse_verdict,
)
from catalog_service.domain.lead_rows import LeadInput
from catalog_service.domain.leads import ActionRules, imported_state, same_content
from ringbook.contracts.leads import LeadState

TODAY = date(2026, 1, 15)
RULES = ActionRules(stale_after_days=30)


def lead(**fields: object) -> LeadState:
    return LeadState.model_validate({"name": "Lea Kramer", "email": "lea@example.com",
                                     **fields})


def verdict(**fields: object) -> LeadVerdict:
    values: dict[str, object] = {"status": "offen", "needs_action": True,
                                 "next_action_at": date(2026, 1, 17),
                                 "next_action_description": "Lea per WhatsApp nachfassen",
                                 "last_contact": None, "reason": "r"}
    return LeadVerdict(**{**values, **fields})  # type: ignore[arg-type]


@pytest.mark.parametrize(("fields", "needs"), [
    ({}, True),
    ({"status": "offen"}, True),
    ({"status": "offen", "last_contact": date(2026, 1, 1)}, False),
    ({"status": "offen", "last_contact": date(2025, 12, 15)}, True),
    ({"status": "offen", "last_contact": date(2025, 12, 16)}, False),
    ({"status": "gewonnen"}, False),
    ({"status": "kein interesse", "last_contact": date(2020, 1, 1)}, False),
], ids=["no-status", "never-contacted", "fresh", "31-days", "30-days", "won", "closed-stale"])
def test_the_plain_rule(fields: dict[str, object], needs: bool) -> None:
    assert RULES.needs_action(lead(**fields), TODAY) is needs


def test_a_re_import_keeps_what_its_empty_cells_do_not_say() -> None:
    before = lead(status="offen", notes="Wichtig", channel="WhatsApp",
                  extra={"company": "ACME"}, next_action_description="anrufen")
    row = LeadInput(name="Lea Kramer", email="lea@example.com", phone="+4915123456789",
                    status=None, channel=None, notes=None, last_contact=date(2026, 1, 10),
                    disg_type="I", language=None, extra={"Ort": "Berlin"})
    batch = uuid.uuid4()
    after = imported_state(row, before, batch_id=batch, rules=RULES, today=TODAY)
    assert (after.notes, after.channel, after.status) == ("Wichtig", "WhatsApp", "offen")
    assert after.phone == "+4915123456789" and after.disg_type == "I"
    assert after.extra == {"company": "ACME", "Ort": "Berlin"}
    assert after.import_batch_id == batch and after.needs_action is False
    assert after.next_action_description == "anrufen"
    assert not same_content(before, after)


def test_a_persons_status_is_kept_and_dates_are_checked() -> None:
    applied = apply_verdict(lead(status="angebot"), verdict(
        status="neu", next_action_at=date(2020, 1, 1), last_contact=date(2027, 1, 1)), TODAY)
    assert applied.status == "angebot"
    assert applied.next_action_at == TODAY  # never in the past
    assert applied.last_contact is None  # never in the future
    filled = apply_verdict(lead(), verdict(last_contact=date(2026, 1, 2)), TODAY)
    assert (filled.status, filled.last_contact) == ("offen", date(2026, 1, 2))


def test_a_closed_lead_never_needs_action() -> None:
    assert apply_verdict(lead(status="gewonnen"), verdict(needs_action=True),
                         TODAY).needs_action is False
    assert apply_verdict(lead(), verdict(status="verloren"), TODAY).needs_action is False


def test_the_model_is_told_the_teams_language_when_the_lead_has_none() -> None:
    assert as_asked(lead(), "de").language == "de"
    assert as_asked(lead(language="it"), "de").language == "it"


@pytest.mark.parametrize("raw", [
    None, [], {"status": "maybe", "needs_action": True},
    {"status": "offen", "needs_action": "yes"},
    {"status": "offen", "needs_action": True, "next_action_at": "tomorrow"},
    {"status": "offen", "needs_action": True, "next_action_description": 3},
], ids=["null", "list", "status", "boolean", "date", "description"])
def test_an_answer_outside_the_schemas_meaning_is_refused(raw: object) -> None:
    with pytest.raises(InvalidVerdict):
        parse_verdict(raw)


def test_a_draft_takes_its_channels_form() -> None:
    long = "Hallo Lea, schön von dir zu hören. " * 40
    whatsapp = shaped(Draft(subject="Betreff", body=long), lead(channel="WhatsApp"), "de")
    assert whatsapp.subject is None and len(whatsapp.body) <= 700
    assert whatsapp.body.endswith(".")  # cut at a sentence end
    email = shaped(Draft(subject=None, body="Hallo Lea Kramer, …"), lead(channel="E-Mail"),
                   "de")
    assert email.subject == "Kurze Rückmeldung"
    assert reply_text(email, "de").startswith("Betreff: Kurze Rückmeldung\n\n")
    assert reply_text(email, "en").startswith("Subject: ")
    assert shortened("word " * 300, 50).endswith("…")
    assert parse_draft({"subject": " ", "body": " Hi "}) == Draft(subject=None, body="Hi")
