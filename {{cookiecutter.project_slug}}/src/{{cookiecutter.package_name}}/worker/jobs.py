"""The job queue's own housekeeping, run on a schedule by the workers."""

import logging
from datetime import UTC, datetime, timedelta

from procrastinate import JobContext

from {{ cookiecutter.package_name }}.core.jobs import periodic, task, units_of_work
from {{ cookiecutter.package_name }}.worker.repository import JobRepository

logger = logging.getLogger(__name__)

# Finished jobs are kept this long for inspection; failed ones until an operator acts.
RETENTION = timedelta(days=7)


@periodic(cron="17 3 * * *", periodic_id="daily")
@task(name="worker.purge_finished_jobs")
async def purge_finished_jobs(context: JobContext, timestamp: int) -> None:
    """Delete the jobs that finished more than RETENTION before this tick."""
    before = datetime.fromtimestamp(timestamp, UTC) - RETENTION
    async with units_of_work(context)() as db:
        deleted = await JobRepository(db).delete_finished(before=before)
    logger.info("Deleted finished jobs", extra={"deleted": deleted})
