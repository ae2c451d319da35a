"""The "add a domain by hand" tutorial is executable: its steps, marked in the page with
`<!-- keel-tutorial: ... -->` comments, are applied in order to a freshly generated project,
whose `make check` (the tutorial's last step) must then pass.

Steps, each followed by the fenced code block it uses:

    write PATH                  the block is the whole file
    insert-after PATH | LINE    the block goes after the line equal to LINE
    replace-line PATH | START   the block replaces the one line starting with START
    run                         each line of the block is a shell command, run in the project
"""

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.baking import TEMPLATE, bake, project_env, require_python, run_in

TUTORIAL = TEMPLATE / "docs" / "how-to" / "add-a-domain-by-hand.md"
STEP = re.compile(
    r"^<!-- keel-tutorial: (?P<action>[a-z-]+)"
    r"(?: (?P<target>[^|\n]+?))?(?: \| (?P<anchor>[^\n]+?))? -->\n"
    r"```[a-z]*\n(?P<code>.*?)^```$",
    re.MULTILINE | re.DOTALL,
)
ACTIONS = {"write", "insert-after", "replace-line", "run"}


@dataclass(frozen=True)
class Step:
    action: str
    target: str | None
    anchor: str | None
    code: str


def tutorial_steps() -> list[Step]:
    text = TUTORIAL.read_text(encoding="utf-8")
    steps = [
        Step(match["action"], match["target"], match["anchor"], match["code"])
        for match in STEP.finditer(text)
    ]
    # Every marker must be followed by its block: a marker the pattern missed is a broken step.
    assert len(steps) == text.count("<!-- keel-tutorial:"), "a step marker lacks its code block"
    return steps


def apply(step: Step, project: Path) -> None:
    """Make the change a file step describes."""
    assert step.target is not None, step
    path = project / step.target
    if step.action == "write":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(step.code, encoding="utf-8")
        return
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    if step.action == "insert-after":
        assert step.anchor is not None, step
        index = [line.rstrip("\n") for line in lines].index(step.anchor)
        lines.insert(index + 1, step.code)
    elif step.action == "replace-line":
        assert step.anchor is not None, step
        [index] = [i for i, line in enumerate(lines) if line.startswith(step.anchor)]
        lines[index] = step.code
    path.write_text("".join(lines), encoding="utf-8")


def test_every_step_of_the_tutorial_is_well_formed() -> None:
    steps = tutorial_steps()
    assert {step.action for step in steps} == ACTIONS
    for step in steps:
        if step.action == "run":
            assert step.target is None and step.code.strip(), step
        else:
            assert step.target is not None and step.target.startswith(("src/", "tests/")), step
        if step.action in {"insert-after", "replace-line"}:
            assert step.anchor, step
    # The tutorial ends by proving the result: the full check.
    assert steps[-1].code.strip().splitlines()[-1] == "make check"


@pytest.mark.slow
@pytest.mark.usefixtures("strict_env")
def test_the_tutorial_applied_to_a_new_project_passes_make_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_python("3.11", monkeypatch)
    project = bake(tmp_path)
    env = project_env()
    # The reader has run `make dev` (or `make install`) once.
    assert run_in(project, "uv", "sync").returncode == 0
    outputs = []
    for step in tutorial_steps():
        if step.action != "run":
            apply(step, project)
            continue
        for command in filter(None, map(str.strip, step.code.splitlines())):
            result = subprocess.run(  # noqa: S602 - the tutorial's own commands
                command,
                shell=True,
                cwd=project,
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=1200,
            )
            assert result.returncode == 0, (command, result.stdout[-8000:], result.stderr[-3000:])
            outputs.append(result.stdout)
    assert "Required test coverage of 90" in outputs[-1]
    collected = run_in(project, "uv", "run", "pytest", "--collect-only", "-q", "tests/notes")
    # The tutorial's tests are part of the suite that just passed.
    assert re.search(r"^1\d tests collected", collected.stdout, re.MULTILINE), collected.stdout
    migrations = project / "src" / "my_service" / "migrations" / "versions"
    assert len(list(migrations.glob("*_create_notes.py"))) == 1
