"""The application factory. Nothing connects at import time: the engine is built in `lifespan`."""

import gc
import logging
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
{%- if cookiecutter.observability == "full" %}
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter
{%- endif %}

from {{ cookiecutter.package_name }}.api import API_PREFIX, API_ROUTERS, API_TAGS
{%- if cookiecutter.observability == "full" %}
from {{ cookiecutter.package_name }}.core import tracing
{%- endif %}
from {{ cookiecutter.package_name }}.core.config import Settings, get_settings
from {{ cookiecutter.package_name }}.core.state import open_app_state
from {{ cookiecutter.package_name }}.health.router import router as health_router
from {{ cookiecutter.package_name }}.web import metrics
from {{ cookiecutter.package_name }}.web.docs import OPENAPI_PATH, install_docs
from {{ cookiecutter.package_name }}.web.handlers import register_error_handlers
from {{ cookiecutter.package_name }}.web.middleware import (
    BodyFormatMiddleware,
    BodySizeLimitMiddleware,
    RequestContextMiddleware,
    security_headers,
)
from {{ cookiecutter.package_name }}.web.openapi import (
    install_openapi,
    operation_id,
    route_templates,
)
from {{ cookiecutter.package_name }}.web.server import (
    HEADER_LIMIT_STATE_KEY,
    SECURITY_HEADERS_STATE_KEY,
)

logger = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[Mapping[str, object]]:
    settings: Settings = app.state.settings
    try:
        # Uvicorn waits for in-flight requests before lifespan shutdown; then `open_app_state`
        # closes the pools and the hashing threads.
        async with open_app_state(settings) as state:
            app.state.shared = state
            metrics.watch_pool(state.engine)
{%- if cookiecutter.observability == "full" %}
            provider: TracerProvider | None = app.state.tracer_provider
            if provider is not None:
                tracing.instrument(state.engine, provider)
{%- endif %}
            logger.info("started", extra={"environment": settings.ENVIRONMENT})
            with long_lived_objects_frozen():
                # Lifespan state: uvicorn hands it to each connection (see web/server.py).
                yield {
                    HEADER_LIMIT_STATE_KEY: settings.MAX_REQUEST_HEADER_BYTES,
                    SECURITY_HEADERS_STATE_KEY: security_headers(hsts=settings.is_production),
                }
    finally:
        metrics.forget_this_process()
{%- if cookiecutter.observability == "full" %}
        if app.state.tracer_provider is not None:
            # Sends the spans still queued (within the exporter's timeout).
            app.state.tracer_provider.shutdown()
{%- endif %}
        logger.info("stopped")


@contextmanager
def long_lived_objects_frozen() -> Iterator[None]:
    """Keep the garbage collector off what lives as long as the process.

    Once the application is built, about 180,000 objects are tracked (modules, classes, routes,
    validators, the pools), and every full collection walked all of them: about 0.1 s with the
    event loop stopped, several times a minute under load, which made the slowest responses
    and cost a few percent of the CPU (docs/performance.md, "The garbage collector"). Frozen,
    they sit in a generation no collection scans; what requests create is collected as before.
    Unfrozen at shutdown, so an application started and stopped again (the tests) leaves
    nothing behind."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


{% if cookiecutter.observability == "full" -%}
def create_app(
    settings: Settings | None = None, *, span_exporter: SpanExporter | None = None
) -> FastAPI:
    """The application; `span_exporter` replaces the OTLP exporter (tests read spans with it)."""
    settings = settings or get_settings()
    provider = tracing.create_tracer_provider(settings, span_exporter)
    tracing.configure_sentry(settings)
{%- else -%}
def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
{%- endif %}
    app = FastAPI(
        title="{{ cookiecutter.project_name }}",
        description="{{ cookiecutter.description }}",
        version="0.1.0",
        openapi_tags=API_TAGS,
        # Relative: the document describes the server that serves it, wherever that is.
        servers=[{"url": "/", "description": "The server this document is served from"}],
        contact={
            "name": {{ cookiecutter.author_name | tojson }},
            "email": "{{ cookiecutter.author_email }}",
        },
{%- if cookiecutter.license == "Proprietary" %}
        license_info={"name": "Proprietary"},
{%- else %}
        license_info={"name": "{{ cookiecutter.license }}", "identifier": "{{ cookiecutter.license }}"},
{%- endif %}
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        # Served by web/docs.py, with self-hosted assets, when the settings allow.
        openapi_url=OPENAPI_PATH if settings.api_docs_enabled else None,
        docs_url=None,
        redoc_url=None,
{%- if cookiecutter.observability == "full" %}
        # FastAPI's own request spans, on our provider; the other signals are Prometheus's.
        telemetry={
            "tracer_provider": provider,
            "tracing": provider is not None,
            "operation_spans": False,
            "metrics": False,
            "logs": False,
            "auto_configure": False,
        },
{%- endif %}
    )
{%- if cookiecutter.observability == "full" %}
    app.state.tracer_provider = provider
{%- endif %}
    # Read by the middleware below; everything built from it waits for `lifespan`.
    app.state.settings = settings

    register_error_handlers(app)
    install_openapi(app)
    if settings.api_docs_enabled:
        install_docs(app)
    app.include_router(health_router)
    app.include_router(metrics.router)
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)

    # Added last = runs first: the request context wraps everything, including CORS answers.
    app.add_middleware(
        BodyFormatMiddleware,
        max_json_depth=settings.MAX_REQUEST_JSON_DEPTH,
        max_json_items=settings.MAX_REQUEST_JSON_ITEMS,
    )
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.MAX_REQUEST_BODY_BYTES)
    if settings.CORS_ORIGINS:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.CORS_ORIGINS,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            # Response headers a browser script on another origin may read.
{%- if cookiecutter.include_example_domain == "yes" %}
            expose_headers=[
                "X-Request-ID",
                "ETag",
                "Location",
                "Retry-After",
                "Idempotent-Replayed",
            ],
{%- else %}
            expose_headers=["X-Request-ID", "ETag", "Location", "Retry-After"],
{%- endif %}
        )
    app.add_middleware(
        RequestContextMiddleware,
        hsts=settings.is_production,
        route_templates=route_templates(app),
    )
    return app
