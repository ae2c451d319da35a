"""The scheduled jobs: what each deletes at its tick, and that every one is on the worker's
schedule (procrastinate defers one job per tick, however many workers run)."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from {{ cookiecutter.package_name }}.auth.jobs import purge_expired_refresh_tokens
from {{ cookiecutter.package_name }}.auth.models import RefreshToken
from {{ cookiecutter.package_name }}.core.db import UnitsOfWork
from {{ cookiecutter.package_name }}.core.row_security import act_for
{%- if cookiecutter.include_example_domain == "yes" %}
from {{ cookiecutter.package_name }}.idempotency.jobs import purge_expired_keys
from {{ cookiecutter.package_name }}.idempotency.models import IdempotencyKey
{%- endif %}
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.worker.jobs import purge_finished_jobs
from {{ cookiecutter.package_name }}.worker.registry import registered_app

from tests.support import job_context


async def test_the_hourly_purges_delete_only_what_expired_by_their_tick(
    db: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], user: User
) -> None:
    tick = datetime.now(UTC)
    expired, live = tick - timedelta(minutes=1), tick + timedelta(hours=1)
    await act_for(db, user.id)
    db.add_all(
        [
            *(
                RefreshToken(family_id=uuid.uuid4(), user_id=user.id, expires_at=at)
                for at in (expired, live)
            ),
{%- if cookiecutter.include_example_domain == "yes" %}
            *(
                IdempotencyKey(user_id=user.id, key=key, fingerprint="f", expires_at=at)
                for key, at in (("expired", expired), ("live", live))
            ),
{%- endif %}
        ]
    )
    await db.flush()
    context = job_context(UnitsOfWork(sessionmaker))
    await purge_expired_refresh_tokens(context, timestamp=int(tick.timestamp()))
{%- if cookiecutter.include_example_domain == "yes" %}
    await purge_expired_keys(context, timestamp=int(tick.timestamp()))
{%- endif %}
    await act_for(db, user.id)
    tokens = await db.scalars(
        select(RefreshToken.expires_at).where(RefreshToken.user_id == user.id)
    )
    assert list(tokens) == [live]
{%- if cookiecutter.include_example_domain == "yes" %}
    keys = await db.scalars(select(IdempotencyKey.key).where(IdempotencyKey.user_id == user.id))
    assert list(keys) == ["live"]
{%- endif %}


def test_every_purge_is_on_the_workers_schedule() -> None:
    periodic = registered_app().periodic_registry.periodic_tasks.values()
    scheduled = {task.task.name: task.cron for task in periodic}
    assert scheduled == {
        "accounts.purge_spent_tokens": "17 * * * *",
        "auth.purge_expired_refresh_tokens": "7 * * * *",
{%- if cookiecutter.include_example_domain == "yes" %}
        "idempotency.purge_expired_keys": "37 * * * *",
{%- endif %}
        "worker.purge_finished_jobs": "17 3 * * *",
    }


async def test_the_daily_purge_deletes_jobs_finished_a_week_before_its_tick(
    db: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    finished = await db.scalar(
        text(
            "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status)"
            " VALUES ('default', 'auth.purge_expired_refresh_tokens', '{}', 'todo')"
            " RETURNING id"
        )
    )
    # As a worker would: its triggers record each change as an event, with its time.
    await db.execute(
        text("UPDATE procrastinate_jobs SET status = 'succeeded' WHERE id = :id"),
        {"id": finished},
    )
    tick = datetime.now(UTC)
    await db.execute(
        text("UPDATE procrastinate_events SET at = :at WHERE job_id = :id"),
        {"at": tick - timedelta(days=8), "id": finished},
    )
    await purge_finished_jobs(
        job_context(UnitsOfWork(sessionmaker)), timestamp=int(tick.timestamp())
    )
    left = await db.scalar(
        text("SELECT count(*) FROM procrastinate_jobs WHERE id = :id"), {"id": finished}
    )
    assert left == 0
