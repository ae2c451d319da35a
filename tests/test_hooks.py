"""The hooks: bad answers stop generation with one clear sentence and leave nothing behind;
the post-generation check reports failures and only fails generation in strict mode."""

import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.baking import run_cookiecutter


def env_without(*removed: str, **added: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in removed}
    env.update(added)
    return env


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        ("project_slug=My Service", "project_slug 'My Service' is not allowed"),
        ("project_slug=9lives", "project_slug '9lives' is not allowed"),
        ("project_slug=double--hyphen", "project_slug 'double--hyphen' is not allowed"),
        (f"project_slug={'a' * 41}", "at most 40 characters"),
        ("package_name=my-service", "package_name 'my-service' is not a valid package name"),
        ("package_name=Billing", "package_name 'Billing' is not a valid package name"),
        (f"package_name={'a' * 33}", "at most 32 characters"),
        ("package_name=class", "package_name 'class' would shadow"),
        ("package_name=json", "package_name 'json' would shadow"),
        ("package_name=fastapi", "package_name 'fastapi' would shadow"),
        ("project_name= ", "project_name is empty"),
        ("author_email=not-an-email", "author_email 'not-an-email' is not an email address"),
    ],
)
def test_a_bad_answer_stops_generation_naming_it(tmp_path: Path, answer: str, named: str) -> None:
    result = run_cookiecutter(tmp_path, answer)
    assert result.returncode != 0
    messages = [line for line in result.stderr.splitlines() if line.startswith("keel: ")]
    assert len(messages) == 1, result.stderr
    assert named in messages[0]
    assert list(tmp_path.iterdir()) == [], "a half-generated project was left behind"


def test_kubernetes_without_the_dockerfile_is_refused(tmp_path: Path) -> None:
    result = run_cookiecutter(tmp_path, "deploy=kubernetes", "use_docker=no")
    assert result.returncode != 0
    assert "keel: deploy 'kubernetes' runs the image the Dockerfile builds" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_unlisted_python_version_is_refused(tmp_path: Path) -> None:
    result = run_cookiecutter(tmp_path, "python_version=3.10")
    assert result.returncode != 0
    assert "3.10" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_missing_uv_skips_the_check_with_instructions(tmp_path: Path) -> None:
    # Only the interpreter's own directory on PATH: no uv, no make.
    env = env_without("KEEL_STRICT", PATH=str(Path(sys.executable).parent))
    if shutil.which("uv", path=env["PATH"]):
        pytest.skip("uv is installed next to the interpreter; cannot hide it")
    result = run_cookiecutter(tmp_path, "run_tests_after_generation=yes", env=env)
    assert result.returncode == 0, result.stderr
    assert "uv and make not found, so the checks were skipped" in result.stdout
    assert "pip install uv" in result.stdout
    assert (tmp_path / "my-service" / "pyproject.toml").exists()


def test_missing_uv_fails_generation_in_strict_mode(tmp_path: Path) -> None:
    env = env_without(PATH=str(Path(sys.executable).parent), KEEL_STRICT="1")
    if shutil.which("uv", path=env["PATH"]):
        pytest.skip("uv is installed next to the interpreter; cannot hide it")
    result = run_cookiecutter(tmp_path, "run_tests_after_generation=yes", env=env)
    assert result.returncode != 0


def test_a_failing_check_keeps_the_project_and_says_how_to_rerun(tmp_path: Path) -> None:
    # A real failure: uv is told to use an interpreter that does not exist.
    env = env_without("KEEL_STRICT", UV_PYTHON=str(tmp_path / "no-such-python"))
    result = run_cookiecutter(tmp_path, "run_tests_after_generation=yes", env=env)
    assert result.returncode == 0, result.stderr
    project = tmp_path / "my-service"
    assert f"`make install` failed; the project is kept in {project}" in result.stdout
    assert "run `make check` there" in result.stdout
    assert (project / "pyproject.toml").exists()


def test_a_failing_check_fails_generation_in_strict_mode(tmp_path: Path) -> None:
    env = env_without(UV_PYTHON=str(tmp_path / "no-such-python"), KEEL_STRICT="1")
    result = run_cookiecutter(tmp_path, "run_tests_after_generation=yes", env=env)
    assert result.returncode != 0
    assert "`make install` failed" in result.stdout
