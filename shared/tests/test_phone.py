"""Phone numbers are validated against each country's numbering plan and kept in E.164."""

from __future__ import annotations

import pytest
from ringbook.phone import InvalidPhoneNumber, display, to_e164


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+49 30 5550100", "+49305550100"),
        ("+49 (30) 555-0100", "+49305550100"),
        ("  +49305550100  ", "+49305550100"),
        ("tel:+49-30-5550100", "+49305550100"),
        ("+49 987 654321", "+49987654321"),  # seed 000's number_to_call
        ("+1 650 253 0000", "+16502530000"),
        ("+44 20 7946 0018", "+442079460018"),
    ],
)
def test_valid_numbers_become_e164(raw: str, e164: str) -> None:
    assert to_e164(raw, field="phone") == e164


def test_a_default_region_allows_national_spelling() -> None:
    assert to_e164("030 5550100", field="phone", default_region="DE") == "+49305550100"


def test_seed_sample_callback_number_is_not_valid_and_says_why() -> None:
    # Seed 000's callback_number has the right length but no German number starts 123.
    with pytest.raises(InvalidPhoneNumber) as caught:
        to_e164("+49 123 456789", field="callback_number")
    assert caught.value.field == "callback_number"
    assert caught.value.reason == (
        "'+49 123 456789' is not a valid phone number for region DE (+49)"
    )
    assert str(caught.value).startswith("callback_number: ")
    assert isinstance(caught.value, ValueError)


def test_missing_country_code_explains_how_to_write_it() -> None:
    with pytest.raises(InvalidPhoneNumber) as caught:
        to_e164("030 5550100", field="number_to_call")
    assert caught.value.field == "number_to_call"
    assert caught.value.reason.startswith("missing country code: write it as +<country code>")


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "required"),
        ("   ", "required"),
        ("hello", "only digits"),
        ("+999 1234567", "unknown country code"),
        ("+49 1", "too short"),
        ("+49 30 5550100 ext. 12", "only digits"),
        ("+1 555 0100", "for country code +1"),
        ("+" + "1" * 100, "longer than 64 characters"),
    ],
)
def test_invalid_numbers_are_refused_with_a_reason(raw: str, fragment: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as caught:
        to_e164(raw, field="phone")
    assert fragment in caught.value.reason


def test_display_uses_the_international_format() -> None:
    assert display("+49305550100") == "+49 30 5550100"
    assert display(to_e164("+1 (650) 253-0000", field="x")) == "+1 650-253-0000"


@pytest.mark.parametrize("typo", ["+4930123456x9x", "+49 30 555 Ol00", "+49 30 5550100 ext"])
def test_letters_are_refused_not_read_as_vanity_digits(typo: str) -> None:
    with pytest.raises(InvalidPhoneNumber, match="only digits"):
        to_e164(typo, field="number_to_call")
