"""Phone numbers as the catalog accepts them: E.164, valid in their country's plan.

The platform's one rule (``ringbook.phone``): the country code is required (a service
answering callers of many countries cannot guess one), extensions are refused, and the
number must be valid in its country's numbering plan, so the key a number is claimed
under is the very string others dial. Seed 002's sample ``+1-555-0100`` is refused: it
has seven digits after the country code, and no carrier would route it.
"""

from __future__ import annotations

import re

import phonenumbers
from ringbook.phone import InvalidPhoneNumber, to_e164

_DIALABLE = re.compile(r"\+[0-9][0-9 ().-]{1,40}")


class InvalidNumber(ValueError):
    """Not a number the catalog can route; the message says why, for the caller."""


def e164(raw: str) -> str:
    """The number in canonical E.164 form, or InvalidNumber."""
    # libphonenumber reads letters as vanity digits ("+4930l23456" with an "l" becomes
    # ...523456): a typo would silently become another business's number. Only digits
    # and the usual separators are accepted, after a leading "+".
    if not _DIALABLE.fullmatch(raw.strip()):
        raise InvalidNumber(
            "a phone number is '+', the country code and the digits (separators allowed)"
        )
    try:
        return to_e164(raw, field="phone_number")
    except InvalidPhoneNumber as exc:
        raise InvalidNumber(exc.reason) from None


def country_of(number_e164: str) -> str | None:
    """The ISO 3166 alpha-2 region of a valid E.164 number (None for shared codes)."""
    region = phonenumbers.region_code_for_number(phonenumbers.parse(number_e164, None))
    return region if region and region != "001" else None
