"""`python -m {{ cookiecutter.package_name }} <command>`: run, migrate and inspect the service.

Settings come from the environment (and `.env`); flags only choose how to serve.
"""

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from {{ cookiecutter.package_name }}.core import migrations
from {{ cookiecutter.package_name }}.core.config import get_settings
from {{ cookiecutter.package_name }}.core.db import resolve_database_url
from {{ cookiecutter.package_name }}.core.logging import configure_logging, logging_config

APP_FACTORY = "{{ cookiecutter.package_name }}.main:create_app"
PACKAGE_DIR = Path(__file__).parent


def _dev(args: argparse.Namespace) -> None:
    settings = get_settings()
    configure_logging(settings.LOG_LEVEL)
    database_url = resolve_database_url(settings)
    # The reloading worker is a new process: hand it the (possibly embedded) database's URL.
    os.environ["DATABASE_URL"] = database_url
    migrations.upgrade(database_url)
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=args.host,
        port=args.port,
        reload=True,
        reload_dirs=[str(PACKAGE_DIR)],
        log_config=logging_config(settings.LOG_LEVEL),
    )


def _serve(args: argparse.Namespace) -> None:
    settings = get_settings()
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=logging_config(settings.LOG_LEVEL),
        server_header=False,
        proxy_headers=True,
        # On SIGTERM, stop accepting, let in-flight requests finish for up to this long, then exit.
        timeout_graceful_shutdown=args.graceful_timeout,
    )


def _migrate(args: argparse.Namespace) -> None:
    settings = get_settings()
    configure_logging(settings.LOG_LEVEL)
    migrations.upgrade(resolve_database_url(settings), args.revision)


def _openapi(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }}.main import create_app  # noqa: PLC0415 - keeps other commands light

    document = json.dumps(create_app().openapi(), indent=2, sort_keys=True) + "\n"
    if args.output is None:
        sys.stdout.write(document)
    else:
        Path(args.output).write_text(document, encoding="utf-8")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="{{ cookiecutter.package_name }}", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    dev = commands.add_parser("dev", help="embedded DB if needed, migrate, serve with reload")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8000)
    dev.set_defaults(handler=_dev)

    serve = commands.add_parser("serve", help="serve for production (no reload)")
    serve.add_argument("--host", default="0.0.0.0")  # noqa: S104 - containers listen on all interfaces
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--graceful-timeout", type=int, default=20, help="seconds (default 20)")
    serve.set_defaults(handler=_serve)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("revision", nargs="?", default="head")
    migrate.set_defaults(handler=_migrate)

    openapi = commands.add_parser("openapi", help="print the OpenAPI document")
    openapi.add_argument("--output", "-o", help="write to this file instead of stdout")
    openapi.set_defaults(handler=_openapi)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.handler(args)
