"""Run, migrate, administer and inspect the service:

    python -m {{ cookiecutter.package_name }} <command>

Settings come from the environment (and `.env`); flags only choose how to serve.
"""

import argparse
import asyncio
import contextlib
import getpass
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
from pydantic import ValidationError
from sqlalchemy import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.config import Settings, get_settings
from {{ cookiecutter.package_name }}.core.db import (
    application_role,
    in_one_transaction,
    resolve_database_url,
    resolve_migration_url,
    scratch_database,
)
from {{ cookiecutter.package_name }}.core.errors import (
    DATABASE_UNAVAILABLE_ERRORS,
    AppError,
    error_catalogue,
)
from {{ cookiecutter.package_name }}.core.logging import configure_logging, logging_config
from {{ cookiecutter.package_name }}.core.passwords import PasswordHasher
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.scaffold import domain as scaffold
from {{ cookiecutter.package_name }}.scaffold.names import ScaffoldError
from {{ cookiecutter.package_name }}.users import service as user_service
from {{ cookiecutter.package_name }}.users.models import UserRole
from {{ cookiecutter.package_name }}.users.schemas import UserCreate
from {{ cookiecutter.package_name }}.web.server import BoundedHeadersProtocol
from {{ cookiecutter.package_name }}.worker import commands as worker_commands

APP_FACTORY = "{{ cookiecutter.package_name }}.main:create_app"
PACKAGE_DIR = Path(__file__).parent


def _dev(args: argparse.Namespace) -> None:
    settings = get_settings()
    configure_logging(settings.LOG_LEVEL, settings.log_format)
    database_url = resolve_database_url(settings)
    # The reloading worker is a new process: hand it the (possibly embedded) database's URL.
    os.environ["DATABASE_URL"] = database_url
    # Imported here, as in _migrate: Alembic takes about a quarter of a second to import, and
    # `serve` would otherwise spend it before every start.
    from {{ cookiecutter.package_name }}.core import migrations  # noqa: PLC0415

    migrations.upgrade(
        resolve_migration_url(settings), application_role=make_url(database_url).username
    )
    with contextlib.ExitStack() as stack:
        if settings.SMTP_HOST is None:
            _catch_mail(stack, args.mail_port, settings.FRONTEND_URL)
        _run_dev_server(args, settings)


def _catch_mail(stack: contextlib.ExitStack, port: int, frontend_url: str) -> None:
    """Run a mail catcher that prints each mail, and point the worker at it."""
    # A development dependency: imported only when `dev` runs.
    from {{ cookiecutter.package_name }}.core.mail_catcher import (  # noqa: PLC0415
        catching_in_background,
    )

    try:
        bound = stack.enter_context(catching_in_background(port))
    except OSError as error:
        raise SystemExit(
            f"dev: the mail catcher cannot listen on 127.0.0.1:{port} ({error.strerror}); "
            "pass --mail-port, or set SMTP_HOST to use a mail server"
        ) from None
    os.environ.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(bound), SMTP_SECURITY="none")
    sys.stdout.write(
        f"Catching mail on 127.0.0.1:{bound}: each mail is printed here. Its links start with "
        f"FRONTEND_URL ({frontend_url}); with no front end there, paste a link's token into "
        "POST /api/v1/auth/verify-email (or password-reset/confirm) in /docs\n"
    )


def _run_dev_server(args: argparse.Namespace, settings: Settings) -> None:
    # The job worker beside the API, both reloading on code changes; one Ctrl-C stops both.
    worker = subprocess.Popen(  # noqa: S603 - this interpreter, this package
        [sys.executable, "-m", PACKAGE_DIR.name, "worker", "--reload", "--status-port", "0"]
    )
    try:
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            host=args.host,
            port=args.port,
            reload=True,
            reload_dirs=[str(PACKAGE_DIR)],
            log_config=logging_config(settings.LOG_LEVEL, settings.log_format),
            proxy_headers=bool(settings.FORWARDED_ALLOW_IPS),
            forwarded_allow_ips=settings.FORWARDED_ALLOW_IPS,
            http=BoundedHeadersProtocol,
        )
    finally:
        worker.terminate()
        worker.wait()


def _serve(args: argparse.Namespace) -> None:
    settings = get_settings()
    if args.workers > 1:
        _share_metrics_between_workers()
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=logging_config(settings.LOG_LEVEL, settings.log_format),
        server_header=False,
        # Forwarded headers count only from the proxies the settings name (none by default).
        proxy_headers=bool(settings.FORWARDED_ALLOW_IPS),
        forwarded_allow_ips=settings.FORWARDED_ALLOW_IPS,
        # On SIGTERM, stop accepting, let in-flight requests finish for up to this long, then exit.
        timeout_graceful_shutdown=args.graceful_timeout,
        timeout_keep_alive=args.keep_alive,
        http=BoundedHeadersProtocol,
    )


def _share_metrics_between_workers() -> None:
    """Each worker writes its metrics to files in PROMETHEUS_MULTIPROC_DIR, and a scrape of any
    worker adds them up. The directory must start empty: a fresh one unless one is given, and
    a given one is emptied."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given is None:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="prometheus-")
        return
    for leftover in Path(given).glob("*.db"):
        leftover.unlink()


def _migrate(args: argparse.Namespace) -> None:
    settings = get_settings()
    configure_logging(settings.LOG_LEVEL, settings.log_format)
    from {{ cookiecutter.package_name }}.core import migrations  # noqa: PLC0415 - see _dev

    migrations.upgrade(
        resolve_migration_url(settings), args.revision, application_role=application_role(settings)
    )


def _create_admin(args: argparse.Namespace) -> None:
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass()
    try:
        data = UserCreate(email=args.email, password=password, full_name=args.full_name)
    except ValidationError as exc:
        problems = "; ".join(f"{error['loc'][0]}: {error['msg']}" for error in exc.errors())
        raise SystemExit(f"create-admin: {problems}") from None

    async def create(db: AsyncSession) -> None:
        passwords = PasswordHasher()
        try:
            await user_service.register(
                db,
                data=data,
                passwords=passwords,
                refuse_lookalikes=get_settings().REFUSE_LOOKALIKE_EMAILS,
                role=UserRole.ADMIN,
                # Whoever runs the command vouches for the address: no mail to confirm it.
                verified_at=datetime.now(UTC),
            )
        finally:
            passwords.close()

    try:
        in_one_transaction(get_settings(), create)
    except AppError as exc:
        raise SystemExit(f"create-admin: {exc.detail}") from None
    sys.stdout.write(f"Created admin {data.email}\n")


def _openapi(args: argparse.Namespace) -> None:
    document = json.dumps(create_app().openapi(), indent=2, sort_keys=True) + "\n"
    if args.output is None:
        sys.stdout.write(document)
    else:
        Path(args.output).write_text(document, encoding="utf-8")


def error_table() -> str:
    """Every error code the service can answer with, as a Markdown page (docs/errors.md)."""
    rows = [
        f"| `{error.code}` | {error.status_code} | {error.title} | "
        f"{' '.join((error.__doc__ or '').split())} |"
        for error in error_catalogue()
    ]
    return "\n".join(
        [
            "# Error codes",
            "",
            "Every problem the API answers with carries one of these `code` values. This page is",
            "generated from the error classes by `make errors-doc`; a test fails when it is out",
            "of date.",
            "",
            "| code | status | title | when |",
            "|---|---|---|---|",
            *rows,
            "",
        ]
    )


def _errors(args: argparse.Namespace) -> None:
    if args.output is None:
        sys.stdout.write(error_table())
    else:
        Path(args.output).write_text(error_table(), encoding="utf-8")


# The server is down, or refuses CREATE DATABASE (a DBAPIError, such as a missing privilege).
_SCRATCH_DATABASE_ERRORS: tuple[type[Exception], ...] = (*DATABASE_UNAVAILABLE_ERRORS, DBAPIError)


def _new_domain(args: argparse.Namespace) -> None:
    try:
        scaffold.check(scaffold.PROJECT_ROOT, args.name, args.singular)
        server_url = resolve_migration_url(get_settings())

        async def scaffold_in_scratch_database() -> scaffold.Report:
            # Autogenerate compares the models with a database at head: a scratch one, so
            # the dev database's state (ahead, behind, or on another branch) does not matter.
            async with scratch_database(server_url, f"{PACKAGE_DIR.name}_scaffold") as url:
                return await asyncio.to_thread(
                    scaffold.new_domain,
                    scaffold.PROJECT_ROOT,
                    args.name,
                    singular=args.singular,
                    database_url=url,
                )

        report = asyncio.run(scaffold_in_scratch_database())
    except ScaffoldError as exc:
        raise SystemExit(f"new-domain: {exc}") from None
    except _SCRATCH_DATABASE_ERRORS as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise SystemExit(
            f"new-domain: could not create a scratch database on the development server "
            f"({reason}); start it (make dev), or give the migrations' role "
            "(MIGRATION_DATABASE_URL's user, or DATABASE_URL's) the CREATEDB privilege"
        ) from None
    sys.stdout.write("".join(f"{line}\n" for line in report.lines()))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="{{ cookiecutter.package_name }}", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    dev = commands.add_parser("dev", help="embedded DB if needed, migrate, serve with reload")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8000)
    dev.add_argument(
        "--mail-port", type=int, default=1025, help="the mail catcher's port (0: any free one)"
    )
    dev.set_defaults(handler=_dev)

    serve = commands.add_parser("serve", help="serve for production (no reload)")
    serve.add_argument("--host", default="0.0.0.0")  # noqa: S104 - containers listen on all interfaces
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--graceful-timeout", type=int, default=20, help="seconds (default 20)")
    serve.add_argument(
        "--keep-alive",
        type=int,
        default=75,
        help="seconds an idle connection stays open (default 75: longer than the idle timeout "
        "of common load balancers, 60 s, so they never reuse a connection the server closes)",
    )
    serve.set_defaults(handler=_serve)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("revision", nargs="?", default="head")
    migrate.set_defaults(handler=_migrate)

    admin = commands.add_parser("create-admin", help="create an account with the admin role")
    admin.add_argument("--email", required=True)
    admin.add_argument("--full-name", required=True)
    admin.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of prompting for it",
    )
    admin.set_defaults(handler=_create_admin)

    worker_commands.add_commands(commands)

    domain = commands.add_parser(
        "new-domain", help="write a new domain with its tests and migration, and mount it"
    )
    domain.add_argument("name", help="the domain in the plural, snake_case: invoices, line_items")
    domain.add_argument("--singular", help="the singular, when it is not the name minus its -s")
    domain.set_defaults(handler=_new_domain)

    errors = commands.add_parser("errors", help="print the table of error codes (docs/errors.md)")
    errors.add_argument("--output", "-o", help="write to this file instead of stdout")
    errors.set_defaults(handler=_errors)

    openapi = commands.add_parser("openapi", help="print the OpenAPI document")
    openapi.add_argument("--output", "-o", help="write to this file instead of stdout")
    openapi.set_defaults(handler=_openapi)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.handler(args)
