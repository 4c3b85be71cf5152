"""Twilio's Messages resource, as the SIMULATED carrier plays it: an SMS is recorded, never
sent.

``POST /2010-04-01/Accounts/{sid}/Messages.json`` takes Twilio's form fields (``To``,
``From``, ``Body``) and answers the Message resource (``status`` ``queued``, a ``SM``
SID, RFC 2822 dates), or Twilio's error body with its code: 21604 no To, 21211 a To
that is not a number, 21603 no From, 21602 no Body, 21617 a body over 1,600
characters. ``GET`` on the same path lists them (newest first, one page), and
``GET /messages`` (simulator only) shows every message recorded, for tests and for
whoever runs the demo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import phonenumbers

from ringbook_simulators.carrier.records import API_VERSION, new_sid, rfc2822, utcnow

# Twilio's own limit on one message's body.
MAX_BODY = 1600
# GSM-7 fits 160 characters in one segment (153 each when split); anything else goes
# as UCS-2, 70 (67). The simulator counts printable ASCII as GSM-7, which is close
# enough to tell one segment from several.
_GSM = (160, 153)
_UCS2 = (70, 67)


class InvalidMessage(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def segments(body: str) -> int:
    single, split = _GSM if all(" " <= ch <= "~" or ch == "\n" for ch in body) else _UCS2
    if len(body) <= single:
        return 1
    return -(-len(body) // split)


@dataclass
class MessageRecord:
    account_sid: str
    to: str
    from_: str
    body: str
    sid: str = field(default_factory=lambda: new_sid("SM"))
    date_created: datetime = field(default_factory=utcnow)

    def to_resource(self) -> dict[str, Any]:
        created = rfc2822(self.date_created)
        return {
            "sid": self.sid, "account_sid": self.account_sid, "api_version": API_VERSION,
            "to": self.to, "from": self.from_, "body": self.body, "status": "queued",
            "direction": "outbound-api", "num_segments": str(segments(self.body)),
            "num_media": "0", "messaging_service_sid": None, "error_code": None,
            "error_message": None, "price": None, "price_unit": "USD",
            "date_created": created, "date_updated": created, "date_sent": None,
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}.json",
            "subresource_uris": {"media": f"/{API_VERSION}/Accounts/{self.account_sid}"
                                          f"/Messages/{self.sid}/Media.json"},
        }


def _e164(number: str) -> bool:
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return False


class MessageBook:
    def __init__(self) -> None:
        self.messages: list[MessageRecord] = []

    def create(self, account_sid: str, form: dict[str, str]) -> MessageRecord:
        to, from_, body = (form.get(k, "").strip() for k in ("To", "From", "Body"))
        if not to:
            raise InvalidMessage(21604, "A 'To' phone number is required.")
        if not _e164(to):
            raise InvalidMessage(21211, f"The 'To' number {to} is not a valid phone number.")
        if not from_:
            raise InvalidMessage(21603, "A 'From' phone number is required.")
        if not body:
            raise InvalidMessage(21602, "Message body is required.")
        if len(body) > MAX_BODY:
            raise InvalidMessage(21617, "The concatenated message body exceeds the 1600 "
                                        "character limit.")
        record = MessageRecord(account_sid=account_sid, to=to, from_=from_, body=body)
        self.messages.append(record)
        return record

    def page(self, account_sid: str) -> dict[str, Any]:
        mine = [m.to_resource() for m in reversed(self.messages)
                if m.account_sid == account_sid]
        uri = f"/{API_VERSION}/Accounts/{account_sid}/Messages.json"
        return {"messages": mine, "page": 0, "page_size": max(len(mine), 50),
                "start": 0, "end": max(len(mine) - 1, 0), "uri": uri,
                "first_page_uri": uri, "next_page_uri": None, "previous_page_uri": None}
