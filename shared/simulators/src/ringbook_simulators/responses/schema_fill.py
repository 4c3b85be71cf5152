"""Filling any JSON schema a request gives (``text.format`` ``json_schema``), by rule.

Every property of an object is produced (strict structured outputs require them all),
from the schema's type and the property's name, with the :mod:`rules` reading of the
request's text:

===============================  ====================================================
property                         value
===============================  ====================================================
``summary``                      the reading's summary
``sentiment``, or an enum that   the reading's sentiment (POSITIVE | NEGATIVE |
holds POSITIVE/NEGATIVE/NEUTRAL  NEUTRAL, in the enum's own case)
``success`` (any boolean)        the reading's success
any other enum                   the first value named in the text, else the first
a name containing ``name``       the first name introduced in the text, else null if
                                 allowed, else "unknown"
``email`` / ``phone`` in name    the first address / number in the text, else null or ""
``draft``/``message``/``follow``  a follow-up draft addressing the name found
other strings                    the summary
``score``/``rating`` numbers     80 / 50 / 20 by sentiment, within minimum/maximum
other numbers                    the first number in the caller's lines, else 0
arrays                           one item, filled by the same rules (none if maxItems 0)
objects                          recursively; ``$ref`` to ``$defs`` is followed
===============================  ====================================================

Leads (the text's ``Label: value`` facts, :mod:`lead_rules`; these come first):

===============================  ====================================================
property                         value
===============================  ====================================================
named like a fact's label        that fact, typed: an enum's value matched in any
(``status``, ``last_contact``)   case, a date as ISO, yes/no, a number, else as given
a date (format ``date``, or a    its fact's date; ``next_*``: Today + 2 days when the
name ending ``_at``/``_date``)   lead needs action, else + 14; else null or Today
``needs_*``/``*action*`` bool    whether the lead needs action
``status`` enum without a fact   "neu" (or "new"/"nuovo"), if the enum has it
with a lead's fact (``name``,
``channel``, ``status``,
``last_contact``, ``notes``):
``*subject*``                    an e-mail's subject; null (or "") for other channels
``*reason*``                     why (not) to act, naming the lead and the channel
``*description*``/``next_*``     the next action, e.g. "Lea Kramer per WhatsApp
                                 nachfassen: wartet auf Angebot"
``body``/``reply``/``draft``/    a follow-up draft for the channel (:mod:`drafts`)
``message``/``follow*``
===============================  ====================================================
"""

from __future__ import annotations

import re
from typing import Any

from ringbook_simulators.responses import drafts
from ringbook_simulators.responses.lead_rules import (
    NEW_STATUSES,
    action_sentence,
    is_lead,
    lead_of,
    normalise,
    parse_date,
    reason_sentence,
)
from ringbook_simulators.responses.rules import Reading

JSON = Any
_SENTIMENTS = ("POSITIVE", "NEGATIVE", "NEUTRAL")
_SCORES = {"POSITIVE": 80, "NEUTRAL": 50, "NEGATIVE": 20}
_MAX_DEPTH = 8  # a recursive schema ($ref to itself) ends in nulls/empties
_TRUE, _FALSE = frozenset({"true", "yes", "ja", "si", "sì", "1"}), frozenset(
    {"false", "no", "nein", "0"})
_FACT_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
_DRAFT_WORDS = ("body", "reply", "draft", "message", "follow")


class SchemaFiller:
    def __init__(self, root: dict[str, JSON], reading: Reading) -> None:
        self._root, self._reading = root, reading
        self._lead = lead_of(reading.facts, reading.text, reading.name)

    def _fact(self, name: str) -> str | None:
        return self._reading.facts.get(normalise(name))

    def fill(self) -> JSON:
        return self._value("", self._root, 0)

    def _resolve(self, schema: dict[str, JSON]) -> dict[str, JSON]:
        ref = schema.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return schema
        target: JSON = self._root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return target if isinstance(target, dict) else {}

    def _value(self, name: str, schema: JSON, depth: int) -> JSON:
        if not isinstance(schema, dict):
            return None
        schema = self._resolve(schema)
        types = schema.get("type")
        nullable = types == "null" or (isinstance(types, list) and "null" in types)
        if depth > _MAX_DEPTH:
            return None
        for key in ("anyOf", "oneOf"):
            options = [self._resolve(o) for o in schema.get(key, []) if isinstance(o, dict)]
            if options:
                concrete = [o for o in options if o.get("type") != "null"]
                if len(concrete) < len(options):
                    nullable = True
                if concrete:
                    return self._value(name, {**concrete[0], "_nullable": nullable}, depth)
                return None
        nullable = nullable or bool(schema.get("_nullable"))
        if "enum" in schema and isinstance(schema["enum"], list):
            return self._enum(name, schema["enum"])
        if "const" in schema:
            return schema["const"]
        kind = types if isinstance(types, str) else next(
            (t for t in (types or []) if t != "null"), "object" if "properties" in schema
            else "string")
        if kind == "object":
            props = schema.get("properties", {})
            return {key: self._value(key, sub, depth + 1) for key, sub in props.items()}
        if kind == "array":
            if schema.get("maxItems") == 0:
                return []
            return [self._value(name, schema.get("items", {}), depth + 1)]
        if kind == "boolean":
            return self._boolean(name)
        if kind in ("integer", "number"):
            return self._number(name, schema, kind)
        if kind == "null":
            return None
        key = name.lower()
        if schema.get("format") == "date" or key.endswith(("_at", "_date")):
            return self._date(name, nullable)
        return self._string(name, nullable)

    def _enum(self, name: str, values: list[JSON]) -> JSON:
        if not values:
            return None
        fact = self._fact(name)
        if fact is not None:
            for value in values:
                if isinstance(value, str) and value.lower() == fact.strip().lower():
                    return value
        elif name.lower() == "status":
            for value in values:
                if isinstance(value, str) and value.lower() in NEW_STATUSES:
                    return value
        upper = [str(v).upper() for v in values]
        about_sentiment = "sentiment" in name.lower() or all(s in upper for s in _SENTIMENTS)
        if about_sentiment and self._reading.sentiment in upper:
            return values[upper.index(self._reading.sentiment)]
        text = self._reading.text.lower()
        for value in values:
            if isinstance(value, str) and value and value.lower() in text:
                return value
        return values[0]

    def _number(self, name: str, schema: dict[str, JSON], kind: str) -> int | float:
        key = name.lower()
        value: float
        fact = self._fact(name)
        if fact is not None and (found := _FACT_NUMBER.search(fact)):
            value = float(found.group(0).replace(",", "."))
        elif "score" in key or "rating" in key:
            value = _SCORES[self._reading.sentiment]
        else:
            value = self._reading.number() or 0
        if isinstance(schema.get("minimum"), int | float):
            value = max(value, schema["minimum"])
        if isinstance(schema.get("maximum"), int | float):
            value = min(value, schema["maximum"])
        return int(value) if kind == "integer" else float(value)

    def _boolean(self, name: str) -> bool:
        fact = (self._fact(name) or "").strip().lower()
        if fact in _TRUE or fact in _FALSE:
            return fact in _TRUE
        key = name.lower()
        if key.startswith("needs_") or "action" in key:
            return self._lead.needs_action
        return self._reading.success

    def _date(self, name: str, nullable: bool) -> str | None:
        given = parse_date(self._fact(name))
        if given is not None:
            return given.isoformat()
        if name.lower().startswith("next_"):
            return self._lead.next_action_at.isoformat()
        return None if nullable else self._lead.today.isoformat()

    def _lead_string(self, key: str, nullable: bool) -> tuple[bool, str | None]:
        """``(True, value)`` when a lead rule is about ``key`` (a value may be null)."""
        lead = self._lead
        if "subject" in key:
            found = drafts.subject(lead)
            return True, found if found is not None or nullable else ""
        if "reason" in key:
            return True, reason_sentence(lead)
        if "description" in key or key.startswith("next_"):
            return True, action_sentence(lead)
        if any(w in key for w in _DRAFT_WORDS):
            return True, drafts.draft(lead)
        return False, None

    def _string(self, name: str, nullable: bool) -> str | None:
        key = name.lower()
        reading = self._reading
        fact = self._fact(name)
        if fact is not None:
            return fact
        if key == "summary":
            return reading.summary
        if is_lead(reading.facts):
            about, value = self._lead_string(key, nullable)
            if about:
                return value
        if "email" in key and "draft" not in key and "body" not in key:
            return reading.email if reading.email or nullable else ""
        if "phone" in key:
            return reading.phone if reading.phone or nullable else ""
        if any(w in key for w in ("draft", "message", "follow", "body")):
            greeting = f"Hello {reading.name}," if reading.name else "Hello,"
            return (f"{greeting} thank you for your call. {reading.summary} "
                    "We will be in touch soon.")
        if "name" in key:
            return reading.name if reading.name or nullable else "unknown"
        return reading.summary
