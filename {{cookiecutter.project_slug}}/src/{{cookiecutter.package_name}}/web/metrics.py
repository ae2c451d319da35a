"""Prometheus metrics: requests by route template, method and status, their latency, the
database pool, and the process; served at `/metrics`.

Labels carry route templates (`/api/v1/projects/{project_id}`), never raw paths, so the number
of series stays bounded whatever IDs clients send. With several worker processes
(`serve --workers N`), `serve` points `PROMETHEUS_MULTIPROC_DIR` at a fresh directory before the
workers start, every worker writes its samples there, and a scrape of any worker adds them up.
"""

import hmac
import os
from collections.abc import Callable
from typing import Annotated, cast

from fastapi import APIRouter, Depends, Header, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from {{ cookiecutter.package_name }}.core.errors import NotFoundError
from {{ cookiecutter.package_name }}.web.dependencies import SettingsDep

# prometheus_client leaves these two untyped.
_mark_process_dead = cast("Callable[[int], None]", multiprocess.mark_process_dead)
_multiprocess_collector = cast(
    "Callable[[CollectorRegistry], object]", multiprocess.MultiProcessCollector
)
# A request that matched no route: one label value for every unknown path.
UNMATCHED_ROUTE = "unmatched"

REQUESTS = Counter("http_requests_total", "HTTP requests answered.", ["method", "route", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time from the request's arrival to its answer.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
# livesum: with several workers, the sum over the workers that are alive.
POOL_IN_USE = Gauge(
    "db_pool_connections_in_use",
    "Database connections checked out of the pool.",
    multiprocess_mode="livesum",
)
POOL_IDLE = Gauge(
    "db_pool_connections_idle",
    "Database connections open and waiting in the pool.",
    multiprocess_mode="livesum",
)


def observe_request(method: str, route: str | None, status: int, seconds: float) -> None:
    labels = (method, route or UNMATCHED_ROUTE, str(status))
    REQUESTS.labels(*labels).inc()
    LATENCY.labels(*labels).observe(seconds)


def watch_pool(engine: AsyncEngine) -> None:
    """Keep the pool gauges current from the pool's own checkout and checkin events."""
    pool = engine.sync_engine.pool
    # NullPool (DB_TRANSACTION_POOLER) keeps no idle connections and counts nothing: for it,
    # connections in use are counted here, and idle ones stay 0.
    queue = pool if isinstance(pool, QueuePool) else None
    counted = 0

    def update(returning: int) -> None:
        # A checkin event comes just before the pool takes the connection back: `returning`.
        if queue is None:
            POOL_IN_USE.set(counted)
            return
        POOL_IN_USE.set(queue.checkedout() - returning)
        POOL_IDLE.set(queue.checkedin() + returning)

    def checked_out(*_: object) -> None:
        nonlocal counted
        counted += 1
        update(returning=0)

    def checked_in(*_: object) -> None:
        nonlocal counted
        counted = max(0, counted - 1)
        update(returning=1)

    event.listen(engine.sync_engine, "checkout", checked_out)
    event.listen(engine.sync_engine, "checkin", checked_in)


def forget_this_process() -> None:
    """A stopping worker's gauges leave the multiprocess sums."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        _mark_process_dead(os.getpid())


async def require_metrics_access(
    request: Request, settings: SettingsDep, authorization: Annotated[str | None, Header()] = None
) -> None:
    """Outside production `/metrics` is open. In production it needs `METRICS_TOKEN` as a bearer
    token, and without the setting it does not exist (404): metrics name every route and show
    the traffic, which is not for the public internet."""
    if not settings.is_production:
        return
    token = settings.METRICS_TOKEN
    expected = f"Bearer {token.get_secret_value()}" if token is not None else None
    sent = (authorization or "").encode()
    if expected is None or not hmac.compare_digest(sent, expected.encode()):
        raise NotFoundError(f"No route matches {request.url.path}")


router = APIRouter()


@router.get("/metrics", include_in_schema=False, dependencies=[Depends(require_metrics_access)])
async def metrics() -> Response:
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        _multiprocess_collector(registry)
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
