"""The SIMULATED account's phone numbers: the IncomingPhoneNumbers subset of Twilio's API.

An account owns numbers; each has a voice URL (asked for TwiML when a call comes in)
and a status callback (told how the call ends), which the application sets through
the API, as catalog-service does when a business adds a number. Served, with Twilio's
paths, resource shape and errors, so the official SDK runs unchanged against it:

* ``GET  /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json`` lists them
  (``PhoneNumber``: digits that must appear in the number, ``*`` for any digit, as
  Twilio; ``FriendlyName``: exact; paged by ``PageSize`` and ``Page``);
* ``GET  .../IncomingPhoneNumbers/{Sid}.json`` fetches one;
* ``POST .../IncomingPhoneNumbers/{Sid}.json`` updates ``VoiceUrl``, ``VoiceMethod``,
  ``StatusCallback``, ``StatusCallbackMethod`` and ``FriendlyName``.

The numbers owned: the account's line (:data:`~scenarios.ACCOUNT_NUMBER`, the caller
id call-orchestrator dials from), the scripted 555-01xx numbers, and any listed in
``SIMCARRIER_OWNED_NUMBERS``. A number's sid is derived from the account and the number,
so it is the same after a restart; its configuration lives in memory until then, and
starts as ``SIMCARRIER_INCOMING_CALL_URL`` / ``_STATUS_CALLBACK_URL``. A call rung in
to an owned number (``incoming``) uses that number's voice URL and status callback.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from ringbook_simulators.carrier.records import API_VERSION, rfc2822, utcnow
from ringbook_simulators.carrier.scenarios import ACCOUNT_NUMBER, SIMULATED_NUMBERS
from ringbook_simulators.carrier.settings import CarrierSettings

_METHODS = ("GET", "POST")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


class InvalidUpdate(Exception):
    """An update Twilio would refuse; ``code`` is Twilio's error code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def number_sid(account_sid: str, number: str) -> str:
    """``PN`` and 32 hex digits, the same for this account's number after any restart."""
    return "PN" + hashlib.sha256(f"{account_sid}:{number}".encode()).hexdigest()[:32]


@dataclass
class OwnedNumber:
    """One IncomingPhoneNumber of the simulated account."""

    sid: str
    account_sid: str
    phone_number: str  # E.164
    friendly_name: str
    voice_url: str
    status_callback: str
    voice_method: str = "POST"
    status_callback_method: str = "POST"
    date_created: datetime = field(default_factory=utcnow)
    date_updated: datetime = field(default_factory=utcnow)

    @property
    def uri(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/IncomingPhoneNumbers/{self.sid}.json"

    def update(self, form: dict[str, str]) -> None:
        """Apply an update's form fields, all or nothing (Twilio's validation first)."""
        for url_field in ("VoiceUrl", "StatusCallback"):
            url = form.get(url_field)
            if url and not url.startswith(("http://", "https://")):
                raise InvalidUpdate(21502, f"{url_field} is not a valid URL: {url[:200]}")
        for method_field in ("VoiceMethod", "StatusCallbackMethod"):
            method = form.get(method_field)
            if method is not None and method.upper() not in _METHODS:
                raise InvalidUpdate(21200, f"{method_field} must be GET or POST")
        if "VoiceUrl" in form:
            self.voice_url = form["VoiceUrl"]
        if "VoiceMethod" in form:
            self.voice_method = form["VoiceMethod"].upper()
        if "StatusCallback" in form:
            self.status_callback = form["StatusCallback"]
        if "StatusCallbackMethod" in form:
            self.status_callback_method = form["StatusCallbackMethod"].upper()
        if "FriendlyName" in form:
            self.friendly_name = form["FriendlyName"][:64]
        self.date_updated = utcnow()

    def to_resource(self) -> dict[str, Any]:
        """The number as Twilio's REST API renders it."""
        base = self.uri.removesuffix(".json")
        return {
            "sid": self.sid,
            "account_sid": self.account_sid,
            "friendly_name": self.friendly_name,
            "phone_number": self.phone_number,
            "voice_url": self.voice_url,
            "voice_method": self.voice_method,
            "voice_fallback_url": None,
            "voice_fallback_method": "POST",
            "voice_caller_id_lookup": False,
            "voice_application_sid": None,
            "voice_receive_mode": "voice",
            "status_callback": self.status_callback,
            "status_callback_method": self.status_callback_method,
            "sms_url": "",
            "sms_method": "POST",
            "sms_fallback_url": "",
            "sms_fallback_method": "POST",
            "sms_application_sid": "",
            "capabilities": {"voice": True, "sms": True, "mms": False, "fax": False},
            "address_requirements": "none",
            "address_sid": None,
            "beta": False,
            "bundle_sid": None,
            "emergency_status": "Inactive",
            "emergency_address_sid": None,
            "emergency_address_status": "unregistered",
            "identity_sid": None,
            "origin": "twilio",
            "status": "in-use",
            "trunk_sid": None,
            "type": "local",
            "api_version": API_VERSION,
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_updated),
            "uri": self.uri,
            "subresource_uris": {"assigned_add_ons": f"{base}/AssignedAddOns.json"},
        }


def _owned(settings: CarrierSettings) -> list[str]:
    numbers = [ACCOUNT_NUMBER, *SIMULATED_NUMBERS, *settings.extra_owned_numbers]
    return list(dict.fromkeys(numbers))  # each once, in order


def _pattern(filter_: str) -> re.Pattern[str]:
    # Twilio's PhoneNumber filter: the given characters must appear in the number,
    # '*' standing for any one digit.
    return re.compile("".join(r"\d" if c == "*" else re.escape(c) for c in filter_.strip()))


class NumberBook:
    """The account's numbers, by sid and by number."""

    def __init__(self, settings: CarrierSettings) -> None:
        self._account = settings.account_sid
        self._by_sid: dict[str, OwnedNumber] = {}
        for number in _owned(settings):
            owned = OwnedNumber(
                sid=number_sid(settings.account_sid, number),
                account_sid=settings.account_sid,
                phone_number=number,
                friendly_name=number,
                voice_url=settings.incoming_call_url,
                status_callback=settings.incoming_status_callback_url,
            )
            self._by_sid[owned.sid] = owned

    def by_sid(self, sid: str) -> OwnedNumber | None:
        return self._by_sid.get(sid)

    def by_number(self, number: str) -> OwnedNumber | None:
        return next((n for n in self._by_sid.values() if n.phone_number == number), None)

    def matching(self, phone_number: str | None, friendly_name: str | None) -> list[OwnedNumber]:
        found = list(self._by_sid.values())
        if phone_number:
            pattern = _pattern(phone_number)
            found = [n for n in found if pattern.search(n.phone_number)]
        if friendly_name is not None:
            found = [n for n in found if n.friendly_name == friendly_name]
        return found

    def page(self, numbers: list[OwnedNumber], query: dict[str, str], *, page: int,
             size: int) -> dict[str, Any]:
        """Twilio's list shape for one page of ``numbers``."""
        path = f"/{API_VERSION}/Accounts/{self._account}/IncomingPhoneNumbers.json"

        def uri(number: int) -> str:
            params = {**query, "PageSize": str(size), "Page": str(number)}
            return f"{path}?" + "&".join(f"{k}={_quote(v)}" for k, v in params.items())

        start = page * size
        chunk = numbers[start:start + size]
        more = start + size < len(numbers)
        return {
            "incoming_phone_numbers": [n.to_resource() for n in chunk],
            "page": page,
            "page_size": size,
            "start": start,
            "end": start + max(len(chunk) - 1, 0),
            "uri": uri(page),
            "first_page_uri": uri(0),
            "next_page_uri": uri(page + 1) if more else None,
            "previous_page_uri": uri(page - 1) if page > 0 else None,
        }


def _quote(value: str) -> str:
    return quote(value, safe="")
