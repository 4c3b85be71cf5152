"""Merging OpenAPI documents and choosing forwarded headers: pure functions."""

from __future__ import annotations

from typing import Any

from request_service.entrypoints.openapi_merge import UpstreamDocument, merge_openapi
from request_service.entrypoints.proxy_headers import (
    downstream_response_headers,
    has_body,
    upstream_request_headers,
)
from request_service.gateway_routes import ANALYTICS, CATALOG


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def op(operation_id: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"operationId": operation_id, **extra, "responses": {"200": {
        "description": "ok", "content": {"application/json": {"schema": schema}}}}}


ERROR = {"type": "object", "properties": {"error": {"type": "string"}}}
OWN: dict[str, Any] = {
    "openapi": "3.1.0", "info": {"title": "gateway", "version": "1"},
    "paths": {"/api/auth/login": {"post": op("login", ref("Tool"))},
              "/health": {"get": op("health", ref("ErrorOut"))}},
    "components": {"schemas": {"Tool": {"type": "string"}, "ErrorOut": ERROR}},
}
CATALOG_DOC: dict[str, Any] = {
    "openapi": "3.1.0", "info": {"title": "catalog", "version": "1"},
    "paths": {
        "/api/tools": {"get": op("login", ref("ToolList"), security=[{"Bearer": []}])},
        "/api/tools/{tool_id}": {"get": op("get_tool", ref("Tool")),
                                 "parameters": [{"name": "tool_id", "in": "path"}]},
        "/api/toolsX": {"get": op("x", ref("Stray"))},
        "/internal/tools": {"get": op("internal", ref("InternalOnly"))},
        "/health": {"get": op("health", ref("ErrorOut"))},
    },
    "components": {
        "schemas": {
            "Tool": {"type": "object", "properties": {"name": {"type": "string"}}},
            "ToolList": {"type": "object", "properties": {
                "items": {"type": "array", "items": ref("Tool")}, "error": ref("ErrorOut")},
                "discriminator": {"propertyName": "kind", "mapping": {"t": ref("Tool")["$ref"]}}},
            "ErrorOut": ERROR, "InternalOnly": {"type": "integer"}, "Stray": {"type": "null"},
        },
        "securitySchemes": {"Bearer": {"type": "http", "scheme": "bearer"}},
    },
}


def test_only_the_paths_the_table_gives_an_upstream_are_kept() -> None:
    merged = merge_openapi(OWN, [UpstreamDocument(CATALOG, CATALOG_DOC)])
    assert set(merged["paths"]) == {"/api/auth/login", "/health", "/api/tools",
                                    "/api/tools/{tool_id}"}
    assert merged["paths"]["/health"] == OWN["paths"]["/health"]  # the gateway's own
    schemas = merged["components"]["schemas"]
    assert "InternalOnly" not in schemas and "Stray" not in schemas
    tool_get = merged["paths"]["/api/tools/{tool_id}"]["get"]
    assert tool_get["x-ringbook-service"] == "catalog-service"
    assert merged["paths"]["/api/tools/{tool_id}"]["parameters"][0]["name"] == "tool_id"
    assert "x-ringbook-service" not in merged["paths"]["/api/auth/login"]["post"]
    assert set(tool_get["responses"]) == {"200", "502", "503", "504"}
    assert tool_get["responses"]["504"]["content"]["application/json"]["schema"][
        "required"] == ["error"]


def test_clashing_schemas_are_renamed_and_equal_ones_shared() -> None:
    merged = merge_openapi(OWN, [UpstreamDocument(CATALOG, CATALOG_DOC)])
    schemas = merged["components"]["schemas"]
    assert schemas["Tool"] == {"type": "string"}  # the gateway's keeps its name
    assert schemas["catalog-service.Tool"] == CATALOG_DOC["components"]["schemas"]["Tool"]
    assert schemas["ErrorOut"] == ERROR and "catalog-service.ErrorOut" not in schemas
    tool_list = schemas["ToolList"]
    assert tool_list["properties"]["items"]["items"] == ref("catalog-service.Tool")
    assert tool_list["properties"]["error"] == ref("ErrorOut")
    assert tool_list["discriminator"]["mapping"] == {
        "t": "#/components/schemas/catalog-service.Tool"}
    get_tool = merged["paths"]["/api/tools/{tool_id}"]["get"]
    assert get_tool["responses"]["200"]["content"]["application/json"]["schema"] == ref(
        "catalog-service.Tool")
    # Untouched: the upstream's document is not changed by merging it.
    assert CATALOG_DOC["paths"]["/api/tools/{tool_id}"]["get"]["responses"]["200"][
        "content"]["application/json"]["schema"] == ref("Tool")


def test_a_schema_equal_in_text_but_referring_to_a_renamed_one_is_not_shared() -> None:
    own = {**OWN, "components": {"schemas": {**OWN["components"]["schemas"],
                                             "Box": {"items": ref("Tool")}}}}
    upstream = {"paths": {"/api/tools": {"get": op("box", ref("Box"))}},
                "components": {"schemas": {"Box": {"items": ref("Tool")},
                                           "Tool": {"type": "integer"}}}}
    merged = merge_openapi(own, [UpstreamDocument(CATALOG, upstream)])
    schemas = merged["components"]["schemas"]
    assert schemas["catalog-service.Box"] == {"items": ref("catalog-service.Tool")}
    assert schemas["Box"] == {"items": ref("Tool")}


def test_clashing_operation_ids_and_security_schemes_are_kept_apart() -> None:
    own = {**OWN, "components": {**OWN["components"],
                                 "securitySchemes": {"Bearer": {"type": "apiKey"}}}}
    merged = merge_openapi(own, [UpstreamDocument(CATALOG, CATALOG_DOC)])
    tools = merged["paths"]["/api/tools"]["get"]
    assert tools["operationId"] == "catalog-service.login"
    assert tools["security"] == [{"catalog-service.Bearer": []}]
    assert merged["components"]["securitySchemes"] == {
        "Bearer": {"type": "apiKey"}, "catalog-service.Bearer": {"type": "http",
                                                                 "scheme": "bearer"}}


def test_an_upstream_left_out_is_named_in_the_description() -> None:
    merged = merge_openapi(OWN, [UpstreamDocument(CATALOG, CATALOG_DOC),
                                 UpstreamDocument(ANALYTICS, None, "no answer in time")])
    description = merged["info"]["description"]
    assert "catalog-service." in description
    assert "Left out" in description and "analytics-service (no answer in time)" in description
    alone = merge_openapi(OWN, [])
    assert set(alone["paths"]) == set(OWN["paths"]) and "Left out" not in alone["info"][
        "description"]


def test_hop_by_hop_headers_stop_and_forwarding_headers_are_set() -> None:
    sent = upstream_request_headers(
        [(b"Host", b"gw:8000"), (b"Connection", b"keep-alive, X-Secret-Hop"),
         (b"X-Secret-Hop", b"1"), (b"TE", b"trailers"), (b"Upgrade", b"h2c"),
         (b"Transfer-Encoding", b"chunked"), (b"Content-Length", b"12"),
         (b"Authorization", b"Bearer t"), (b"X-Correlation-Id", b"spoofed"),
         (b"X-Forwarded-Proto", b"gopher"), (b"Expect", b"100-continue")],
        client_host="198.51.100.4", scheme="https", correlation_id="cid-1")
    assert sent == [(b"authorization", b"Bearer t"), (b"x-forwarded-proto", b"https"),
                    (b"x-forwarded-for", b"198.51.100.4"), (b"x-forwarded-host", b"gw:8000"),
                    (b"x-correlation-id", b"cid-1")]
    back = downstream_response_headers(
        [(b"Content-Type", b"application/json"), (b"Connection", b"close, X-Up-Hop"),
         (b"X-Up-Hop", b"1"), (b"Keep-Alive", b"timeout=5"), (b"Set-Cookie", b"a=1"),
         (b"Set-Cookie", b"b=2"), (b"Date", b"x"), (b"Server", b"uvicorn"),
         (b"x-correlation-id", b"cid-1"), (b"Proxy-Authenticate", b"Basic")])
    assert back == [(b"content-type", b"application/json"), (b"set-cookie", b"a=1"),
                    (b"set-cookie", b"b=2")]


def test_a_request_has_a_body_when_it_declares_one() -> None:
    assert has_body([(b"content-length", b"3")])
    assert has_body([(b"transfer-encoding", b"chunked")])
    assert not has_body([(b"content-length", b"0")])
    assert not has_body([(b"accept", b"*/*")])
