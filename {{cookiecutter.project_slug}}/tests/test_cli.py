"""The command line: its commands exist, and `openapi` and `migrate` do their work."""

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.cli import build_parser, main
from {{ cookiecutter.package_name }}.core import migrations
from {{ cookiecutter.package_name }}.core.config import get_settings
from {{ cookiecutter.package_name }}.core.db import in_one_transaction
from {{ cookiecutter.package_name }}.users.repository import UserRepository

from tests.support import free_port, make_settings, scratch_database, unused_domain_names


@pytest.fixture(autouse=True)
def fresh_settings() -> None:
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def restored_logging() -> Iterator[None]:
    """Commands configure logging for the whole process; undo it for the tests that follow."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_serve_defaults_to_one_worker_on_port_8000() -> None:
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.workers) == ("0.0.0.0", 8000, 1)  # noqa: S104


def test_serve_hands_uvicorn_its_shutdown_and_keep_alive_timeouts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The real server runs in tests/test_serve.py; here, only what `serve` asks uvicorn for.
    calls: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *_args, **kwargs: calls.append(kwargs))
    main(["serve", "--graceful-timeout", "7"])
    assert calls[0]["timeout_graceful_shutdown"] == 7
    # Longer than a load balancer's idle timeout (60 s on most); see the README.
    assert calls[0]["timeout_keep_alive"] == 75
    assert calls[0]["server_header"] is False


def test_dev_listens_on_loopback_by_default() -> None:
    args = build_parser().parse_args(["dev", "--port", "9000"])
    assert (args.host, args.port) == ("127.0.0.1", 9000)


def test_an_unknown_command_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["fly"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'fly'" in capsys.readouterr().err


def test_openapi_writes_the_document(tmp_path: Path) -> None:
    output = tmp_path / "openapi.json"
    main(["openapi", "--output", str(output)])
    document = json.loads(output.read_text())
    assert "/health/ready" in document["paths"]


@pytest.fixture
async def empty_database(
    server_url: str,
    database_url: str,
    application_server_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[str]:
    """A database of its own, which the commands reach as production's would: the migrations
    as its owner, everything else as the application role; yields the owner's URL."""
    async with scratch_database(server_url, f"{make_url(database_url).database}_cli") as url:
        application = make_url(application_server_url).set(database=make_url(url).database)
        monkeypatch.setenv("MIGRATION_DATABASE_URL", url)
        monkeypatch.setenv("DATABASE_URL", application.render_as_string(hide_password=False))
        yield url


def test_migrate_brings_an_empty_database_to_head(empty_database: str) -> None:
    main(["migrate"])
    # A second run has nothing to do and must not fail.
    main(["migrate"])
    migrations.check(empty_database)


def create_admin(email: str, password: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{password}\n"))
    main(["create-admin", "--email", email, "--full-name", "Root", "--password-stdin"])


def test_create_admin_creates_an_admin_once(
    empty_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["migrate"])
    create_admin("root@example.com", "a long admin secret", monkeypatch)
    assert capsys.readouterr().out.endswith("Created admin root@example.com\n")

    async def confirmed(db: AsyncSession) -> bool:
        admin = await UserRepository(db).find_by_email("root@example.com")
        return admin is not None and admin.email_verified_at is not None

    # Whoever ran the command vouched for the address: the admin can log in at once.
    assert in_one_transaction(make_settings(empty_database), confirmed)
    with pytest.raises(SystemExit, match="create-admin: This email cannot be registered"):
        create_admin("ROOT@example.com", "another long secret", monkeypatch)


def test_create_admin_refuses_a_weak_password(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    with pytest.raises(SystemExit, match="create-admin: password: String should have at least 8"):
        create_admin("root@example.com", "short", monkeypatch)


def test_new_domain_refuses_a_bad_name_in_one_line() -> None:
    with pytest.raises(SystemExit, match=r"^new-domain: 'Bad-Name' is not a valid domain name"):
        main(["new-domain", "Bad-Name"])


def test_new_domain_says_what_to_do_when_the_database_is_unreachable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unreachable = f"postgresql://app:app@127.0.0.1:{free_port()}/app"
    monkeypatch.setenv("DATABASE_URL", unreachable)
    monkeypatch.setenv("MIGRATION_DATABASE_URL", unreachable)
    with pytest.raises(SystemExit) as refused:
        main(["new-domain", unused_domain_names().domain])
    message = str(refused.value)
    assert message.startswith("new-domain: could not create a scratch database")
    assert "CREATEDB" in message
