"""Background work of the auth domain, run by the job worker (see `worker/process.py`)."""

import logging
from datetime import UTC, datetime

from procrastinate import JobContext

from {{ cookiecutter.package_name }}.auth.repository import RefreshTokenRepository
from {{ cookiecutter.package_name }}.core.jobs import periodic, task, units_of_work
from {{ cookiecutter.package_name }}.core.row_security import SystemWork

logger = logging.getLogger(__name__)


@periodic(cron="7 * * * *", periodic_id="hourly")
@task(name="auth.purge_expired_refresh_tokens")
async def purge_expired_refresh_tokens(context: JobContext, timestamp: int) -> None:
    """Delete the refresh tokens past their expiry at this tick: no request can use them."""
    async with units_of_work(context)(system=SystemWork.PURGE) as db:
        deleted = await RefreshTokenRepository(db).delete_expired(
            now=datetime.fromtimestamp(timestamp, UTC)
        )
    logger.info("Deleted expired refresh tokens", extra={"deleted": deleted})
