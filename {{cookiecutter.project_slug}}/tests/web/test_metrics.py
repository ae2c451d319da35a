"""/metrics: requests counted by route template (never a raw ID), latency that moves, the
pool's connections, process metrics, and closed to the public in production."""

import json
import re
import uuid
from io import StringIO

import pytest
from httpx import ASGITransport, AsyncClient

from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.users.models import User

from tests.support import TEST_SECRET_KEY, TokenPairJson, bearer, make_settings

USER_BY_ID = "/api/v1/users/{user_id}"


def sample(exposition: str, name: str, **labels: str) -> float:
    """The value of one sample in the text exposition format (0 when absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in exposition.splitlines():
        metric, _, value = line.rpartition(" ")
        if metric.startswith(name + "{") or metric == name:
            found = re.findall(r'(\w+)="([^"]*)"', metric)
            if ",".join(f'{k}="{v}"' for k, v in sorted(found)) == wanted:
                return float(value)
    return 0.0


async def scrape(client: AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_requests_are_counted_by_route_template_never_by_raw_id(
    client: AsyncClient, admin_tokens: TokenPairJson
) -> None:
    labels = {"method": "GET", "route": USER_BY_ID, "status": "404"}
    before = await scrape(client)
    missing = [uuid.uuid4() for _ in range(3)]
    for user_id in missing:
        response = await client.get(
            f"/api/v1/users/{user_id}", headers=bearer(admin_tokens["access_token"])
        )
        assert response.status_code == 404
    after = await scrape(client)

    assert (
        sample(after, "http_requests_total", **labels)
        == sample(before, "http_requests_total", **labels) + 3
    )
    count = "http_request_duration_seconds_count"
    assert sample(after, count, **labels) == sample(before, count, **labels) + 3
    assert sample(after, "http_request_duration_seconds_sum", **labels) > sample(
        before, "http_request_duration_seconds_sum", **labels
    )
    assert not any(str(user_id) in after for user_id in missing)


async def test_every_unknown_path_shares_one_label(client: AsyncClient) -> None:
    labels = {"method": "GET", "route": "unmatched", "status": "404"}
    before = sample(await scrape(client), "http_requests_total", **labels)
    for path in ("/nothing", "/wp-admin/setup.php", f"/{uuid.uuid4()}"):
        await client.get(path)
    after = await scrape(client)
    assert sample(after, "http_requests_total", **labels) == before + 3
    assert "wp-admin" not in after


async def test_the_pool_and_the_process_are_measured(committing_client: AsyncClient) -> None:
    # This client's app has a pool of its own (the other fixtures share one test connection).
    assert (await committing_client.get("/health/ready")).status_code == 200
    form = {"username": "nobody@example.com", "password": "not a password"}
    await committing_client.post("/api/v1/auth/login", data=form)
    exposition = await scrape(committing_client)
    assert sample(exposition, "db_pool_connections_in_use") == 0
    assert sample(exposition, "db_pool_connections_idle") >= 1
    assert sample(exposition, "process_resident_memory_bytes") > 0


async def test_the_access_log_names_the_route_template_and_the_caller(
    client: AsyncClient, user: User, user_tokens: TokenPairJson, log_lines: StringIO
) -> None:
    log_lines.seek(0)  # the login that made the tokens logged its own line: start afresh
    log_lines.truncate()
    await client.get("/api/v1/users/me", headers=bearer(user_tokens["access_token"]))
    records = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    access = [record for record in records if record["logger"].endswith(".access")]
    assert [record["route"] for record in access] == ["/api/v1/users/me"]
    assert access[0]["user_id"] == str(user.id)


@pytest.mark.parametrize(
    ("token", "sent", "status"),
    [
        (None, None, 404),
        ("a-metrics-token-of-enough-length", None, 404),
        ("a-metrics-token-of-enough-length", "Bearer wrong", 404),
        ("a-metrics-token-of-enough-length", "Bearer a-metrics-token-of-enough-length", 200),
    ],
)
async def test_production_serves_metrics_only_to_the_bearer_of_metrics_token(
    database_url: str, token: str | None, sent: str | None, status: int
) -> None:
    settings = make_settings(
        database_url, ENVIRONMENT="production", SECRET_KEY=TEST_SECRET_KEY, METRICS_TOKEN=token
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url="http://testserver") as client:
            headers = {} if sent is None else {"Authorization": sent}
            response = await client.get("/metrics", headers=headers)
    assert response.status_code == status
    if status == 404:
        assert response.json()["code"] == "not_found"
