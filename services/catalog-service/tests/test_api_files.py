"""/api/files through the HTTP app: the multipart upload, its limits (nothing stored when
refused), the seed's fields, rename, and deletion ending links and the blob."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from catalog_service.application.blob_store import BlobMissing, BlobStore
from catalog_service.entrypoints.app import Edges, create_app
from catalog_service.sample_files import pdf_with_text
from catalog_service.settings import CatalogSettings
from catalog_service.testing.api import CatalogApi
from ringbook.clock import FakeClock
from ringbook_devtools.testing.waiting import eventually

TEXT = b"Unsere Praxis ist montags bis freitags von 8 bis 18 Uhr geoeffnet."
LIMIT = 64 * 1024  # FILE_MAX_BYTES in these tests (conftest)


async def upload(catalog: CatalogApi, tenant: uuid.UUID, name: str = "company_info.txt",
                 data: bytes = TEXT, **fields: Any) -> Any:
    return await catalog.call("POST", "/api/files/", tenant,
                              files={"file": (name, data, "text/plain")}, data=fields)


async def test_upload_list_get_rename_delete(catalog: CatalogApi, blobs: BlobStore) -> None:
    tenant = uuid.uuid4()
    response = await upload(catalog, tenant, description="Öffnungszeiten")
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert (data["filename"], data["original_name"], data["file_type"]) == (
        "company_info.txt", "company_info.txt", "txt")
    assert (data["file_size"], data["status"], data["description"]) == (
        len(TEXT), "uploading", "Öffnungszeiten")
    assert data["owner_id"] == str(tenant) and data["error"] is None
    assert data["s3_url"].startswith("file://")
    assert await blobs.get(data["s3_url"]) == TEXT
    assert await catalog.event_types(data["id"]) == ["file_uploaded"]
    listed = (await catalog.call("GET", "/api/files/", tenant)).json()["data"]
    assert listed == [data] and "extracted_text" not in listed[0]
    url = f"/api/files/{data['id']}"
    one = (await catalog.call("GET", url, tenant)).json()["data"]
    assert one == {**data, "extracted_text": None}
    renamed = await catalog.call("PUT", url, tenant, json={"filename": "../praxis.txt",
                                                           "description": None})
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["data"]["filename"], renamed.json()["data"]["description"]) == (
        "praxis.txt", None)
    deleted = await catalog.call("DELETE", url, tenant)
    assert deleted.json() == {"success": True, "data": {
        "id": data["id"], "deleted": True, "unlinked_from_assistants": []}}
    with pytest.raises(BlobMissing):
        await blobs.get(data["s3_url"])
    assert await catalog.event_types(data["id"]) == ["file_uploaded", "file_updated",
                                                     "file_deleted"]
    assert (await catalog.call("GET", url, tenant)).status_code == 404


async def test_a_processed_files_text_and_an_errors_reason_are_shown(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    done = (await upload(catalog, tenant)).json()["data"]
    failed = (await upload(catalog, tenant, name="scan.txt")).json()["data"]
    # What the extraction worker writes (its own module and events).
    await catalog.pool.execute(
        "update knowledge_files set status = 'processed', extracted_text = $2,"
        " language = 'german', chunk_count = 1 where id = $1", uuid.UUID(done["id"]), TEXT.decode())
    await catalog.pool.execute(
        "update knowledge_files set status = 'error', error = 'no text in the file'"
        " where id = $1", uuid.UUID(failed["id"]))
    got = (await catalog.call("GET", f"/api/files/{done['id']}", tenant)).json()["data"]
    assert (got["status"], got["extracted_text"], got["language"]) == (
        "processed", TEXT.decode(), "german")
    bad = (await catalog.call("GET", f"/api/files/{failed['id']}", tenant)).json()["data"]
    assert (bad["status"], bad["error"]) == ("error", "no text in the file")


async def test_refused_uploads_store_nothing(catalog: CatalogApi,
                                             settings: CatalogSettings) -> None:
    tenant = uuid.uuid4()
    over_part = await upload(catalog, tenant, data=b"x" * (LIMIT + 1))
    assert over_part.status_code == 413, over_part.text
    assert over_part.json()["success"] is False
    over_body = await upload(catalog, tenant, data=b"x" * (LIMIT + 100 * 1024))
    assert over_body.status_code == 413
    assert over_body.json() == {"success": False, "error": "Request body too large"}
    kind = await upload(catalog, tenant, name="photo.png", data=b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    assert kind.status_code == 415
    assert kind.json()["details"][0]["field"] == "file"
    extra = await upload(catalog, tenant, owner_id="1")
    assert extra.status_code == 422 and extra.json()["details"][0]["field"] == "owner_id"
    none = await catalog.call("POST", "/api/files/", tenant, data={"description": "x"})
    assert none.status_code == 422 and none.json()["details"][0]["field"] == "file"
    as_json = await catalog.call("POST", "/api/files/", tenant, json={"file": "x"})
    assert as_json.status_code == 422
    long_description = await upload(catalog, tenant, description="d" * 2001)
    assert long_description.status_code == 422
    stored = settings.file_store_dir
    assert not stored.exists() or not [p for p in stored.rglob("*") if p.is_file()]
    assert await catalog.count("events") == 0 and await catalog.count("knowledge_files") == 0
    # The larger body limit is the upload route's alone.
    big_json = await catalog.call("PUT", f"/api/files/{uuid.uuid4()}", tenant,
                                  json={"description": "d" * 70_000})
    assert big_json.status_code == 413


async def test_a_file_exactly_at_the_limit_is_accepted(catalog: CatalogApi) -> None:
    response = await upload(catalog, uuid.uuid4(), data=b"y" * LIMIT)
    assert response.status_code == 201, response.text
    assert response.json()["data"]["file_size"] == LIMIT


async def test_deleting_a_file_unlinks_it_from_each_assistant(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    file = (await upload(catalog, tenant)).json()["data"]
    assistant = await catalog.created("/api/assistants/", tenant,
                                      {"name": "Bot", "file_ids": [file["id"]]})
    response = await catalog.call("DELETE", f"/api/files/{file['id']}", tenant)
    assert response.json()["data"]["unlinked_from_assistants"] == [assistant["id"]]
    assert await catalog.event_types(assistant["id"]) == [
        "assistant_created", "assistant_file_linked", "assistant_file_unlinked"]
    got = (await catalog.call("GET", f"/api/assistants/{assistant['id']}", tenant)).json()
    assert got["data"]["files"] == []


async def test_text_no_column_can_hold_is_refused_in_multipart_too(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    nul_description = await upload(catalog, tenant, description="a\x00b")
    assert nul_description.status_code == 422, nul_description.text
    assert nul_description.json()["details"][0]["field"] == "description"
    assert await catalog.count("events") == 0
    # httpx escapes a NUL in a file name; a raw client need not.
    raw = (b'--B\r\nContent-Disposition: form-data; name="file"; filename="bad\x00name.txt"\r\n'
           b"Content-Type: text/plain\r\n\r\nhello\r\n--B--\r\n")
    control = await catalog.call("POST", "/api/files/", tenant, content=raw,
                                 headers={"Content-Type": "multipart/form-data; boundary=B"})
    assert control.status_code == 201, control.text
    data = control.json()["data"]
    assert (data["filename"], data["original_name"]) == ("bad_name.txt", "bad_name.txt")


async def test_an_upload_is_read_by_the_extraction_worker(
        settings: CatalogSettings, clock: FakeClock, edges: Edges, fresh_streams: None) -> None:
    """The whole path: the upload's file_uploaded reaches the extraction worker over
    CATALOG, which records the text; the API then shows it."""
    app = create_app(settings, clock, Edges(resolve=edges.resolve, extraction=True))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            api, tenant = CatalogApi(client, app), uuid.uuid4()
            pdf = pdf_with_text([["Die Praxis ist montags bis freitags geöffnet."]])
            response = await api.call("POST", "/api/files/", tenant,
                                      files={"file": ("praxis.pdf", pdf, "application/pdf")})
            assert response.status_code == 201, response.text
            url = f"/api/files/{response.json()['data']['id']}"
            last: dict[str, Any] = {}

            async def settled() -> bool:
                nonlocal last
                last = (await api.call("GET", url, tenant)).json()["data"]
                return last["status"] != "uploading"

            await eventually(settled, 60, poll=0.2, what=lambda: last)
            assert last["status"] == "processed", last
            assert "montags bis freitags" in last["extracted_text"]
            assert last["file_type"] == "pdf" and last["chunk_count"] >= 1
