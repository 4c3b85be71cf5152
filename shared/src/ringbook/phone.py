"""Phone numbers: validated once at the edge, stored and published in E.164.

Every service compares, dials and de-duplicates numbers, so they must have one spelling:
``+49305550100``, never ``+49 (30) 555-0100``. Validation uses libphonenumber's metadata
(``phonenumbers``), which knows each country's numbering plan: a number that is merely
the right length (seed 000's sample ``+49 123 456789``) is refused, because a carrier
would refuse it too, after we had promised the user a call.

Errors say which field is wrong and why, in words a person filling in a form can act on.
"""

from __future__ import annotations

import functools
import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

# libphonenumber refuses longer input itself; bounding it here keeps the error readable.
MAX_RAW_LENGTH = 64

_PARSE_REASONS: dict[int, str] = {
    NumberParseException.NOT_A_NUMBER: "does not look like a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "is too short after the international prefix",
    NumberParseException.TOO_SHORT_NSN: "is too short to be a phone number",
    NumberParseException.TOO_LONG: "is too long to be a phone number",
}

_LENGTH_REASONS: dict[int, str] = {
    ValidationResult.TOO_SHORT: "has too few digits",
    ValidationResult.TOO_LONG: "has too many digits",
    ValidationResult.INVALID_LENGTH: "has the wrong number of digits",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "is a local number only: add the area code",
}


_DIALLABLE = re.compile(r"\+?[0-9 ()./\-]+")


class InvalidPhoneNumber(ValueError):
    """A phone number that cannot be dialled; ``field`` names the input it came from."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


def _country(number: phonenumbers.PhoneNumber) -> str:
    """'region DE (+49)', or 'country code +1' when the code is shared.

    Region codes, not country names: the names live in phonenumbers' geocoder data,
    whose import takes seconds and hundreds of MB, far too much for an error message.
    """
    region = phonenumbers.region_code_for_number(number)
    code = f"+{number.country_code}"
    return f"region {region} ({code})" if region and region != "001" else f"country code {code}"


def to_e164(raw: str, *, field: str, default_region: str | None = None) -> str:
    """Normalize ``raw`` to E.164 or raise :class:`InvalidPhoneNumber` naming ``field``.

    Without ``default_region`` the number must carry its country code (``+49 …``): a
    gateway serving callers in many countries cannot guess which one ``030 5550100``
    belongs to.
    """
    return _normalized(raw.strip(), field, default_region)


# Parsing against the numbering plan costs tens of microseconds, and the same few numbers
# (a user's callback number, a practice's line) come back request after request. Only
# valid numbers are remembered (an exception is never cached), keyed by the exact text.
@functools.lru_cache(maxsize=4096)
def _normalized(text: str, field: str, default_region: str | None) -> str:
    if not text:
        raise InvalidPhoneNumber(field, "a phone number is required")
    if len(text) > MAX_RAW_LENGTH:
        raise InvalidPhoneNumber(field, f"is longer than {MAX_RAW_LENGTH} characters")
    if not _DIALLABLE.fullmatch(text.removeprefix("tel:")):
        # phonenumbers would read letters as vanity digits: a typed 'l' for '1' would
        # silently become another person's number.
        raise InvalidPhoneNumber(
            field, f"{text!r} may contain only digits, spaces, '+', '-', '.', '/' and brackets"
        )
    try:
        number = phonenumbers.parse(text, default_region)
    except NumberParseException as exc:
        if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE:
            if text.startswith("+"):
                reason = f"{text!r} starts with an unknown country code"
            else:
                reason = (
                    f"missing country code: write it as +<country code> <number>, "
                    f"e.g. +49 30 5550100 instead of {text!r}"
                )
            raise InvalidPhoneNumber(field, reason) from None
        why = _PARSE_REASONS.get(exc.error_type, "is not a phone number")
        raise InvalidPhoneNumber(field, f"{text!r} {why}") from None
    if number.extension:
        # E.164 has no extensions; dropping one silently would call the switchboard.
        raise InvalidPhoneNumber(field, f"{text!r} has an extension, which cannot be dialled")
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible == ValidationResult.INVALID_COUNTRY_CODE:
        raise InvalidPhoneNumber(field, f"{text!r} starts with an unknown country code")
    if possible != ValidationResult.IS_POSSIBLE:
        why = _LENGTH_REASONS.get(possible, "is not a possible phone number")
        raise InvalidPhoneNumber(field, f"{text!r} {why} for {_country(number)}")
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(
            field, f"{text!r} is not a valid phone number for {_country(number)}"
        )
    return str(phonenumbers.format_number(number, PhoneNumberFormat.E164))


def display(e164: str) -> str:
    """The international spelling a person reads (``+49 30 5550100``)."""
    number = phonenumbers.parse(e164, None)
    return str(phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL))
