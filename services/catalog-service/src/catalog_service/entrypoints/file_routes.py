"""``/api/files`` (seed 001): knowledge files. An upload is ``multipart/form-data`` with
the field ``file`` and an optional ``description``; its text is extracted afterwards
(status ``uploading``, then ``processed`` or ``error``).

The upload's size is bounded twice: the platform's body limit on this path is
FILE_MAX_BYTES plus room for the multipart framing (a larger body is refused with 413
while it streams in, before it is parsed), and the file part itself must be at most
FILE_MAX_BYTES (413 too). Either way nothing is stored.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from ringbook.web.errors import ApiError
from ringbook.web.input_rules import text_problem
from ringbook.web.routing import PlatformRoute

from catalog_service.application import knowledge_files as files
from catalog_service.application.errors import FileTooLarge
from catalog_service.entrypoints.assistant_routes import ERRORS
from catalog_service.entrypoints.dependencies import CatalogDep, TenantDep
from catalog_service.entrypoints.envelope import Failed, Ok, ok
from catalog_service.entrypoints.schemas_files import (
    MAX_DESCRIPTION_CHARS,
    FileChange,
    FileDeletedOut,
    FileOut,
    FileWithTextOut,
)

PATH = "/api/files"
# Room for the multipart framing and the description around the file's own bytes.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
_FIELDS = {"file", "description"}
_READ_CHUNK = 1024 * 1024

router = APIRouter(prefix=PATH, tags=["files"], route_class=PlatformRoute,
                   responses={**ERRORS, 415: {"model": Failed}})


def upload_limit(file_max_bytes: int) -> int:
    """The body limit of ``POST /api/files``."""
    return file_max_bytes + MULTIPART_OVERHEAD_BYTES


async def _read_bounded(upload: UploadFile, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload.read(_READ_CHUNK):
        size += len(chunk)
        if size > limit:
            raise FileTooLarge(f"the file is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@router.get("/")
@router.get("", include_in_schema=False)
async def list_files(catalog: CatalogDep, tenant: TenantDep) -> Ok[list[FileOut]]:
    return ok([FileOut.of(r) for r in await files.list_files(catalog.uow, tenant)])


@router.post("/", status_code=201)
@router.post("", status_code=201, include_in_schema=False)
async def upload_file(
    request: Request, catalog: CatalogDep, tenant: TenantDep,
    file: Annotated[UploadFile, File(description="pdf, docx, txt, md, csv or html")],
    description: Annotated[str | None, Form(max_length=MAX_DESCRIPTION_CHARS)] = None,
) -> Ok[FileOut]:
    unknown = sorted(set((await request.form()).keys()) - _FIELDS)
    if unknown:
        raise ApiError(422, "Invalid request", [
            {"field": name, "problem": "Extra inputs are not permitted"} for name in unknown])
    if description is not None and (problem := text_problem(description)) is not None:
        # Multipart bodies pass the platform's input rules unread; a NUL would reach Postgres.
        raise ApiError(422, "Invalid request", [{"field": "description", "problem": problem}])
    data = await _read_bounded(file, catalog.file_max_bytes)
    upload = files.Upload(original_name=file.filename or "file", content_type=file.content_type,
                          data=data, description=description)
    record = await files.upload_file(catalog.uow, catalog.clock, catalog.blobs, catalog.classify,
                                     tenant, upload=upload)
    return ok(FileOut.of(record))


@router.get("/{file_id}")
async def get_file(file_id: uuid.UUID, catalog: CatalogDep, tenant: TenantDep
                   ) -> Ok[FileWithTextOut]:
    return ok(FileWithTextOut.of(await files.get_file(catalog.uow, tenant, file_id)))


@router.put("/{file_id}")
async def update_file(file_id: uuid.UUID, body: FileChange, catalog: CatalogDep,
                      tenant: TenantDep) -> Ok[FileOut]:
    record = await files.update_file(catalog.uow, catalog.clock, tenant, file_id, body.changes())
    return ok(FileOut.of(record))


@router.delete("/{file_id}")
async def delete_file(file_id: uuid.UUID, catalog: CatalogDep, tenant: TenantDep
                      ) -> Ok[FileDeletedOut]:
    unlinked = await files.delete_file(catalog.uow, catalog.clock, catalog.blobs, tenant, file_id)
    return ok(FileDeletedOut(id=file_id, unlinked_from_assistants=unlinked))
