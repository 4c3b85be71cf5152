"""The shapes of what the model gets back from an HTTP tool and from search_knowledge
(pure): docs/tools.md promises exactly these."""

from __future__ import annotations

from media_bridge.domain.tool_output import (
    PASSAGE_CHARS,
    TEXT_BODY_CHARS,
    Passage,
    failed,
    http_output,
    knowledge_output,
)


def test_a_2xx_answer_is_ok_with_its_status_and_parsed_body() -> None:
    assert http_output(200, b'{"free": ["10:30"]}', "application/json; charset=utf-8") == {
        "ok": True, "status": 200, "body": {"free": ["10:30"]}}
    assert http_output(201, b'{"id": 7}', "application/vnd.api+json") == {
        "ok": True, "status": 201, "body": {"id": 7}}
    assert http_output(204, b"", "") == {"ok": True, "status": 204, "body": None}
    assert http_output(200, b"We open at 8.", "text/plain") == {
        "ok": True, "status": 200, "body": "We open at 8."}
    # HTML is not JSON even when it parses as a JSON string.
    assert http_output(200, b'"quoted"', "text/html")["body"] == '"quoted"'


def test_long_text_is_cut_and_says_so() -> None:
    output = http_output(200, b"a" * (TEXT_BODY_CHARS + 10), "text/plain")
    assert output["body"] == "a" * TEXT_BODY_CHARS and output["truncated"] is True


def test_other_answers_are_not_ok_but_keep_status_and_body() -> None:
    assert http_output(404, b'{"detail": "no such slot"}', "application/json") == {
        "ok": False, "status": 404, "body": {"detail": "no such slot"},
        "error": "the tool answered with HTTP status 404"}
    assert http_output(302, b"", "") == {
        "ok": False, "status": 302,
        "error": "the tool answered with a redirect, which is not followed"}
    assert failed("the tool did not answer within 5 seconds") == {
        "ok": False, "error": "the tool did not answer within 5 seconds"}


def test_knowledge_passages_are_the_best_three_each_capped() -> None:
    long = "Wort " * 1000
    output = knowledge_output([Passage("a.txt", " Erste "), Passage("b.txt", long),
                               Passage("c.txt", "drei"), Passage("d.txt", "vier")])
    assert output["ok"] is True
    assert [p["file"] for p in output["passages"]] == ["a.txt", "b.txt", "c.txt"]
    assert output["passages"][0]["text"] == "Erste"
    assert len(output["passages"][1]["text"]) <= PASSAGE_CHARS + 2
    assert output["passages"][1]["text"].endswith(" …")
    assert knowledge_output([]) == {"ok": True, "passages": []}
