"""A tool's secrets never appear in the clear: not in the events table, the outbox, the
CATALOG stream, the read model, nor any answer (but the signing secret in the one answer
that made it)."""

from __future__ import annotations

import uuid

import nats
from catalog_service.testing.api import CatalogApi
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.streams import stored_messages
from ringbook_devtools.testing.waiting import eventually

TOKEN = "bearer-secret-0123456789"
API_KEY = "header-secret-0123456789"
PASSWORD = "basic-password-0123456789"
NEW_KEY = "rotated-header-secret-0123456789"


async def test_secrets_are_sealed_everywhere_and_masked_in_every_answer(
        catalog: CatalogApi, infra: ServerSet) -> None:
    tenant = uuid.uuid4()
    answers: list[str] = []

    async def call(method: str, path: str, **kwargs: object) -> dict[str, object]:
        response = await catalog.call(method, path, tenant, **kwargs)
        assert response.status_code < 300, response.text
        answers.append(response.text)
        body: dict[str, object] = response.json()["data"]
        return body

    created = await call("POST", "/api/tools/", json={
        "name": "crm", "endpoint": "https://tools.example.com/crm",
        "headers": {"X-Api-Key": API_KEY},
        "authentication": {"type": "bearer", "token": TOKEN}})
    tool_url = f"/api/tools/{created['id']}"
    first_signing = str(created["signing_secret"])
    await call("GET", tool_url)
    await call("GET", "/api/tools/")
    await call("PUT", tool_url, json={
        "headers": {"X-Api-Key": NEW_KEY},
        "authentication": {"type": "basic", "username": "crm", "password": PASSWORD}})
    rotated = await call("POST", f"{tool_url}/rotate-signing-secret")
    second_signing = str(rotated["signing_secret"])
    await call("GET", tool_url)
    assistant = await call("POST", "/api/assistants/", json={"name": "Bot",
                                                              "tool_ids": [created["id"]]})
    await call("GET", f"/api/assistants/{assistant['id']}/tools")

    secrets = [TOKEN, API_KEY, PASSWORD, NEW_KEY, first_signing, second_signing]
    # Answers: the signing secret only where it was made (create, rotate).
    for index, text in enumerate(answers):
        revealed = {first_signing} if index == 0 else {second_signing} if index == 4 else set()
        for secret in secrets:
            assert (secret in text) == (secret in revealed), (index, secret)
    # The event table, the outbox and the read model.
    events = await catalog.pool.fetch("select data::text as data from events")
    outbox = await catalog.pool.fetch("select payload from outbox")
    tools = await catalog.pool.fetch("select row_to_json(t)::text as row from tools t")
    stored = [r["data"] for r in events] + [bytes(r["payload"]).decode() for r in outbox] + [
        r["row"] for r in tools]
    assert len(events) == len(outbox) >= 4
    for text in stored:
        for secret in secrets:
            assert secret not in text
    # The stream, once the relay has published every outbox row.
    nc = await nats.connect(infra.nats_url)
    try:
        js = nc.jetstream()

        async def published() -> bool:
            return (await js.stream_info("CATALOG")).state.messages == len(outbox)

        await eventually(published, 20, poll=0.1, what="the outbox published to CATALOG")
        for message in await stored_messages(js, "CATALOG"):
            for secret in secrets:
                assert secret.encode() not in message
    finally:
        await nc.close()
    # And the sealed values do open to the secrets (media-bridge's side).
    box = catalog.app.state.catalog.tool_secrets
    uow = catalog.app.state.catalog.uow
    async with uow.transaction() as tx:
        tool = await tx.tools.get(tenant, uuid.UUID(str(created["id"])))
    assert tool is not None
    opened = box.open(tool.state)
    assert opened.headers == {"X-Api-Key": NEW_KEY}
    assert opened.signing_secret == second_signing
