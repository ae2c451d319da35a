"""Probes for orchestrators: liveness never touches the database, readiness always does."""

from fastapi import APIRouter

from {{ cookiecutter.package_name }}.health import service as health_service
from {{ cookiecutter.package_name }}.health.dependencies import ReadinessDb
from {{ cookiecutter.package_name }}.health.schemas import HealthRead
from {{ cookiecutter.package_name }}.web.dependencies import SettingsDep

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live")
async def get_liveness() -> HealthRead:
    """Report that the process is up and serving requests."""
    return HealthRead()


@router.get("/ready")
async def get_readiness(db: ReadinessDb, settings: SettingsDep) -> HealthRead:
    """Report whether the service can reach its database within the health-check timeout."""
    await health_service.check_database(db, timeout_seconds=settings.HEALTH_CHECK_TIMEOUT_SECONDS)
    return HealthRead()
