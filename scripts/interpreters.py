"""Finding a Python interpreter of a given version, shared by the template's tests (bakes for
3.12 and 3.13) and the benchmark (the peers need 3.12).

uv does not see pyenv's versions that are not global, so the search looks on PATH and in
pyenv's versions first, then at what the caller adds (e.g. `uv python find`)."""

import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path


def find_python(version: str, *, also: Iterable[str] = ()) -> str | None:
    """An interpreter that reports `version` (e.g. "3.12"), or None if there is none."""
    candidates = [shutil.which(f"python{version}")]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += [
        str(path) for path in sorted(pyenv_root.glob(f"versions/{version}.*/bin/python{version}"))
    ]
    candidates += also
    for candidate in filter(None, candidates):
        if _reports(candidate, version):
            return candidate
    return None


def _reports(candidate: str, version: str) -> bool:
    probe = subprocess.run(
        [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=False,
    )
    return probe.returncode == 0 and probe.stdout.strip() == version
