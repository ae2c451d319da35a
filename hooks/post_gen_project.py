"""After generation: remove what disabled options own, record the answers, and (if asked)
install the project and run its full check.

A failing check keeps the project and says how to rerun it; only strict mode (KEEL_STRICT=1,
set by the template's own tests and CI) turns it into a failed generation.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ANSWERS = json.loads(r"""{{ cookiecutter | jsonify }}""")

# Keys about this particular run or the template itself, not answers: not recorded.
NOT_ANSWERS = (
    "_output_dir",
    "_repo_dir",
    "_checkout",
    "_copy_without_render",
    "_extensions",
    "_owned_paths",
)
ANSWERS_FILE = ".cookiecutter.json"


def say(message: str) -> None:
    print(f"keel: {message}", flush=True)


def prune(project: Path, answers: dict[str, object]) -> None:
    """Delete the paths owned by option values that were not chosen (see `_owned_paths`)."""
    owned: dict[str, dict[str, list[str]]] = answers["_owned_paths"]  # type: ignore[assignment]
    for option, by_value in owned.items():
        for value, paths in by_value.items():
            if answers[option] == value:
                continue
            for template in paths:
                path = project / template.format(package_name=answers["package_name"])
                if path.is_dir():
                    shutil.rmtree(path)
                elif path.exists():
                    path.unlink()


def record_answers(project: Path, answers: dict[str, object]) -> None:
    """Write the answers in cookiecutter's replay format, for `--replay-file` and updates."""
    kept = {key: value for key, value in answers.items() if key not in NOT_ANSWERS}
    text = json.dumps({"cookiecutter": kept}, indent=2, sort_keys=True) + "\n"
    (project / ANSWERS_FILE).write_text(text, encoding="utf-8")


def run(command: list[str], project: Path) -> bool:
    say(f"$ {' '.join(command)}")
    # An environment that is active where cookiecutter runs is not the new project's.
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    return subprocess.run(command, cwd=project, env=env, check=False).returncode == 0


def check(project: Path) -> bool:
    """Install and run `make check`; True when it passed or could not be attempted."""
    missing = [tool for tool in ("uv", "make") if shutil.which(tool) is None]
    if missing:
        say(
            f"{' and '.join(missing)} not found, so the checks were skipped. Install uv with "
            "`pip install uv` (and make from your system's packages), then run `make check` "
            f"in {project}."
        )
        return not strict()
    started = time.monotonic()
    # `make install` makes the first lock as of the template's tested date, then syncs.
    for step in (["make", "install"], ["make", "check"]):
        if not run(step, project):
            say(
                f"`{' '.join(step)}` failed; the project is kept in {project}. "
                "Fix the problem above, then run `make check` there."
            )
            return False
    say(f"all checks passed in {time.monotonic() - started:.0f} s.")
    return True


def strict() -> bool:
    return os.environ.get("KEEL_STRICT", "") not in ("", "0")


def main() -> int:
    project = Path.cwd()
    prune(project, ANSWERS)
    record_answers(project, ANSWERS)
    passed = True
    if ANSWERS["run_tests_after_generation"] == "yes":
        passed = check(project)
    if passed:
        say(f"ready. Next: cd {project} && make dev, then open http://127.0.0.1:8000/docs")
        return 0
    return 1 if strict() else 0


if __name__ == "__main__":
    sys.exit(main())
