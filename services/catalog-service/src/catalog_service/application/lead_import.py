"""Importing leads (seed 003's ``POST /import/leads``): the file's rows become the
tenant's leads in ONE transaction, with their events, and each new or changed lead is
queued for the model's analysis; the answer's counts come from the plain rules.

Identity: a row is the same person as a lead (or an earlier row of the same file) that
has its e-mail, else its phone. Rows of one person are merged in file order, a later
non-empty cell winning; the result is created, updated, or left alone when nothing
changed. A row whose e-mail and phone belong to two different leads would make one of
them the other's: it is refused with an error naming the row.

Every row is either imported or named in ``errors`` (once per fault: a row may have
two), so ``total_rows`` is ``imported_count`` plus the rows ``errors`` names. The two
action counts are about the distinct leads the file names.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields, replace
from datetime import date

from ringbook.clock import Clock
from ringbook.contracts.leads import (
    ImportFormat,
    LeadCreated,
    LeadImportCompleted,
    LeadState,
    LeadUpdated,
)
from ringbook.ids import new_id

from catalog_service.application.events import EventBatch
from catalog_service.application.lead_ports import LeadStore, LeadTransaction
from catalog_service.domain.lead_rows import LeadInput, ParsedRows, RowError
from catalog_service.domain.leads import ActionRules, LeadRecord, imported_state, same_content


class TooManyRows(ValueError):
    def __init__(self, rows: int, limit: int) -> None:
        super().__init__(f"the file has {rows} rows; at most {limit} are imported at once "
                         "(split it into several files)")
        self.rows, self.limit = rows, limit


@dataclass(frozen=True)
class ImportSummary:
    batch_id: uuid.UUID
    total_rows: int
    imported_count: int
    needs_action_count: int
    without_last_contact_count: int
    errors: tuple[RowError, ...]
    created: int
    updated: int
    unchanged: int


@dataclass
class _Person:
    """The rows of one file that name the same person, merged."""

    rows: list[int]
    row: LeadInput
    lead: LeadRecord | None = None
    state: LeadState | None = None
    errors: list[RowError] = field(default_factory=list)


def _merged(first: LeadInput, later: LeadInput) -> LeadInput:
    values = {f.name: getattr(later, f.name) for f in fields(later)
              if f.name != "extra" and getattr(later, f.name) is not None}
    return replace(first, **values, extra={**first.extra, **later.extra})


def group_people(leads: tuple[tuple[int, LeadInput], ...]) -> list[_Person]:
    people: list[_Person] = []
    by_key: dict[str, _Person] = {}
    for number, row in leads:
        keys = [k for k in (f"e:{row.email}" if row.email else None,
                            f"p:{row.phone}" if row.phone else None) if k]
        person = next((by_key[k] for k in keys if k in by_key), None)
        if person is None:
            person = _Person(rows=[number], row=row)
            people.append(person)
        else:
            person.rows.append(number)
            person.row = _merged(person.row, row)
        for key in (f"e:{person.row.email}" if person.row.email else None,
                    f"p:{person.row.phone}" if person.row.phone else None):
            if key and key not in by_key:
                by_key[key] = person
    return people


@dataclass
class _Owners:
    """Which lead holds each e-mail and phone, as the import goes."""

    email: dict[str, uuid.UUID] = field(default_factory=dict)
    phone: dict[str, uuid.UUID] = field(default_factory=dict)

    def hold(self, lead_id: uuid.UUID, state: LeadState) -> None:
        if state.email:
            self.email[state.email] = lead_id
        if state.phone:
            self.phone[state.phone] = lead_id

    def clash(self, lead_id: uuid.UUID, state: LeadState) -> str | None:
        for kind, value, owners in (("e-mail", state.email, self.email),
                                    ("phone number", state.phone, self.phone)):
            if value and owners.get(value, lead_id) != lead_id:
                return f"the {kind} {value} belongs to another lead"
        return None


async def _match(tx: LeadTransaction, tenant_id: uuid.UUID, people: list[_Person],
                 owners: _Owners) -> None:
    """Find each person's lead (by e-mail first), noting who holds which key."""
    emails = sorted({p.row.email for p in people if p.row.email})
    phones = sorted({p.row.phone for p in people if p.row.phone})
    existing = await tx.by_keys(tenant_id, emails, phones)
    for record in existing:
        owners.hold(record.id, record.state)
    by_id = {r.id: r for r in existing}
    for person in people:
        lead_id = ((owners.email.get(person.row.email) if person.row.email else None)
                   or (owners.phone.get(person.row.phone) if person.row.phone else None))
        person.lead = by_id.get(lead_id) if lead_id else None


async def import_leads(store: LeadStore, clock: Clock, tenant_id: uuid.UUID,
                       parsed: ParsedRows, *, fmt: ImportFormat, rules: ActionRules,
                       max_rows: int) -> ImportSummary:
    if parsed.total_rows > max_rows:
        raise TooManyRows(parsed.total_rows, max_rows)
    today: date = clock.now().date()
    batch_id = new_id()
    people = group_people(parsed.leads)
    async with store.transaction() as tx:
        await tx.serialize_imports(tenant_id)
        owners = _Owners()
        await _match(tx, tenant_id, people, owners)
        batch = EventBatch(tenant_id, clock)
        # One person may be two rows' worth of one existing lead: apply in file order.
        current: dict[uuid.UUID, tuple[LeadState | None, int]] = {}
        created = updated = unchanged = 0
        for person in people:
            lead_id = person.lead.id if person.lead else new_id()
            before, version = current.get(
                lead_id, (person.lead.state, person.lead.version) if person.lead else (None, 0))
            state = imported_state(person.row, before, batch_id=batch_id, rules=rules,
                                   today=today)
            if problem := owners.clash(lead_id, state):
                person.errors = [RowError(row=r, field=None, error=problem)
                                 for r in person.rows]
                continue
            owners.hold(lead_id, state)
            person.state = state
            if before is None:
                batch.add(lead_id, LeadCreated(**state.model_dump()), after=0)
                created += 1
            elif same_content(before, state):
                person.state = before
                unchanged += 1
                continue
            else:
                batch.add(lead_id, LeadUpdated(**state.model_dump()), after=version)
                updated += 1
            current[lead_id] = (state, batch.version_of(lead_id, version))
        errors = sorted((*parsed.errors, *(e for p in people for e in p.errors)),
                        key=lambda e: e.row)
        states = [p.state for p in people if p.state is not None]
        summary = ImportSummary(
            batch_id=batch_id, total_rows=parsed.total_rows,
            imported_count=sum(len(p.rows) for p in people if not p.errors),
            needs_action_count=sum(rules.needs_action(s, today) for s in states),
            without_last_contact_count=sum(s.last_contact is None for s in states),
            errors=tuple(errors), created=created, updated=updated, unchanged=unchanged)
        batch.add(batch_id, LeadImportCompleted(
            format=fmt, total_rows=summary.total_rows, imported_count=summary.imported_count,
            created_count=created, updated_count=updated, unchanged_count=unchanged,
            needs_action_count=summary.needs_action_count,
            without_last_contact_count=summary.without_last_contact_count,
            error_count=len(errors)), after=0)
        await tx.record(batch.events, analyse=True)
    return summary

