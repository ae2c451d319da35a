"""How long the answers that name an address take, for an address with an account versus one
without: a failed login, a registration, a password reset request.

If one kind were answered faster (no password hash to check, no account to create), response
times would tell an attacker which addresses have accounts. Login verifies against a dummy
hash for an unknown address, registration hashes the password of a taken one too, and every
registration and reset request defers one job; this script measures whether that works. It
prints figures and judges nothing: run it after changing the hashing, login or accounts code.

    uv run python scripts/bench_login_timing.py [--rounds 40]

It uses DATABASE_URL, or the embedded PostgreSQL, in a scratch database it drops afterwards.
"""

import argparse
import asyncio
import logging
import statistics
import time
import uuid
from http import HTTPStatus

from httpx import ASGITransport, AsyncClient
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from {{ cookiecutter.package_name }}.core import migrations
from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.db import resolve_database_url
from {{ cookiecutter.package_name }}.main import create_app

KNOWN_EMAIL = "known@example.com"
PASSWORD = "the right password for the benchmark"  # noqa: S105 - a scratch account
NO_LIMIT = "1000000/minute"


async def timed_login(client: AsyncClient, email: str, password: str) -> float:
    started = time.perf_counter()
    response = await client.post(
        "/api/v1/auth/login", data={"username": email, "password": password}
    )
    elapsed = time.perf_counter() - started
    expected = 200 if password == PASSWORD and email == KNOWN_EMAIL else 401
    if response.status_code != expected:
        raise RuntimeError(f"login answered {response.status_code}: {response.text}")
    return elapsed * 1000


async def timed_post(client: AsyncClient, path: str, body: dict[str, str]) -> float:
    started = time.perf_counter()
    response = await client.post(path, json=body)
    elapsed = time.perf_counter() - started
    if response.status_code != HTTPStatus.ACCEPTED:
        raise RuntimeError(f"{path} answered {response.status_code}: {response.text}")
    return elapsed * 1000


def registration(email: str) -> dict[str, str]:
    return {"email": email, "password": PASSWORD, "full_name": "Bench"}


async def measure(database_url: str, rounds: int) -> dict[str, list[float]]:
    settings = Settings(
        _env_file=None,
        ENVIRONMENT="test",
        DATABASE_URL=database_url,
        LOGIN_RATE_LIMIT_PER_ACCOUNT=NO_LIMIT,
        LOGIN_RATE_LIMIT_PER_CLIENT=NO_LIMIT,
        REGISTER_RATE_LIMIT_PER_CLIENT=NO_LIMIT,
        REGISTER_RATE_LIMIT_PER_ACCOUNT=NO_LIMIT,
        ACCOUNT_MAIL_RATE_LIMIT_PER_CLIENT=NO_LIMIT,
        ACCOUNT_MAIL_RATE_LIMIT_PER_ADDRESS=NO_LIMIT,
        # The scratch account logs in without confirming its address (no worker mails here).
        EMAIL_VERIFICATION_REQUIRED=False,
    )
    app = create_app(settings)
    timings: dict[str, list[float]] = {
        "login, known, wrong password": [],
        "login, unknown email": [],
        "register, taken email": [],
        "register, new email": [],
        "reset, known email": [],
        "reset, unknown email": [],
    }
    async with app.router.lifespan_context(app):
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url="http://bench") as client:
            body = {"email": KNOWN_EMAIL, "password": PASSWORD, "full_name": "Bench"}
            (await client.post("/api/v1/auth/register", json=body)).raise_for_status()
            await timed_login(client, KNOWN_EMAIL, PASSWORD)  # warm-up: pools, caches
            for _ in range(rounds):
                # Interleaved, so drift in the machine's load affects each pair alike.
                unknown = f"{uuid.uuid4().hex}@example.com"
                timings["login, known, wrong password"].append(
                    await timed_login(client, KNOWN_EMAIL, "a wrong password")
                )
                timings["login, unknown email"].append(await timed_login(client, unknown, PASSWORD))
                timings["register, taken email"].append(
                    await timed_post(client, "/api/v1/auth/register", registration(KNOWN_EMAIL))
                )
                timings["register, new email"].append(
                    await timed_post(client, "/api/v1/auth/register", registration(unknown))
                )
                reset = "/api/v1/auth/password-reset"
                timings["reset, known email"].append(
                    await timed_post(client, reset, {"email": KNOWN_EMAIL})
                )
                timings["reset, unknown email"].append(
                    await timed_post(client, reset, {"email": f"x{unknown}"})
                )
    return timings


async def main(rounds: int) -> None:
    server_url = resolve_database_url(Settings(_env_file=None, ENVIRONMENT="test"))
    name = f"bench_login_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        engine = create_async_engine(url)
        async with engine.begin() as connection:
            await connection.run_sync(migrations.upgrade)
        await engine.dispose()
        timings = await measure(url, rounds)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()

    print(f"{rounds} requests of each kind, milliseconds per request:")  # noqa: T201
    for label, values in timings.items():
        quartiles = statistics.quantiles(values, n=4)
        print(  # noqa: T201
            f"  {label:<30} median {statistics.median(values):7.1f}"
            f"   p25 {quartiles[0]:7.1f}   p75 {quartiles[2]:7.1f}"
        )
    labels = list(timings)
    for without, with_account in ((1, 0), (3, 2), (5, 4)):
        ratio = statistics.median(timings[labels[without]]) / statistics.median(
            timings[labels[with_account]]
        )
        print(  # noqa: T201
            f"  {labels[without]} / {labels[with_account]}: median ratio {ratio:.2f}"
            " (1.00 = indistinguishable)"
        )


if __name__ == "__main__":
    # Only the figures: no per-request log lines.
    logging.basicConfig(level=logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    asyncio.run(main(parser.parse_args().rounds))
