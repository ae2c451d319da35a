"""OpenTelemetry tracing and Sentry error reporting (the `full` observability option).

Tracing: a span for every request (FastAPI's own telemetry), with a child span for every SQL
statement (from SQLAlchemy's events) and every outgoing httpx call. Spans are exported in the
background over OTLP/HTTP to the collector the standard `OTEL_EXPORTER_OTLP_*` variables name
(with none set, spans are made and their IDs logged, but not sent). `OTEL_SERVICE_NAME` names
the service; `OTEL_SDK_DISABLED=true` turns tracing off. Every log line carries the current
`trace_id` and `span_id`.

Telemetry must never slow or break a request: spans are queued and exported by a background
thread, and an unreachable collector is logged once and otherwise ignored.

Sentry: on when `SENTRY_DSN` is set. Events never carry personal data: no request bodies,
cookies, query strings, local variables, or headers that name credentials.
"""

import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any

import sentry_sdk
from opentelemetry import trace
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from sentry_sdk.transport import HttpTransport
from sqlalchemy import event
from sqlalchemy.engine import Connection, ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine

from {{ cookiecutter.package_name }}.core.config import Settings

logger = logging.getLogger(__name__)

# Header and field names whose values are secrets or personal data, wherever they appear.
SENSITIVE = ("authorization", "cookie", "password", "token", "secret", "dsn", "api_key")
REDACTED = "[redacted]"


class QuietExporter(SpanExporter):
    """An exporter that reports a failing collector once, then stays silent until it works
    again: the OTLP exporter alone logs every failed batch, forever."""

    def __init__(self, exporter: SpanExporter) -> None:
        self.exporter = exporter
        self.failing = False

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self.exporter.export(spans)
        except Exception:
            result = SpanExportResult.FAILURE
        if result is SpanExportResult.FAILURE and not self.failing:
            logger.warning("trace export failing; spans are dropped until the collector answers")
        elif result is SpanExportResult.SUCCESS and self.failing:
            logger.info("trace export working again")
        self.failing = result is SpanExportResult.FAILURE
        return result

    def shutdown(self) -> None:
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.exporter.force_flush(timeout_millis)


def create_tracer_provider(
    settings: Settings, exporter: SpanExporter | None = None
) -> TracerProvider | None:
    """The provider every span goes through, exporting to `exporter` (by default the OTLP one
    when an endpoint is configured); None when `OTEL_SDK_DISABLED=true`."""
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return None
    name = os.environ.get("OTEL_SERVICE_NAME", "{{ cookiecutter.project_slug }}")
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    if exporter is None and _otlp_endpoint_configured():
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
            OTLPSpanExporter,
        )

        exporter = OTLPSpanExporter()
        # Its own log lines would repeat for every failed batch; QuietExporter says it once.
        logging.getLogger("opentelemetry.exporter.otlp").setLevel(logging.CRITICAL)
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(QuietExporter(exporter)))
    logger.info(
        "tracing on", extra={"exporting": exporter is not None, "environment": settings.ENVIRONMENT}
    )
    return provider


def _otlp_endpoint_configured() -> bool:
    return any(
        os.environ.get(name)
        for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def instrument(engine: AsyncEngine, provider: TracerProvider) -> None:
    """SQL statements and outgoing HTTP calls become child spans of the request's span."""
    trace_statements(engine, provider.get_tracer(__name__))
    # httpx is instrumented process-wide: for the newest app's provider (tests make many apps).
    instrumentor = HTTPXClientInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()
    instrumentor.instrument(tracer_provider=provider)


def trace_statements(engine: AsyncEngine, tracer: trace.Tracer) -> None:
    """A client span for every SQL statement, from the engine's own events. (The OpenTelemetry
    SQLAlchemy instrumentation refuses SQLAlchemy 2.1, which this service uses.) The span
    holds the statement with its placeholders ($1), never the values bound to them."""
    database = engine.url.database or ""
    key = "otel_spans"

    def before(conn: Connection, _cursor: object, statement: str, *_: object) -> None:
        operation = statement.lstrip().split(maxsplit=1)[0].upper() if statement.strip() else "SQL"
        span = tracer.start_span(
            f"{operation} {database}".strip(),
            kind=trace.SpanKind.CLIENT,
            attributes={
                "db.system.name": "postgresql",
                "db.namespace": database,
                "db.operation.name": operation,
                "db.statement": statement,
            },
        )
        conn.info.setdefault(key, []).append(span)

    def after(conn: Connection, *_: object) -> None:
        spans = conn.info.get(key)
        if spans:
            spans.pop().end()

    def failed(context: ExceptionContext) -> None:
        spans = context.connection.info.get(key) if context.connection is not None else None
        if spans:
            span = spans.pop()
            span.record_exception(context.original_exception)
            span.set_status(trace.StatusCode.ERROR)
            span.end()

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    event.listen(engine.sync_engine, "after_cursor_execute", after)
    event.listen(engine.sync_engine, "handle_error", failed)


class TraceContextFilter(logging.Filter):
    """Adds the current trace and span IDs to every log record (null outside a span)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        record.trace_id = f"{context.trace_id:032x}" if context.is_valid else None
        record.span_id = f"{context.span_id:016x}" if context.is_valid else None
        return True


class ReportingSentryTransport(HttpTransport):
    """Sentry's HTTP transport, which drops events silently when Sentry cannot be reached:
    this one says so in the log, once."""

    reported = False

    def on_dropped_event(self, reason: str) -> None:
        super().on_dropped_event(reason)
        if not self.reported:
            logger.warning("error reports to Sentry failing (%s); dropping them", reason)
            self.reported = True


def configure_sentry(settings: Settings, transport: Any = None) -> bool:
    """Report unhandled errors to Sentry when `SENTRY_DSN` is set; returns whether it is on.
    `transport` replaces the HTTP one (tests read the events with it)."""
    if settings.SENTRY_DSN is None:
        return False
    sentry_sdk.init(
        dsn=settings.SENTRY_DSN.get_secret_value(),
        environment=settings.ENVIRONMENT,
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "denylist", "terms": list(SENSITIVE)}},
            # Request bodies and query strings may hold passwords, tokens and personal data.
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "database_query_data": False,
            # A failing frame's local variables may be a password or a token.
            "stack_frame_variables": False,
        },
        # Tracing is OpenTelemetry's job here.
        traces_sample_rate=0,
        before_send=scrub_event,  # type: ignore[arg-type]
        transport=transport or ReportingSentryTransport,
    )
    return True


def scrub_event(event: dict[str, Any], _hint: object) -> dict[str, Any]:
    """Redact secrets and personal data from an event before it leaves the process."""
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("cookies", None)
        request.pop("data", None)
        if isinstance(request.get("headers"), Mapping):
            request["headers"] = _redacted(request["headers"])
        request.pop("query_string", None)
    event.pop("user", None)
    return event


def _redacted(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: REDACTED if any(word in key.lower() for word in SENSITIVE) else value
        for key, value in values.items()
    }
