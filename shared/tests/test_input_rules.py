"""The platform's input rules, as pure functions: what they refuse and what they let by."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st
from ringbook.web.input_rules import (
    MAX_HEADER_BYTES,
    MAX_JSON_DEPTH,
    NOT_UTF8_PROBLEM,
    NUL_PROBLEM,
    SURROGATE_PROBLEM,
    check_form,
    check_headers,
    check_json,
    check_path,
    check_query,
)

clean_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))


@given(st.dictionaries(clean_text, st.one_of(clean_text, st.integers(-(2**63), 2**63 - 1),
                                              st.floats(allow_nan=False, allow_infinity=False),
                                              st.booleans(), st.none())))
def test_any_json_of_clean_text_and_64_bit_numbers_passes(document: dict[str, object]) -> None:
    assert check_json(json.dumps(document).encode()) is None


@given(clean_text, clean_text)
def test_a_nul_anywhere_in_a_string_is_refused_and_named(before: str, after: str) -> None:
    body = json.dumps({"profile": {"city": before + "\x00" + after}}).encode()
    refusal = check_json(body)
    assert refusal is not None and refusal.status == 422
    assert refusal.details == [{"field": "profile.city", "problem": NUL_PROBLEM}]


def test_lone_surrogates_are_refused_and_pairs_pass() -> None:
    for escaped in ("\\ud800", "\\udc00", "a\\ud83d", "\\ude00b"):
        refusal = check_json(f'{{"title": ["x", "{escaped}"]}}'.encode())
        assert refusal is not None and refusal.details == [
            {"field": "title.1", "problem": SURROGATE_PROBLEM}]
    assert check_json(b'{"title": "\\ud83d\\ude00"}') is None  # one emoji, escaped as a pair


def test_a_nul_in_a_key_is_refused() -> None:
    refusal = check_json(b'{"ti\\u0000tle": "x"}')
    assert refusal is not None and refusal.status == 422


def test_numbers_no_column_holds_are_refused_before_python_parses_them() -> None:
    for literal in (str(2**63), str(-(2**63) - 1), "9" * 5000, "1e999", "-1e999"):
        refusal = check_json(f'{{"n": {literal}}}'.encode())
        assert refusal is not None and refusal.status == 422, literal
    for constant in ("NaN", "Infinity", "-Infinity"):
        refusal = check_json(f'{{"n": {constant}}}'.encode())
        assert refusal is not None and 400 <= refusal.status < 500
    assert check_json(f'{{"n": {2**63 - 1}, "m": {-(2**63)}}}'.encode()) is None


def test_nesting_is_limited_at_every_depth_up_to_the_parsers_own_limit() -> None:
    assert check_json(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH) is None
    for depth in (MAX_JSON_DEPTH + 2, 500, 50_000):
        refusal = check_json(b"[" * depth + b"]" * depth)
        assert refusal is not None and 400 <= refusal.status < 500, depth


def test_syntax_errors_are_left_to_the_route_but_non_utf8_is_not() -> None:
    assert check_json(b'{"title": ') is None
    refusal = check_json(b'{"title": "\xff"}')
    assert refusal is not None and refusal.status == 400
    assert refusal.details == [{"field": "body", "problem": NOT_UTF8_PROBLEM}]


def test_query_form_and_path_refuse_nul_and_bytes_that_are_not_utf8() -> None:
    assert check_query(b"status=queued&limit=5&city=K%C3%B6ln") is None
    refusal = check_query(b"limit=5&status=a%00b")
    assert refusal is not None and refusal.details == [
        {"field": "query.status", "problem": NUL_PROBLEM}]
    refusal = check_query(b"q=%ED%A0%80")
    assert refusal is not None and refusal.details == [
        {"field": "query.q", "problem": NOT_UTF8_PROBLEM}]
    refusal = check_form(b"CallSid=CA1&From=%2B49%00")
    assert refusal is not None and refusal.details == [{"field": "From", "problem": NUL_PROBLEM}]
    assert check_form(b"CallSid=CA1&From=%2B4930") is None
    assert check_path(b"/internal/business-hours/+4930") is None
    for bad in (b"/api/requests/%00", b"/api/requests/%ff"):
        refusal = check_path(bad)
        assert refusal is not None and refusal.status == 400


def test_headers_beyond_the_limit_together_are_431() -> None:
    assert check_headers([(b"authorization", b"Bearer " + b"a" * 4000)]) is None
    refusal = check_headers([(b"x-padding", b"a" * MAX_HEADER_BYTES)])
    assert refusal is not None and refusal.status == 431
    many = [(f"x-{i}".encode(), b"a" * 100) for i in range(MAX_HEADER_BYTES // 100)]
    refusal = check_headers(many)
    assert refusal is not None and refusal.status == 431
