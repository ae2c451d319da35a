"""The operator's job commands, `jobs list` and `jobs retry`, and the worker's refusal of
options that would run a job twice."""

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.core.config import get_settings


async def add_failed_job(url: str) -> int:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        job_id: int = await connection.scalar(
            text(
                "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status, attempts)"
                " VALUES ('default', 'auth.purge_expired_refresh_tokens',"
                " '{\"timestamp\": 1000000}', 'failed', 5) RETURNING id"
            )
        )
    await engine.dispose()
    return job_id


async def status_of(url: str, job_id: int) -> str:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        status: str = await connection.scalar(
            text("SELECT status::text FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}
        )
    await engine.dispose()
    return status


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """The commands read the settings once per process: from this test's environment here,
    and not left behind for the tests that follow."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def on_committing_database(committing_database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", committing_database_url)
    return committing_database_url


def test_jobs_list_shows_the_failed_jobs_and_retry_queues_one_again(
    on_committing_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    job_id = asyncio.run(add_failed_job(on_committing_database))
    main(["jobs", "list", "--failed"])
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 1
    assert listed[0].startswith(f"{job_id}\tauth.purge_expired_refresh_tokens\tdefault\t")
    assert "attempts=5" in listed[0]
    assert listed[0].endswith('{"timestamp": 1000000}')

    main(["jobs", "retry", str(job_id)])
    assert capsys.readouterr().out == f"Queued job {job_id} to run again\n"
    assert asyncio.run(status_of(on_committing_database, job_id)) == "todo"

    main(["jobs", "list", "--failed"])
    empty = capsys.readouterr()
    assert (empty.out, empty.err) == ("", "No failed jobs\n")


def test_jobs_retry_of_a_job_that_is_not_failed_says_why_in_one_line(
    on_committing_database: str,
) -> None:
    with pytest.raises(SystemExit, match=r"^jobs retry: There is no job 424242$"):
        main(["jobs", "retry", "424242"])


def test_the_worker_refuses_a_stall_timeout_its_own_shutdown_would_trip() -> None:
    with pytest.raises(SystemExit, match=r"^worker: stalled_after \(10 s\) must be longer"):
        main(["worker", "--shutdown-timeout", "20", "--stalled-after", "10"])
