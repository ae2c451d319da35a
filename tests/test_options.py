"""Every combination of options renders cleanly: no Jinja left, nothing a disabled option owns,
every file well-formed, and the answers recorded."""

import ast
import itertools
import json
import re
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.baking import CONTEXT, OPTIONS, OWNED_PATHS, bake

UNRENDERED = re.compile(r"\{\{\s*cookiecutter|\{%|\{#|cookiecutter\.")
# The project's own Jinja2 templates (its mails) are copied as they are: their tags are theirs,
# but no cookiecutter variable may be left in them either.
UNRENDERED_IN_JINJA = re.compile(r"\{\{\s*cookiecutter|cookiecutter\.")
# Options whose values change which files exist or what they contain.
MATRIX_OPTIONS = ("python_version", "include_example_domain", "use_docker", "ci", "license")


def project_files(project: Path) -> list[Path]:
    return sorted(path for path in project.rglob("*") if path.is_file())


def assert_rendered(project: Path) -> None:
    for path in project_files(project):
        text = path.read_text(encoding="utf-8")
        pattern = UNRENDERED_IN_JINJA if path.name.endswith(".jinja") else UNRENDERED
        match = pattern.search(text)
        assert match is None, f"{path.relative_to(project)}: unrendered {match.group(0)!r}"
        assert "{{" not in str(path), path


def assert_owned_paths(project: Path, answers: dict[str, str]) -> None:
    package = next(path.name for path in (project / "src").iterdir())
    for option, by_value in OWNED_PATHS.items():
        for value, paths in by_value.items():
            for template_path in paths:
                relative = template_path.format(package_name=package)
                exists = (project / relative).exists()
                if answers[option] == value:
                    assert exists, f"{relative} missing with {option}={value}"
                else:
                    assert not exists, f"{relative} kept with {option}={answers[option]}"


def assert_well_formed(project: Path, python_version: str) -> None:
    # Newer syntax (3.12 generics) cannot be parsed by an older interpreter; ruff parses those
    # projects with their own target version in test_generated_files.py.
    parse_python = sys.version_info >= tuple(int(part) for part in python_version.split("."))
    for path in project_files(project):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(project)
        if not text:
            continue  # an empty __init__.py
        assert not text.startswith("\n"), f"{name} starts with a blank line"
        assert text.endswith("\n") and not text.endswith("\n\n"), f"{name} ends badly"
        assert "\n\n\n\n" not in text, f"{name} has a blank-line scar"
        assert not re.search(r"[ \t]+\n", text), f"{name} has trailing whitespace"
        if path.suffix == ".py" and parse_python:
            ast.parse(text, filename=str(name))
        elif path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix in {".yml", ".yaml"}:
            list(yaml.safe_load_all(text))  # a file may hold several documents
        elif path.suffix == ".json":
            json.loads(text)


def answers_with(**overrides: str) -> dict[str, str]:
    answers = {name: values[0] for name, values in OPTIONS.items()}
    answers.update(overrides)
    return answers


@pytest.mark.parametrize(
    ("option", "value"),
    [
        (option, value)
        for option, values in OPTIONS.items()
        for value in values
        # Running the generated checks is what tests/test_generated.py does, slowly.
        if (option, value) != ("run_tests_after_generation", "yes")
    ],
)
def test_every_value_of_every_option_bakes_cleanly(tmp_path: Path, option: str, value: str) -> None:
    project = bake(tmp_path, **{option: value})
    answers = answers_with(**{option: value})
    assert_rendered(project)
    assert_owned_paths(project, answers)
    assert_well_formed(project, answers["python_version"])


def test_all_combinations_render_without_leftovers(tmp_path: Path) -> None:
    combinations = list(itertools.product(*(OPTIONS[name] for name in MATRIX_OPTIONS)))
    for index, values in enumerate(combinations):
        answers = dict(zip(MATRIX_OPTIONS, values, strict=True))
        project = bake(tmp_path / str(index), **answers)
        assert_rendered(project)
        assert_owned_paths(project, answers_with(**answers))
    assert len(combinations) == 3 * 2 * 2 * 2 * 4


def test_names_are_derived_from_the_project_name(tmp_path: Path) -> None:
    project = bake(tmp_path, project_name="Billing API")
    assert project.name == "billing-api"
    assert (project / "src" / "billing_api" / "main.py").exists()
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == "billing-api"
    assert pyproject["project"]["scripts"] == {"billing-api": "billing_api.cli:main"}


def test_python_version_sets_the_interpreter_and_the_tools(tmp_path: Path) -> None:
    project = bake(tmp_path, python_version="3.13")
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["requires-python"] == ">=3.13"
    assert pyproject["tool"]["ruff"]["target-version"] == "py313"
    assert pyproject["tool"]["mypy"]["python_version"] == "3.13"
    assert (project / ".python-version").read_text() == "3.13\n"


@pytest.mark.parametrize("license_name", OPTIONS["license"])
def test_the_license_file_matches_the_choice(tmp_path: Path, license_name: str) -> None:
    project = bake(tmp_path, license=license_name, author_name="Ada Lovelace")
    text = (project / "LICENSE").read_text()
    first_line = {
        "MIT": "MIT License",
        "Apache-2.0": "Apache License",
        "BSD-3-Clause": "BSD 3-Clause License",
        "Proprietary": "Copyright (c)",
    }[license_name]
    assert text.lstrip().startswith(first_line)
    assert "Ada Lovelace" in text
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"].get("license") == (
        None if license_name == "Proprietary" else license_name
    )


def test_the_answers_are_recorded_for_replay_and_updates(tmp_path: Path) -> None:
    project = bake(tmp_path, project_name="Billing API", license="Apache-2.0")
    recorded = json.loads((project / ".cookiecutter.json").read_text())["cookiecutter"]
    assert recorded["project_name"] == "Billing API"
    assert recorded["license"] == "Apache-2.0"
    assert recorded["_keel_version"] == CONTEXT["_keel_version"]
    for run_specific in ("_output_dir", "_repo_dir", "_checkout", "_owned_paths"):
        assert run_specific not in recorded


def test_replaying_the_answers_regenerates_the_same_project(tmp_path: Path) -> None:
    first = bake(tmp_path / "first", project_name="Billing API", use_docker="no", ci="none")
    recorded = json.loads((first / ".cookiecutter.json").read_text())["cookiecutter"]
    answers = {key: value for key, value in recorded.items() if not key.startswith("_")}
    second = bake(tmp_path / "second", **answers)
    first_files = {path.relative_to(first): path.read_bytes() for path in project_files(first)}
    second_files = {path.relative_to(second): path.read_bytes() for path in project_files(second)}
    assert first_files == second_files
