"""The docs pages: self-hosted assets under a policy that allows nothing else, and absent in
production unless API_DOCS turns them on."""

import base64
import hashlib
import re

import pytest
from httpx import ASGITransport, AsyncClient

from {{ cookiecutter.package_name }}.main import create_app

from tests.support import make_settings

PAGES = ("/docs", "/redoc", "/docs/oauth2-redirect")
PRODUCTION = {"ENVIRONMENT": "production", "SECRET_KEY": "p" * 40}


def script_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


@pytest.mark.parametrize("path", PAGES)
async def test_a_docs_page_loads_only_its_own_assets(client: AsyncClient, path: str) -> None:
    page = await client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    linked = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert "://" not in page.text.replace("window.location", ""), "a third-party URL"
    for url in linked:
        assert url.startswith("/docs/assets/"), url
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert asset.content


@pytest.mark.parametrize("path", PAGES)
async def test_a_docs_pages_policy_allows_its_inline_script_by_hash_only(
    client: AsyncClient, path: str
) -> None:
    page = await client.get(path)
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in page.headers["content-security-policy"].split(";")
    )
    sources = policy["script-src"].split()
    assert "'unsafe-inline'" not in sources
    assert not [source for source in sources if source.startswith("http")]
    inline = re.findall(r"<script>(.*?)</script>", page.text, flags=re.DOTALL)
    assert {script_hash(script) for script in inline} == set(sources) - {"'self'"}
    # Tampering with the page's script would change its hash and stop it running.
    assert policy["default-src"] == "'none'"


async def test_the_assets_are_the_bundled_ones(client: AsyncClient) -> None:
    script = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert script.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert b"SwaggerUIBundle" in script.content


@pytest.mark.parametrize(
    ("settings", "served"),
    [
        (PRODUCTION, False),
        (PRODUCTION | {"API_DOCS": True}, True),
        ({"API_DOCS": False}, False),
        ({}, True),
    ],
)
async def test_production_has_no_docs_or_openapi_unless_asked(
    database_url: str, settings: dict[str, object], *, served: bool
) -> None:
    app = create_app(make_settings(database_url, **settings))
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
        for path in (*PAGES, "/openapi.json", "/docs/assets/swagger-ui.css"):
            response = await client.get(path)
            assert response.status_code == (200 if served else 404), path
            if not served:
                assert response.headers["content-type"] == "application/problem+json"
