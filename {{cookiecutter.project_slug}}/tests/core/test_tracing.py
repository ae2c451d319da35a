"""Tracing (the `full` observability option): a span per request with its SQL statements as
children, trace IDs in the logs, no secret in any span, a dead collector that slows nothing,
and Sentry events without personal data."""

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import httpx
import pytest
import sentry_sdk
from fastapi import APIRouter, FastAPI
from httpx import ASGITransport, AsyncClient
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from {{ cookiecutter.package_name }}.core import tracing
from {{ cookiecutter.package_name }}.core.mail_catcher import MailCatcher
from {{ cookiecutter.package_name }}.main import create_app

from tests.support import delivering_on, free_port, make_settings
from tests.test_no_secrets_in_logs import exercise_every_secret, service_lines


async def serve(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def traced_app(committing_database_url: str, spans: InMemorySpanExporter) -> FastAPI:
    """An app with its own pool (so its SQL is instrumented), its spans kept in memory."""
    return create_app(make_settings(committing_database_url), span_exporter=spans)


@pytest.fixture
async def traced_client(traced_app: FastAPI) -> AsyncIterator[AsyncClient]:
    async for client in serve(traced_app):
        yield client


def finished(app: FastAPI, spans: InMemorySpanExporter) -> list[ReadableSpan]:
    provider: TracerProvider = app.state.tracer_provider
    provider.force_flush()
    return list(spans.get_finished_spans())


async def test_a_request_span_holds_its_sql_statements(
    traced_app: FastAPI, traced_client: AsyncClient, spans: InMemorySpanExporter
) -> None:
    response = await traced_client.get("/api/v1/users/me")  # 401: still a request, no SQL
    assert response.status_code == 401
    await traced_client.post(
        "/api/v1/auth/login", data={"username": "nobody@example.com", "password": "x" * 12}
    )
    recorded = finished(traced_app, spans)

    login = [span for span in recorded if span.name == "POST /api/v1/auth/login"]
    assert len(login) == 1
    assert login[0].attributes is not None
    assert login[0].attributes.get("http.route") == "/api/v1/auth/login"
    trace_id = login[0].context.trace_id
    statements = [
        span
        for span in recorded
        if span.context.trace_id == trace_id and "db.statement" in (span.attributes or {})
    ]
    assert statements, [span.name for span in recorded]
    by_id = {span.context.span_id: span for span in recorded}
    for statement in statements:
        # Walk up: every SQL span descends from the request's span.
        parent = statement.parent
        while parent is not None and parent.span_id != login[0].context.span_id:
            parent = by_id[parent.span_id].parent
        assert parent is not None


async def test_log_lines_carry_the_trace_of_their_request(
    traced_app: FastAPI,
    traced_client: AsyncClient,
    spans: InMemorySpanExporter,
    log_lines: StringIO,
) -> None:
    await traced_client.get("/health/live")
    recorded = finished(traced_app, spans)
    records = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    access = [record for record in records if record.get("route") == "/health/live"]
    assert access[0]["trace_id"] == f"{recorded[-1].context.trace_id:032x}"
    assert len(access[0]["span_id"]) == 16


async def test_no_password_token_or_address_reaches_a_span_or_a_log_line(
    traced_app: FastAPI,
    traced_client: AsyncClient,
    spans: InMemorySpanExporter,
    log_lines: StringIO,
    committing_database_url: str,
    mail_catcher: MailCatcher,
) -> None:
    async with delivering_on(committing_database_url, mail_catcher) as deliver:
        secrets = await exercise_every_secret(traced_client, deliver)
    recorded = finished(traced_app, spans)
    exported = json.dumps([json.loads(span.to_json()) for span in recorded])
    assert "db.statement" in exported
    logged = service_lines(log_lines)
    for secret in secrets:
        assert secret not in exported
        assert secret not in logged


async def test_an_unreachable_collector_slows_nothing_and_is_reported_once(
    committing_database_url: str, log_lines: StringIO
) -> None:
    # Nothing listens on this port of 127.0.0.1: every export fails at once.
    dead = OTLPSpanExporter(endpoint=f"http://127.0.0.1:{free_port()}/v1/traces", timeout=1)
    app = create_app(make_settings(committing_database_url), span_exporter=dead)
    async for client in serve(app):
        started = time.monotonic()
        for _ in range(3):
            for _ in range(20):
                assert (await client.get("/health/live")).status_code == 200
            app.state.tracer_provider.force_flush()
        elapsed = time.monotonic() - started
    lines = log_lines.getvalue().splitlines()
    assert len([line for line in lines if "trace export failing" in line]) == 1
    # 60 requests and 3 failed exports: no request waited for the collector's timeout.
    assert elapsed < 30


class Collector(ThreadingHTTPServer):
    """A stand-in OpenTelemetry collector on 127.0.0.1: it keeps what is posted to it."""

    def __init__(self) -> None:
        self.received: list[tuple[str, bytes]] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                collector.received.append((self.path, body))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def collector() -> Iterator[Collector]:
    server = Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


async def test_spans_go_to_the_collector_the_otel_variables_name(
    committing_database_url: str, collector: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)
    monkeypatch.setenv("OTEL_SERVICE_NAME", "traced-by-a-test")
    app = create_app(make_settings(committing_database_url))
    async for client in serve(app):
        assert (await client.get("/health/ready")).status_code == 200
        await asyncio.to_thread(app.state.tracer_provider.force_flush)
    paths = [path for path, _ in collector.received]
    exported = b"".join(body for _, body in collector.received)
    assert paths and set(paths) == {"/v1/traces"}
    assert b"GET /health/ready" in exported
    assert b"traced-by-a-test" in exported


async def test_outgoing_http_calls_are_children_of_the_request(
    committing_database_url: str, collector: Collector, spans: InMemorySpanExporter
) -> None:
    router = APIRouter()

    @router.get("/_probe/call-out")
    async def call_out() -> None:
        async with httpx.AsyncClient() as outgoing:
            await outgoing.post(f"{collector.url}/elsewhere", content=b"{}")

    app = create_app(make_settings(committing_database_url), span_exporter=spans)
    app.include_router(router)
    async for client in serve(app):
        assert (await client.get("/_probe/call-out")).status_code == 200
    recorded = finished(app, spans)
    request = next(span for span in recorded if span.name == "GET /_probe/call-out")
    outgoing = [span for span in recorded if span.kind is SpanKind.CLIENT and span.name == "POST"]
    assert len(outgoing) == 1
    assert outgoing[0].parent is not None
    assert outgoing[0].parent.span_id == request.context.span_id


async def test_an_unreachable_sentry_changes_nothing_for_the_client(
    committing_database_url: str, log_lines: StringIO
) -> None:
    router = APIRouter()

    @router.get("/_probe/fail")
    async def fail() -> None:
        raise RuntimeError("reported to a Sentry that is not there")

    settings = make_settings(
        committing_database_url, SENTRY_DSN=f"http://public@127.0.0.1:{free_port()}/1"
    )
    app = create_app(settings)
    app.include_router(router)
    try:
        async for client in serve(app):
            started = time.monotonic()
            response = await client.get("/_probe/fail")
            elapsed = time.monotonic() - started
            for _ in range(2):
                await client.get("/_probe/fail")
        await asyncio.to_thread(sentry_sdk.flush, 5)
    finally:
        sentry_sdk.init()  # off again for the other tests
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    # Sending happens on Sentry's own thread: the answer did not wait for it.
    assert elapsed < 5
    warnings = [line for line in log_lines.getvalue().splitlines() if "Sentry failing" in line]
    assert len(warnings) == 1


class CapturingTransport(Transport):
    def __init__(self) -> None:
        super().__init__()
        self.envelopes: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)


@pytest.fixture
def sentry_events() -> Iterator[CapturingTransport]:
    transport = CapturingTransport()
    settings = make_settings(None, SENTRY_DSN="https://public@127.0.0.1:9/1")
    assert tracing.configure_sentry(settings, transport=transport)
    yield transport
    sentry_sdk.init()  # off again for the other tests


async def test_sentry_gets_the_error_without_credentials_or_body(
    committing_database_url: str, sentry_events: CapturingTransport
) -> None:
    router = APIRouter()

    @router.post("/_probe/explode")
    async def explode(body: dict[str, str]) -> None:
        raise RuntimeError("exploded while handling a request")

    app = create_app(make_settings(committing_database_url))
    app.include_router(router)
    async for client in serve(app):
        response = await client.post(
            "/_probe/explode",
            json={"password": "recognisable-PASSWORD-4417"},
            headers={"Authorization": "Bearer recognisable-TOKEN-0311", "Cookie": "s=COOKIE-88"},
        )
    sentry_sdk.flush()
    assert response.status_code == 500
    sent = b"".join(envelope.serialize() for envelope in sentry_events.envelopes).decode()
    assert "exploded while handling a request" in sent
    for secret in ("recognisable-PASSWORD-4417", "recognisable-TOKEN-0311", "COOKIE-88"):
        assert secret not in sent


@pytest.mark.parametrize(
    "body",
    [b'{"email": ' + b"[" * 40 + b"]" * 40 + b"}", b'{"email": "\xff"}'],
    ids=["too deep", "not UTF-8"],
)
async def test_with_sentry_on_a_refused_body_is_answered_not_left_waiting(
    committing_database_url: str, sentry_events: CapturingTransport, body: bytes
) -> None:
    # Sentry reads request bodies for its events and swallows any error while doing so. When
    # the body checks raised from inside `receive`, that left the route waiting for ever.
    app = create_app(make_settings(committing_database_url))
    async for client in serve(app):
        async with asyncio.timeout(10):
            response = await client.post(
                "/api/v1/auth/register", content=body, headers={"Content-Type": "application/json"}
            )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
