"""The closed, versioned catalogue of event types.

A service reads another service's events only through these models. Parsing an event
whose type is not here fails loudly (``UnknownEventType``): guessing at a payload we do
not understand would silently corrupt a projection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import ValidationError

from ringbook.contracts.streams import StreamSpec
from ringbook.events import Envelope, EventData


class UnknownEventType(ValueError):
    pass


class MalformedEvent(ValueError):
    pass


@dataclass(frozen=True)
class CatalogueEntry:
    name: str
    aggregates: tuple[str, ...]  # the first is the default for new events
    stream: StreamSpec
    model: type[EventData]

    @property
    def aggregate(self) -> str:
        return self.aggregates[0]


_BY_TYPE: dict[str, CatalogueEntry] = {}
_BY_MODEL: dict[type[EventData], CatalogueEntry] = {}


def register(
    type_: str, *, aggregate: str | tuple[str, ...], stream: StreamSpec, model: type[EventData]
) -> None:
    """Register an event type; ``aggregate`` names the aggregate(s) allowed to emit it
    (the conversation and the call job both end a call, for instance)."""
    if type_ in _BY_TYPE:
        raise ValueError(f"event type {type_!r} registered twice")
    aggregates = (aggregate,) if isinstance(aggregate, str) else aggregate
    entry = CatalogueEntry(type_, aggregates, stream, model)
    _BY_TYPE[type_] = entry
    _BY_MODEL[model] = entry


def _ensure_loaded() -> None:
    # The contract modules register themselves on import; importing them here (and not
    # at this module's import) keeps the import graph acyclic.
    from ringbook.contracts import (  # noqa: F401
        bookings,
        call_log,
        calls,
        catalog,
        leads,
        requests,
    )


def entry_for_type(type_: str) -> CatalogueEntry:
    _ensure_loaded()
    try:
        return _BY_TYPE[type_]
    except KeyError:
        raise UnknownEventType(f"unknown event type {type_!r}") from None


def entry_for_data(data: EventData) -> CatalogueEntry:
    _ensure_loaded()
    try:
        return _BY_MODEL[type(data)]
    except KeyError:
        raise UnknownEventType(f"{type(data).__name__} is not in the catalogue") from None


def known_types() -> list[str]:
    _ensure_loaded()
    return sorted(_BY_TYPE)


def subject_for(envelope: Envelope) -> str:
    entry = entry_for_type(envelope.type)
    return (
        f"ringbook.{entry.stream.context}.{envelope.aggregate}."
        f"{envelope.aggregate_id}.{envelope.type}"
    )


def parse_envelope(raw: bytes | str | dict[str, Any]) -> Envelope:
    """Decode and validate an envelope and its typed data."""
    try:
        body = orjson.loads(raw) if isinstance(raw, bytes | str) else dict(raw)
    except orjson.JSONDecodeError as exc:
        raise MalformedEvent(f"not JSON: {exc}") from exc
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        raise MalformedEvent("an envelope is a JSON object with a string 'type'")
    entry = entry_for_type(body["type"])
    if body.get("aggregate") not in entry.aggregates:
        aggregate = body.get("aggregate")
        raise MalformedEvent(f"{body['type']} is not an event of aggregate {aggregate!r}")
    try:
        data = entry.model.model_validate(body.get("data"))
        return Envelope.model_validate({**body, "data": data})
    except ValidationError as exc:
        raise MalformedEvent(f"{body['type']}: {exc.errors(include_url=False)}") from exc
