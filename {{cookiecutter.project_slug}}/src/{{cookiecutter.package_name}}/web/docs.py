"""The documentation pages: Swagger UI at /docs and ReDoc at /redoc.

Their scripts, styles and icon are served by this process, from the copies the
`fastapi-offline` package bundles (pinned by the lock file, so they change only when the lock
does), never from a CDN. Each page carries a Content-Security-Policy that allows only those
files and the page's own inline script, by its hash: a tampered or injected script does not
run.

`API_DOCS` decides whether the pages and /openapi.json exist; by default they do, except in
production (see `Settings.api_docs_enabled`).
"""

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

OPENAPI_PATH = "/openapi.json"
ASSETS_PATH = "/docs/assets"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def install_docs(app: FastAPI) -> None:
    """Serve /docs, its OAuth2 redirect page, /redoc, and their assets."""
    app.mount(ASSETS_PATH, StaticFiles(directory=_assets_directory()), name="docs_assets")
    pages = {
        "/docs": get_swagger_ui_html(
            openapi_url=OPENAPI_PATH,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon.png",
            oauth2_redirect_url=OAUTH2_REDIRECT_PATH,
            # No badge from swagger.io's validator: the page talks to this service only.
            swagger_ui_parameters={"validatorUrl": None},
        ),
        OAUTH2_REDIRECT_PATH: get_swagger_ui_oauth2_redirect_html(),
        "/redoc": get_redoc_html(
            openapi_url=OPENAPI_PATH,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        ),
    }
    for path, page in pages.items():
        app.add_route(path, _page(bytes(page.body)), include_in_schema=False)


def content_security_policy(page: bytes) -> str:
    """Scripts and styles from this origin, plus the page's own inline scripts by hash. Styles
    may be inline (both UIs set them from script); ReDoc renders in a worker from a blob."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(page)
    )
    return (
        f"default-src 'none'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src blob:; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def _page(body: bytes) -> Callable[[Request], Awaitable[HTMLResponse]]:
    """An endpoint serving one fixed page, with the policy that fits it (computed once)."""
    headers = {"Content-Security-Policy": content_security_policy(body)}

    async def page(_request: Request) -> HTMLResponse:
        return HTMLResponse(body, headers=headers)

    return page


def _assets_directory() -> Path:
    return Path(str(files("fastapi_offline") / "static"))
