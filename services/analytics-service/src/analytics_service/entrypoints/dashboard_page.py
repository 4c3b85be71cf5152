"""``GET /dashboard``: the owners' calls dashboard, a static page and its script.

The page is public (it holds no data); it signs in through the gateway's
``/api/auth/login`` and reads ``/api/analytics/daily`` with the owner's token, like any
other frontend. Everything it loads comes from this origin, the chart library included
(plotly.js, the copy shipped inside the ``plotly`` package), so it works with no
internet, and its Content-Security-Policy says so: a script from anywhere else, or an
inline one, is refused by the browser.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from fastapi import APIRouter, Request, Response

router = APIRouter(prefix="/dashboard", tags=["dashboard"], include_in_schema=False)

# plotly.js injects its own <style> elements, hence 'unsafe-inline' for styles only;
# scripts, data and frames are this origin's alone.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str
    # The page itself is revalidated on every load (it names the other files); the
    # script and chart library are revalidated by their ETag after an hour.
    max_age: int


def _asset(package: str, path: str, media_type: str, max_age: int) -> Asset:
    body = resources.files(package).joinpath(*path.split("/")).read_bytes()
    return Asset(body, media_type, '"' + hashlib.sha256(body).hexdigest()[:32] + '"', max_age)


# Read on first use (never at import) and kept: the files are part of the installed code.
@cache
def page_asset(name: str) -> Asset:
    kinds = {"index.html": ("text/html; charset=utf-8", 0),
             "dashboard.js": ("text/javascript; charset=utf-8", 3600),
             "dashboard.css": ("text/css; charset=utf-8", 3600)}
    media_type, max_age = kinds[name]
    return _asset("analytics_service.dashboard", name, media_type, max_age)


@cache
def chart_library() -> Asset:
    return _asset("plotly", "package_data/plotly.min.js", "text/javascript; charset=utf-8",
                  86400)


def _serve(request: Request, asset: Asset) -> Response:
    headers = {
        "ETag": asset.etag,
        "Cache-Control": f"private, max-age={asset.max_age}",
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


@router.get("")
async def dashboard(request: Request) -> Response:
    return _serve(request, page_asset("index.html"))


@router.get("/dashboard.js")
async def dashboard_script(request: Request) -> Response:
    return _serve(request, page_asset("dashboard.js"))


@router.get("/dashboard.css")
async def dashboard_styles(request: Request) -> Response:
    return _serve(request, page_asset("dashboard.css"))


@router.get("/vendor/plotly.min.js")
async def plotly_js(request: Request) -> Response:
    return _serve(request, chart_library())
