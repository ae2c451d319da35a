"""A generated project takes later template changes with `cruft update`: the change arrives,
the team's own edits survive, and an edit that collides with the change is reported as a
conflict in git instead of being overwritten."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.baking import TEMPLATE

GIT_IDENTITY = ("-c", "user.name=Keel Tests", "-c", "user.email=tests@example.com")
MAKEFILE = "{{cookiecutter.project_slug}}/Makefile"


def run(*command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=True)


def commit(repository: Path, message: str) -> None:
    run("git", "add", "--all", cwd=repository)
    run("git", *GIT_IDENTITY, "commit", "--quiet", "--message", message, cwd=repository)


def cruft(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("cruft")
    assert executable is not None, "cruft is a dev dependency of the template; run `uv sync`"
    return run(executable, *arguments, cwd=cwd)


@pytest.fixture
def template_repository(tmp_path: Path) -> Path:
    """A git copy of the template as it is now: the "old" version projects are made from."""
    repository = tmp_path / "template"
    shutil.copytree(
        TEMPLATE,
        repository,
        ignore=shutil.ignore_patterns(".git", ".venv", "*_cache", "__pycache__", "site"),
    )
    run("git", "init", "--quiet", cwd=repository)
    commit(repository, "template v1")
    return repository


@pytest.fixture
def project(tmp_path: Path, template_repository: Path) -> Path:
    """A project generated with cruft from v1, committed, with an edit of the team's own."""
    output = tmp_path / "projects"
    cruft(
        "create",
        str(template_repository),
        "--no-input",
        "--output-dir",
        str(output),
        "--extra-context",
        json.dumps({"run_tests_after_generation": "no"}),
        cwd=tmp_path,
    )
    project = output / "my-service"
    run("git", "init", "--quiet", cwd=project)
    commit(project, "generated")
    with (project / "README.md").open("a", encoding="utf-8") as readme:
        readme.write("\nOur team's runbook lives in the wiki.\n")
    commit(project, "team edit")
    return project


def change_template(template_repository: Path, old: str, new: str, message: str) -> None:
    makefile = template_repository / MAKEFILE
    makefile.write_text(makefile.read_text(encoding="utf-8").replace(old, new, 1))
    commit(template_repository, message)


def test_an_update_brings_the_template_change_and_keeps_the_teams_edits(
    template_repository: Path, project: Path
) -> None:
    change_template(
        template_repository,
        ".DEFAULT_GOAL := help\n",
        ".DEFAULT_GOAL := help\n# Added by template v2.\n",
        "template v2",
    )
    cruft("update", "--skip-apply-ask", cwd=project)
    assert "# Added by template v2." in (project / "Makefile").read_text()
    assert "Our team's runbook lives in the wiki." in (project / "README.md").read_text()
    recorded = json.loads((project / ".cruft.json").read_text())
    head = run("git", "rev-parse", "HEAD", cwd=template_repository).stdout.strip()
    assert recorded["commit"] == head


def test_an_edit_that_collides_with_the_update_is_left_as_a_git_conflict(
    template_repository: Path, project: Path
) -> None:
    makefile = project / "Makefile"
    makefile.write_text(
        makefile.read_text().replace(".DEFAULT_GOAL := help", ".DEFAULT_GOAL := check")
    )
    commit(project, "team changes the default goal")
    change_template(
        template_repository, ".DEFAULT_GOAL := help", ".DEFAULT_GOAL := lint", "template v2"
    )
    result = cruft("update", "--skip-apply-ask", cwd=project)
    assert "with conflicts" in result.stdout + result.stderr
    status = run("git", "status", "--porcelain", cwd=project).stdout
    assert "UU Makefile" in status
    text = makefile.read_text()
    assert ".DEFAULT_GOAL := check" in text
    assert ".DEFAULT_GOAL := lint" in text
