"""An assistant's own extraction fields (``analysis_fields``) through the HTTP app, against
real Postgres and NATS: stored and answered, carried on assistant_created/assistant_updated
(event store, and the CATALOG stream once the outbox is relayed), refused whole when bad,
replaced by a PUT that gives them and kept by one that does not."""

from __future__ import annotations

import uuid
from typing import Any

import nats
import orjson
import pytest
from catalog_service.testing.api import CatalogApi
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.streams import stored_messages
from ringbook_devtools.testing.waiting import eventually

FIELDS: list[dict[str, Any]] = [
    {"name": "appointment_date", "type": "string",
     "description": "The date the caller wants an appointment on, as YYYY-MM-DD"},
    {"name": "party_size", "type": "integer", "description": "How many people come"},
    {"name": "wants_callback", "type": "boolean", "description": ""},
]


async def event_data(catalog: CatalogApi, assistant_id: str) -> list[tuple[str, Any]]:
    rows = await catalog.pool.fetch(
        "select type, data::text as data from events where aggregate_id = $1 order by version",
        uuid.UUID(assistant_id))
    return [(r["type"], orjson.loads(r["data"])) for r in rows]


async def published(infra: ServerSet, aggregate_id: str, count: int) -> list[dict[str, Any]]:
    """The CATALOG stream's messages of the aggregate, once ``count`` are there."""
    nc = await nats.connect(infra.nats_url)
    try:
        js = nc.jetstream()

        async def messages() -> list[dict[str, Any]]:
            bodies = [orjson.loads(data or b"{}") for data in await stored_messages(js, "CATALOG")]
            return [body for body in bodies if str(body.get("aggregate_id")) == aggregate_id]

        async def all_there() -> bool:
            return len(await messages()) >= count

        await eventually(all_there, 20, poll=0.1, what="the assistant's events on CATALOG")
        return await messages()
    finally:
        await nc.close()


async def test_created_with_fields_answers_stores_and_publishes_them(
        catalog: CatalogApi, infra: ServerSet) -> None:
    tenant = uuid.uuid4()
    data = await catalog.created("/api/assistants/", tenant,
                                 {"name": "Empfang", "analysis_fields": FIELDS})
    assert data["analysis_fields"] == FIELDS
    got = (await catalog.call("GET", f"/api/assistants/{data['id']}", tenant)).json()
    assert got == {"success": True, "data": data}
    listed = (await catalog.call("GET", "/api/assistants/", tenant)).json()
    assert listed["data"][0]["analysis_fields"] == FIELDS
    [(kind, stored)] = await event_data(catalog, data["id"])
    assert kind == "assistant_created" and stored["analysis_fields"] == FIELDS
    [message] = await published(infra, data["id"], 1)
    assert message["type"] == "assistant_created"
    assert message["data"]["analysis_fields"] == FIELDS


async def test_omitted_fields_default_to_none_and_a_type_defaults_to_string(
        catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    plain = await catalog.created("/api/assistants/", tenant, {"name": "Empfang"})
    assert plain["analysis_fields"] == []
    short = await catalog.created("/api/assistants/", tenant,
                                  {"name": "Kurz", "analysis_fields": [{"name": "reason"}]})
    assert short["analysis_fields"] == [{"name": "reason", "type": "string", "description": ""}]


def _field(name: str, **more: Any) -> dict[str, Any]:
    return {"name": name, "type": "string", "description": "", **more}


BAD: list[tuple[Any, str]] = [
    ([_field("Appointment")], "analysis_fields.0.name"),
    ([_field("1st")], "analysis_fields.0.name"),
    ([_field("has-dash")], "analysis_fields.0.name"),
    ([_field("a" * 41)], "analysis_fields.0.name"),
    ([_field("")], "analysis_fields.0.name"),
    ([{"type": "string"}], "analysis_fields.0.name"),
    ([_field("ok"), _field("date", type="date")], "analysis_fields.1.type"),
    ([_field("ok", description="x" * 501)], "analysis_fields.0.description"),
    ([_field("ok", required=True)], "analysis_fields.0.required"),
    ([_field("date"), _field("reason"), _field("date")], "analysis_fields"),
    ([_field(f"field_{i}") for i in range(21)], "analysis_fields"),
    ({"name": "date"}, "analysis_fields"),
    (None, "analysis_fields"),
]


@pytest.mark.parametrize(("fields", "where"), BAD)
async def test_bad_fields_are_422_and_store_nothing(
        catalog: CatalogApi, fields: Any, where: str) -> None:
    tenant = uuid.uuid4()
    before = await catalog.stored()
    response = await catalog.call("POST", "/api/assistants/", tenant,
                                  json={"name": "Empfang", "analysis_fields": fields})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["success"] is False and body["error"] == "Invalid request"
    assert where in {d["field"] for d in body["details"]}, body
    assert all(d["problem"] for d in body["details"])
    assert await catalog.stored() == before


async def test_a_bad_put_changes_nothing(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    data = await catalog.created("/api/assistants/", tenant,
                                 {"name": "Empfang", "analysis_fields": FIELDS})
    for fields, where in BAD:
        response = await catalog.call("PUT", f"/api/assistants/{data['id']}", tenant,
                                      json={"analysis_fields": fields})
        assert response.status_code == 422, (fields, response.text)
        assert where in {d["field"] for d in response.json()["details"]}
    assert await catalog.event_types(data["id"]) == ["assistant_created"]
    got = (await catalog.call("GET", f"/api/assistants/{data['id']}", tenant)).json()
    assert got["data"]["analysis_fields"] == FIELDS


async def test_put_replaces_the_fields_and_a_put_without_them_keeps_them(
        catalog: CatalogApi, infra: ServerSet) -> None:
    tenant = uuid.uuid4()
    data = await catalog.created("/api/assistants/", tenant,
                                 {"name": "Empfang", "analysis_fields": FIELDS})
    path = f"/api/assistants/{data['id']}"
    new = [{"name": "complaint", "type": "boolean", "description": "Did they complain?"}]
    replaced = await catalog.call("PUT", path, tenant, json={"analysis_fields": new})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["data"]["analysis_fields"] == new
    renamed = await catalog.call("PUT", path, tenant, json={"name": "Rezeption"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["data"]["analysis_fields"] == new
    emptied = await catalog.call("PUT", path, tenant, json={"analysis_fields": []})
    assert emptied.json()["data"]["analysis_fields"] == []
    got = (await catalog.call("GET", path, tenant)).json()["data"]
    assert got["name"] == "Rezeption" and got["analysis_fields"] == []
    events = await event_data(catalog, data["id"])
    assert [(k, d["analysis_fields"]) for k, d in events] == [
        ("assistant_created", FIELDS), ("assistant_updated", new),
        ("assistant_updated", new), ("assistant_updated", [])]
    messages = await published(infra, data["id"], 4)
    assert [m["data"]["analysis_fields"] for m in messages] == [FIELDS, new, new, []]


async def test_another_tenant_neither_sees_nor_changes_them(catalog: CatalogApi) -> None:
    owner, other = uuid.uuid4(), uuid.uuid4()
    data = await catalog.created("/api/assistants/", owner,
                                 {"name": "Empfang", "analysis_fields": FIELDS})
    path = f"/api/assistants/{data['id']}"
    assert (await catalog.call("GET", path, other)).status_code == 404
    put = await catalog.call("PUT", path, other, json={"analysis_fields": []})
    assert put.status_code == 404
    got = (await catalog.call("GET", path, owner)).json()["data"]
    assert got["analysis_fields"] == FIELDS
