"""Background work of the idempotency domain, run by the worker."""

import logging
from datetime import UTC, datetime

from procrastinate import JobContext

from {{ cookiecutter.package_name }}.core.jobs import periodic, task, units_of_work
from {{ cookiecutter.package_name }}.core.row_security import SystemWork
from {{ cookiecutter.package_name }}.idempotency.repository import IdempotencyKeyRepository

logger = logging.getLogger(__name__)


@periodic(cron="37 * * * *", periodic_id="hourly")
@task(name="idempotency.purge_expired_keys")
async def purge_expired_keys(context: JobContext, timestamp: int) -> None:
    """Delete the idempotency keys past their lifetime at this tick."""
    async with units_of_work(context)(system=SystemWork.PURGE) as db:
        deleted = await IdempotencyKeyRepository(db).delete_expired(
            now=datetime.fromtimestamp(timestamp, UTC)
        )
    logger.info("Deleted expired idempotency keys", extra={"deleted": deleted})
