"""The architecture checker passes on this code base and names the rule a violation breaks."""

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[1] / "scripts" / "check_architecture.py"


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
        ("service.py", "from fastapi import HTTPException\n", "ARCH003"),
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
