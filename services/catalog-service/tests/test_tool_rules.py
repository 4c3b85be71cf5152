"""What a tool definition may say, and how its secrets are masked and kept (pure)."""

from __future__ import annotations

import pytest
from catalog_service.domain.tool_secrets import (
    MASK,
    ApiKeyAuth,
    BasicAuth,
    BearerAuth,
    MaskedValueMismatch,
    check_no_clash,
    mask,
    masked_authentication,
    masked_headers,
    merge_authentication,
    merge_headers,
)
from catalog_service.domain.tools import (
    BUILTIN_TOOL_NAMES,
    InvalidTool,
    headers,
    new_signing_secret,
    parameters_schema,
    tool_name,
)
from pydantic import ValidationError


def test_tool_names_are_function_names() -> None:
    assert tool_name("kalender_api") == "kalender_api"
    assert tool_name("Check-Stock-2") == "Check-Stock-2"
    assert tool_name("a" * 64) == "a" * 64
    for bad in ("", "a" * 65, "Kalender API", "kalender.api", "über", "a/b"):
        with pytest.raises(InvalidTool):
            tool_name(bad)


@pytest.mark.parametrize("name", sorted(BUILTIN_TOOL_NAMES))
def test_built_in_names_are_refused_whatever_the_case(name: str) -> None:
    with pytest.raises(InvalidTool, match="built-in"):
        tool_name(name)
    with pytest.raises(InvalidTool, match="built-in"):
        tool_name(name.upper())


def test_parameters_must_be_a_json_schema_object() -> None:
    schema = {"type": "object", "properties": {"date": {"type": "string"}},
              "required": ["date"]}
    assert parameters_schema(schema) == schema
    assert parameters_schema({"type": "object"}) == {"type": "object"}
    for bad in (
        {}, {"type": "string"}, {"type": "object", "properties": []},
        {"type": "object", "properties": {"date": "string"}},
        {"type": "object", "properties": {}, "required": "date"},
        {"type": "object", "properties": {}, "required": ["date"]},
    ):
        with pytest.raises(InvalidTool):
            parameters_schema(bad)


def test_headers_must_be_sendable() -> None:
    assert headers({"X-Api-Version": "2", "Accept": "application/json"})
    for bad in (
        {"Bad Header": "x"}, {"X-A": "line\r\nInjected: 1"}, {"Host": "evil"},
        {"Content-Length": "1"}, {"X-Ringbook-Signature": "forged"},
        {"x-a": "1", "X-A": "2"}, {f"X-{i}": "v" for i in range(21)}, {"X-A": "v" * 4097},
    ):
        with pytest.raises(InvalidTool):
            headers(bad)


def test_authentication_kinds_are_validated() -> None:
    assert BearerAuth(type="bearer", token="t").token == "t"
    assert BasicAuth(type="basic", username="u", password="p").username == "u"
    assert ApiKeyAuth(type="api_key", header="X-Api-Key", value="k").header == "X-Api-Key"
    for make in (
        lambda: BearerAuth(type="bearer", token=""),
        lambda: BasicAuth(type="basic", username="a:b", password="p"),
        lambda: ApiKeyAuth(type="api_key", header="Bad Header", value="k"),
        lambda: ApiKeyAuth(type="api_key", header="Host", value="k"),
        lambda: BearerAuth.model_validate({"type": "bearer", "token": "t", "extra": 1}),
    ):
        with pytest.raises(ValidationError):
            make()


def test_masks_show_the_last_four_characters_of_long_secrets_only() -> None:
    assert mask("sk_live_0123456789abcdef") == MASK + "cdef"
    assert mask("short") == MASK
    assert masked_headers({"X-Api-Key": "0123456789abcdefWXYZ"}) == {"X-Api-Key": MASK + "WXYZ"}
    shown = masked_authentication(BasicAuth(type="basic", username="kalender", password="pw"))
    assert shown == {"type": "basic", "username": "kalender", "password": MASK}


def test_a_masked_value_sent_back_keeps_the_stored_secret() -> None:
    stored = {"X-Api-Key": "0123456789abcdefWXYZ", "Accept": "text/plain"}
    sent = {"x-api-key": MASK + "WXYZ", "Accept": "application/json"}
    assert merge_headers(sent, stored) == {"x-api-key": "0123456789abcdefWXYZ",
                                           "Accept": "application/json"}
    stored_auth = BearerAuth(type="bearer", token="old-token-0123456789")
    kept = merge_authentication(BearerAuth(type="bearer", token=mask(stored_auth.token)),
                                stored_auth)
    assert kept == stored_auth
    new = merge_authentication(BearerAuth(type="bearer", token="new"), stored_auth)
    assert new.token == "new"


def test_a_masked_value_that_matches_nothing_is_refused() -> None:
    with pytest.raises(MaskedValueMismatch, match=r"headers\.X-New"):
        merge_headers({"X-New": MASK + "abcd"}, {})
    with pytest.raises(MaskedValueMismatch, match=r"headers\.X-A"):
        merge_headers({"X-A": MASK + "nope"}, {"X-A": "0123456789abcdefWXYZ"})
    # A bearer token's mask does not carry over to a basic password.
    with pytest.raises(MaskedValueMismatch, match=r"authentication\.password"):
        merge_authentication(BasicAuth(type="basic", username="u", password=MASK),
                             BearerAuth(type="bearer", token="short"))


def test_a_header_set_twice_by_headers_and_authentication_is_refused() -> None:
    check_no_clash({"Accept": "x"}, BearerAuth(type="bearer", token="t"))
    with pytest.raises(ValueError, match="Authorization"):
        check_no_clash({"authorization": "x"}, BearerAuth(type="bearer", token="t"))
    with pytest.raises(ValueError, match="X-Key"):
        check_no_clash({"x-key": "x"}, ApiKeyAuth(type="api_key", header="X-Key", value="v"))


def test_signing_secrets_are_whsec_and_32_random_bytes() -> None:
    first, second = new_signing_secret(), new_signing_secret()
    assert first.startswith("whsec_") and len(first) == len("whsec_") + 43
    assert first != second
