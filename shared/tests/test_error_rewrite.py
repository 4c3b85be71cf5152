"""The error rewriter sees every error of its paths whole, whoever answered it, and
leaves successes and other paths alone."""

from __future__ import annotations

import httpx
from fastapi import FastAPI, HTTPException
from fastapi.responses import StreamingResponse
from ringbook.web.error_rewrite import ErrorAnswer, ErrorBodyRewriter, Rewritten


def app_with(seen: list[ErrorAnswer]) -> FastAPI:
    app = FastAPI()

    @app.post("/api/x")
    async def refuse(body: dict[str, int]) -> dict[str, int]:
        raise HTTPException(409, "taken")

    @app.get("/api/stream")
    async def stream() -> StreamingResponse:
        return StreamingResponse(iter([b"a", b"b"]), media_type="text/plain")

    @app.get("/other")
    async def other() -> None:
        raise HTTPException(404, "nope")

    def rewrite(answer: ErrorAnswer) -> Rewritten:
        seen.append(answer)
        return Rewritten(b'{"wrapped":true}', [(b"x-rewritten", b"1")])

    app.add_middleware(ErrorBodyRewriter, applies=lambda p: p.startswith("/api/"),
                       rewrite=rewrite, remember_request_bytes=4)
    return app


async def test_errors_on_its_paths_are_rewritten_with_the_request_they_answer() -> None:
    seen: list[ErrorAnswer] = []
    transport = httpx.ASGITransport(app=app_with(seen))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        refused = await client.post("/api/x", json={"a": 1})
        streamed = await client.get("/api/stream")
        elsewhere = await client.get("/other")
    assert (refused.status_code, refused.content) == (409, b'{"wrapped":true}')
    assert refused.headers["x-rewritten"] == "1"
    assert refused.headers["content-length"] == str(len(b'{"wrapped":true}'))
    assert [(a.status, a.body, a.request_body) for a in seen] == [
        (409, b'{"detail":"taken"}', b'{"a":1}')]  # whole chunks, until the limit is passed
    assert streamed.text == "ab"
    assert (elsewhere.status_code, elsewhere.json()) == (404, {"detail": "nope"})


async def test_a_rewrite_may_leave_an_answer_as_it_was() -> None:
    app = FastAPI()

    @app.get("/api/gone")
    async def gone() -> None:
        raise HTTPException(410, "gone")

    app.add_middleware(ErrorBodyRewriter, applies=lambda p: True, rewrite=lambda a: None)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answer = await client.get("/api/gone")
    assert (answer.status_code, answer.json()) == (410, {"detail": "gone"})
