"""The architecture checker passes on this code base and names the rule a violation breaks."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).parents[1]
SCRIPT = PROJECT / "scripts" / "check_architecture.py"
PACKAGE = "{{ cookiecutter.package_name }}"


def check(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(SCRIPT), *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_code_base_follows_the_rules() -> None:
    result = check()
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    ("name", "source", "rule"),
    [
        ("router.py", "async def f(session):\n    await session.commit()\n", "ARCH001"),
        ("service.py", "async def f(session):\n    await session.commit()\n", "ARCH001"),
        ("router.py", "from sqlalchemy import select\n", "ARCH002"),
        ("router.py", "from app.users.repository import UserRepository\n", "ARCH002"),
        ("router.py", "from app.users import repository\n", "ARCH002"),
    ],
)
def test_a_violation_is_reported_with_its_rule(
    tmp_path: Path, name: str, source: str, rule: str
) -> None:
    offender = tmp_path / name
    offender.write_text(source)
    result = check(offender)
    assert result.returncode == 1
    assert f"{offender}:" in result.stdout
    assert rule in result.stdout


def lint_imports(source: Path) -> subprocess.CompletedProcess[str]:
    """import-linter with the project's contracts, over the package found in `source`."""
    return subprocess.run(  # noqa: S603 - import-linter, from this environment
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
            str(PROJECT / "pyproject.toml"),
            "--no-cache",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(source)},
        cwd=source,
    )


@pytest.mark.parametrize(
    ("module", "planted"),
    [
        # Indirect: the service imports a web-facing module, which imports fastapi.
        ("users/service.py", f"from {PACKAGE}.web.dependencies import DbSession\n"),
        # Direct, in the framework-free core.
        ("core/config.py", "from fastapi import Depends\n"),
        ("users/repository.py", "import starlette.requests\n"),
    ],
)
def test_the_import_contract_catches_the_web_framework_below_the_routers(
    tmp_path: Path, module: str, planted: str
) -> None:
    copy = tmp_path / PACKAGE
    shutil.copytree(PROJECT / "src" / PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    target.write_text(planted + target.read_text())
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout
    # import-linter wraps the contract's name to the width of a terminal.
    assert "never reach fastapi or starlette BROKEN" in " ".join(result.stdout.split())
    dotted = f"{PACKAGE}.{module.removesuffix('.py').replace('/', '.')}"
    assert f"{dotted} -> " in result.stdout


def test_the_import_contracts_hold_on_the_code_base(tmp_path: Path) -> None:
    shutil.copytree(PROJECT / "src" / PACKAGE, tmp_path / PACKAGE)
    result = lint_imports(tmp_path)
    assert result.returncode == 0, result.stdout
