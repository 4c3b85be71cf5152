"""How the application's refusals are answered: the platform's error body (the envelope
middleware adds ``success: false`` where seed 001 wants it).

=====================  ======  ===============================================
NotFound               404     ``"<Thing> not found"`` (another tenant's id too)
InvalidInput           422     details ``[{"field", "problem"}]``
Conflict               409     a taken name or number
ConcurrencyConflict    409     another request changed it first: read, retry
ConcurrentChange       409     Postgres gave the transaction up for another: retry
UnsupportedFile        415     the upload's type is not one we read
FileTooLarge           413
ProvisioningFailed     502     the carrier could not be asked; nothing stored
StoreUnavailable       503     Postgres away; nothing stored (Retry-After)
BlobStoreUnavailable   503     the file store away; nothing stored (Retry-After)
=====================  ======  ===============================================
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from ringbook.store.event_store import ConcurrencyConflict
from ringbook.web.errors import error_body

from catalog_service.application.blob_store import BlobStoreUnavailable
from catalog_service.application.errors import (
    Conflict,
    FileTooLarge,
    InvalidInput,
    NotFound,
    ProvisioningFailed,
    UnsupportedFile,
)
from catalog_service.application.ports import ConcurrentChange, StoreUnavailable

CONCURRENT_CHANGE = "Changed by another request at the same time: read it again and retry"


def _answer(status: int, error: str, details: object = None,
            headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(error, details), status_code=status, headers=headers)


def _to_response(exc: Exception) -> JSONResponse:
    if isinstance(exc, NotFound):
        return _answer(404, f"{exc.what} not found")
    if isinstance(exc, InvalidInput):
        return _answer(422, "Invalid request", [{"field": exc.field, "problem": exc.problem}])
    if isinstance(exc, Conflict):
        return _answer(409, str(exc))
    if isinstance(exc, ConcurrencyConflict | ConcurrentChange):
        return _answer(409, CONCURRENT_CHANGE)
    if isinstance(exc, UnsupportedFile):
        return _answer(415, "Unsupported file type", [{"field": "file", "problem": str(exc)}])
    if isinstance(exc, FileTooLarge):
        return _answer(413, "File too large", [{"field": "file", "problem": str(exc)}])
    if isinstance(exc, ProvisioningFailed):
        return _answer(502, "The carrier could not be asked; nothing was stored",
                       [{"field": "phone_number", "problem": str(exc)}])
    if isinstance(exc, BlobStoreUnavailable):
        return _answer(503, "File store temporarily unavailable; nothing was stored",
                       headers={"Retry-After": "2"})
    assert isinstance(exc, StoreUnavailable)
    return _answer(503, "Service temporarily unavailable", headers={"Retry-After": "2"})


HANDLED: tuple[type[Exception], ...] = (
    NotFound, InvalidInput, Conflict, ConcurrencyConflict, ConcurrentChange, UnsupportedFile,
    FileTooLarge,
    ProvisioningFailed, StoreUnavailable, BlobStoreUnavailable,
)


def install(app: FastAPI) -> None:
    async def handle(_: Request, exc: Exception) -> Response:
        return _to_response(exc)

    handler: Callable[[Request, Exception], object] = handle
    for kind in HANDLED:
        app.add_exception_handler(kind, handler)  # type: ignore[arg-type]
