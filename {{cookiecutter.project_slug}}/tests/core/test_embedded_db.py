"""The embedded PostgreSQL's runtime directory is handled, not left to warn."""

import os
import stat
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.core.embedded_db import _ensure_runtime_dir


@pytest.mark.parametrize("mode", [None, 0o755])
def test_an_unusable_runtime_dir_is_replaced_by_a_private_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: int | None
) -> None:
    if mode is None:
        monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    else:
        shared = tmp_path / "shared"
        shared.mkdir(mode=mode)
        shared.chmod(mode)
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(shared))
    _ensure_runtime_dir()
    chosen = Path(os.environ["XDG_RUNTIME_DIR"])
    assert stat.S_IMODE(chosen.stat().st_mode) == 0o700
    assert chosen.name == f"keel-runtime-{os.getuid()}"


def test_a_private_runtime_dir_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(private))
    _ensure_runtime_dir()
    assert os.environ["XDG_RUNTIME_DIR"] == str(private)
