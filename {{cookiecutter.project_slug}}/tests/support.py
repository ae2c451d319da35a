"""Helpers shared by test modules (fixtures live in conftest.py)."""

import base64
import contextlib
import hashlib
import hmac
import itertools
import json
import re
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypedDict
from urllib.parse import parse_qs, urlsplit

from httpx import AsyncClient
from procrastinate import JobContext
from procrastinate.jobs import Job
from procrastinate.tasks import Task
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from {{ cookiecutter.package_name }}.core import db, migrations
from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.db import UnitsOfWork
from {{ cookiecutter.package_name }}.core.jobs import MAILER, SETTINGS, UNITS_OF_WORK, job_app
from {{ cookiecutter.package_name }}.core.mail import Mailer, SmtpMailer
from {{ cookiecutter.package_name }}.core.mail_catcher import CaughtMail, MailCatcher
from {{ cookiecutter.package_name }}.core.row_security import CLEAR_CONTEXT
from {{ cookiecutter.package_name }}.scaffold.domain import PROJECT_ROOT, check
from {{ cookiecutter.package_name }}.scaffold.names import (
    DomainNames,
    ScaffoldError,
)
from {{ cookiecutter.package_name }}.worker.repository import JobRepository

from tests.factories import DEFAULT_PASSWORD

P = ParamSpec("P")

# Transaction control the fixtures themselves issue; not counted as the code's statements.
_TRANSACTION_CONTROL = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b")
TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-for-hs256-signing"


def make_settings(database_url: str | None, **overrides: object) -> Settings:
    """Settings for an app under test, ignoring any .env file; keywords override settings.
    Passwords are hashed at the "fast" cost, like the factories' users."""
    values: dict[str, object] = {
        "ENVIRONMENT": "test",
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET_KEY,
    }
    values.update(overrides)
    if values["ENVIRONMENT"] == "test":
        values.setdefault("PASSWORD_HASH_COST", "fast")
    if values["ENVIRONMENT"] == "production":
        # What production requires to send mail; the tests that need a server start one.
        values.setdefault("SMTP_HOST", "smtp.invalid")
        values.setdefault("MAIL_FROM", "no-reply@example.com")
        values.setdefault("FRONTEND_URL", "https://app.example.com")
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


_CLEARED = str(CLEAR_CONTEXT)


class StatementCounter:
    """The SQL statements a block of code sent, for N+1 checks."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements.clear()

    def record(self, statement: str) -> None:
        # The tests' own reset of the row-level security context (see tests/conftest.py) is
        # no statement the service sends.
        if not _TRANSACTION_CONTROL.match(statement) and statement != _CLEARED:
            self.statements.append(statement)


@contextlib.asynccontextmanager
async def scratch_database(
    server_url: str, name: str, *, migrated: bool = False, application_role: str | None = None
) -> AsyncIterator[str]:
    """A database of its own on the test server (empty, or built by the migrations, which grant
    `application_role` its rows), dropped afterwards; yields its URL."""
    async with db.scratch_database(server_url, name) as url:
        if migrated:
            engine = create_async_engine(url)
            async with engine.begin() as connection:
                await connection.run_sync(
                    lambda sync: migrations.upgrade(sync, application_role=application_role)
                )
            await engine.dispose()
        yield url


def claims_for(settings: Settings, **overrides: object) -> dict[str, object]:
    """The claims of a valid access token for these settings; `None` leaves a claim out."""
    now = int(datetime.now(UTC).timestamp())
    claims: dict[str, object] = {
        "sub": str(uuid.uuid4()),
        "exp": now + 600,
        "iat": now,
        "nbf": now,
        "jti": str(uuid.uuid4()),
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_AUDIENCE,
        "sid": str(uuid.uuid4()),
        "typ": "access",
    }
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def forge_token(payload: dict[str, object], *, key: bytes | None, alg: str = "HS256") -> str:
    """A JWT built by hand, the way an attacker would: HS256 over `key`, or unsigned."""

    def encode(part: bytes) -> str:
        return base64.urlsafe_b64encode(part).rstrip(b"=").decode()

    header = encode(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = encode(json.dumps(payload, default=str).encode())
    signing_input = f"{header}.{body}"
    if key is None:
        return f"{signing_input}."
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{encode(signature)}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class TokenPairJson(TypedDict):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int


async def login(client: AsyncClient, email: str, password: str = DEFAULT_PASSWORD) -> TokenPairJson:
    response = await client.post(
        "/api/v1/auth/login", data={"username": email, "password": password}
    )
    assert response.status_code == 200, response.text
    tokens: TokenPairJson = response.json()
    return tokens


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def sign_up(client: AsyncClient, email: str) -> TokenPairJson:
    """Register through the API and log in: for clients whose requests really commit, where a
    factory's rows (inside the test's rolled-back transaction) would not be visible. No worker
    mails the confirmation link there, so their apps do not require one (`committing_client`);
    tests/accounts covers confirming an address."""
    password = "a long enough secret"
    account = {"email": email, "password": password, "full_name": "Signed Up"}
    response = await client.post("/api/v1/auth/register", json=account)
    assert response.status_code == 202, response.text
    return await login(client, email, password)


def unused_domain_names() -> DomainNames:
    """Names `new-domain` would accept in this project: line_items, or line1_items,
    line2_items... when the project already has that domain (it may have scaffolded it)."""
    for index in itertools.count():
        try:
            return check(PROJECT_ROOT, f"line{index or ''}_items")[1]
        except ScaffoldError:
            continue
    raise AssertionError  # unreachable: count() never ends


@dataclass(frozen=True)
class DeferredJob:
    task_name: str
    arguments: dict[str, object]


@dataclass
class RecordingJobQueue:
    """A `JobQueue` that only remembers what was deferred: for service tests, where the job
    itself is not under test."""

    deferred: list[DeferredJob] = field(default_factory=list)

    async def defer(self, task: Task[Any, Any, P], /, *args: P.args, **kwargs: P.kwargs) -> None:
        assert not args, "job arguments are keyword-only"
        self.deferred.append(DeferredJob(task.name, dict(kwargs)))


def job_context(
    units: UnitsOfWork,
    *,
    settings: Settings | None = None,
    mailer: Mailer | None = None,
    task_name: str = "tests.job",
    job_id: int = 1,
) -> JobContext:
    """The context the worker gives a job, for calling a task directly in a test. Without a
    `mailer`, a task that sends mail fails (TypeError), as a test that forgot one should."""
    extra: dict[str, object] = {
        SETTINGS: settings or make_settings(None),
        UNITS_OF_WORK: units,
    }
    if mailer is not None:
        extra[MAILER] = mailer
    job = Job(id=job_id, queue="default", lock=None, queueing_lock=None, task_name=task_name)
    return JobContext(
        app=job_app,
        job=job,
        start_timestamp=time.time(),
        abort_reason=lambda: None,
        additional_context=extra,
    )


def catching_mailer(catcher: MailCatcher, **overrides: object) -> SmtpMailer:
    """The worker's real mailer, sending over SMTP to `catcher`."""
    return SmtpMailer(mail_settings(catcher.port, **overrides))


def mail_settings(port: int, **overrides: object) -> Settings:
    """Settings that send mail to a catcher on 127.0.0.1:`port`, in plain SMTP."""
    values: dict[str, object] = {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": port,
        "SMTP_SECURITY": "none",
        "SMTP_TIMEOUT_SECONDS": 5,
        "MAIL_FROM": "Keel Tests <no-reply@tests.example>",
    }
    values.update(overrides)
    return make_settings(None, **values)


async def queued_jobs(db: AsyncSession) -> list[DeferredJob]:
    """The jobs waiting in the queue (deferred in this test's transaction), oldest first."""
    records = await JobRepository(db).list_by_status("todo", limit=100)
    return [DeferredJob(record.task_name, record.args) for record in reversed(records)]


async def run_queued_jobs(
    db: AsyncSession, units: UnitsOfWork, *, mailer: Mailer, settings: Settings | None = None
) -> int:
    """Run every waiting job once, as the worker would, inside this test's transaction (so
    they see what the test's requests wrote), and take it off the queue; how many ran."""
    records = list(reversed(await JobRepository(db).list_by_status("todo", limit=100)))
    for record in records:
        task = job_app.tasks[record.task_name]
        context = job_context(
            units, settings=settings, mailer=mailer, task_name=task.name, job_id=record.id
        )
        await task.func(context, **record.args)
        await db.execute(text("DELETE FROM procrastinate_jobs WHERE id = :id"), {"id": record.id})
    return len(records)


# Runs the queued jobs and returns the mails they sent (tests/accounts/conftest.py).
Deliver = Callable[[], Awaitable[list[CaughtMail]]]


def token_from(mail: CaughtMail, page: str) -> str:
    """The token of the mail's link to `page` ("verify-email", "reset-password")."""
    for link in mail.links:
        parts = urlsplit(link)
        if parts.path == f"/{page}" and "token" in parse_qs(parts.query):
            return parse_qs(parts.query)["token"][0]
    raise AssertionError(f"no {page} link in the mail: {mail.links}")


@contextlib.asynccontextmanager
async def delivering_on(database_url: str, catcher: MailCatcher) -> AsyncIterator[Deliver]:
    """The `deliver` fixture for an app on a database of its own, whose requests commit: the
    jobs run in units of work of their own there."""
    engine = create_async_engine(database_url)
    sessionmaker = db.create_sessionmaker(engine)
    seen = 0

    async def deliver() -> list[CaughtMail]:
        nonlocal seen
        async with db.unit_of_work(sessionmaker) as session:
            await run_queued_jobs(
                session, UnitsOfWork(sessionmaker), mailer=catching_mailer(catcher)
            )
        new = catcher.caught[seen:]
        seen = len(catcher.caught)
        return new

    try:
        yield deliver
    finally:
        await engine.dispose()


# The headers a response may carry that the document must declare where they are sent.
DECLARED_HEADERS = ("ETag", "Location", "Idempotent-Replayed", "Retry-After", "WWW-Authenticate")


class DocumentedResponses:
    """Holds every response of a test client to what its OpenAPI document says the operation
    answers: a status it declares, a problem `code` it lists for that status, and each of
    `DECLARED_HEADERS` sent only where the document declares it. Installed on the `client`
    fixture, so the whole suite checks the document against the server, and an undeclared
    code fails the very test that provoked it. Paths and methods the document does not know
    (a 404 or a 405), and the probe routes tests add under `/_probe`, have no operation to
    hold to."""

    def __init__(self, document: dict[str, Any]) -> None:
        # (the path's regex, how many parameters it has, its path item)
        self.paths: list[tuple[re.Pattern[str], int, dict[str, Any]]] = []
        for path, item in document.get("paths", {}).items():
            if path.startswith("/_probe"):
                continue
            pattern = re.sub(r"\\{[^/]+\\}", "[^/]+", re.escape(path))
            self.paths.append((re.compile(f"^{pattern}$"), path.count("{"), item))

    def check(self, method: str, path: str, status: int, headers: Any, body: bytes) -> None:
        # The path the request names is the most literal template that matches it:
        # `/users/me` before `/users/{user_id}`, as the routes have it.
        matching = [(params, item) for regex, params, item in self.paths if regex.match(path)]
        if not matching:
            return
        _, item = min(matching, key=lambda match: match[0])
        operation = item.get(method.lower())
        if operation is None:
            return
        where = f"{method} {path} answered {status}"
        response = operation["responses"].get(str(status))
        assert response is not None, f"{where}, a status its operation does not declare"
        declared = response.get("headers", {})
        for name in DECLARED_HEADERS:
            if name in headers:
                assert name in declared, f"{where} with {name}, which is not declared there"
        content_type = headers.get("content-type", "")
        if content_type.startswith("application/problem+json"):
            code = json.loads(body)["code"]
            listed = response["content"]["application/problem+json"].get("examples", {})
            assert code in listed, f"{where} with code {code!r}; it lists {sorted(listed)}"
