"""The interactive API docs (Swagger UI), allowed to run exactly its own inline script."""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
_CDN = "https://cdn.jsdelivr.net"

router = APIRouter(include_in_schema=False)


def _script_hashes(html: str) -> list[str]:
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    ]


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    openapi_url = request.app.openapi_url or "/api/v1/openapi.json"
    page = get_swagger_ui_html(openapi_url=openapi_url, title=f"{request.app.title} API")
    html = bytes(page.body).decode()
    # The page's own inline script is allowed by its hash, never 'unsafe-inline'.
    policy = (
        f"default-src 'none'; script-src {_CDN} {' '.join(_script_hashes(html))}; "
        f"style-src {_CDN} 'unsafe-inline'; img-src 'self' data: https:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": policy})
