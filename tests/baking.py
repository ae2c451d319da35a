"""Baking helpers shared by the template's tests."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cookiecutter.main import cookiecutter

from scripts.interpreters import find_python

TEMPLATE = Path(__file__).resolve().parents[1]
CONTEXT: dict[str, Any] = json.loads((TEMPLATE / "cookiecutter.json").read_text())
# Choice options: a list of values, the first being the default.
OPTIONS: dict[str, list[str]] = {
    name: values
    for name, values in CONTEXT.items()
    if isinstance(values, list) and not name.startswith("_")
}
OWNED_PATHS: dict[str, dict[str, list[str]]] = CONTEXT["_owned_paths"]


def bake(output_dir: Path, **answers: str) -> Path:
    """Generate a project without prompts; the checks are not run unless asked for."""
    context = {"run_tests_after_generation": "no", **answers}
    return Path(
        cookiecutter(
            str(TEMPLATE), no_input=True, extra_context=context, output_dir=str(output_dir)
        )
    )


def run_cookiecutter(
    output_dir: Path, *answers: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Cookiecutter's command line, as a user runs it; answers are `key=value` strings."""
    command = [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(output_dir)]
    return subprocess.run(
        [*command, str(TEMPLATE), *answers],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=600,
    )


def require_python(version: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip unless `version` is installed; otherwise make uv use it."""
    python = find_python(version)
    if python is None:
        pytest.skip(f"Python {version} is not installed on this machine")
    monkeypatch.setenv("UV_PYTHON", python)


def project_env() -> dict[str, str]:
    """This environment without VIRTUAL_ENV, so that uv in a baked project uses its own .venv
    rather than the one these tests run in."""
    return {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}


def run_bench_script(name: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    """`bench/<name>` with this interpreter, as `uv run python bench/<name>` runs it; asserts
    it succeeded, showing the end of its output if not."""
    result = subprocess.run(
        [sys.executable, str(TEMPLATE / "bench" / name), *arguments],
        env=project_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return result


def run_in(
    project: Path, *command: str, env: dict[str, str] | None = None, timeout: int = 1200
) -> subprocess.CompletedProcess[str]:
    """Run `command` in a baked project, as its user would from a shell; never raises on failure."""
    return subprocess.run(
        command,
        cwd=project,
        env=project_env() if env is None else env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
