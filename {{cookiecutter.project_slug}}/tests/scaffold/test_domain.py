"""`new-domain` on a copy of this project: what it writes, what it refuses, and that a failure
half-way leaves the project as it was. (The template's own tests also run `make check` on a
project right after scaffolding two domains.)"""

import asyncio
import hashlib
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import make_url

from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.scaffold.domain import (
    PROJECT_ROOT,
    Report,
    check,
    new_domain,
)
from {{ cookiecutter.package_name }}.scaffold.names import (
    PACKAGE,
    ScaffoldError,
    domain_names,
    singular_of,
)

from tests.support import make_settings, scratch_database, unused_domain_names

CACHES = {"__pycache__", ".ruff_cache"}
TEMPLATES = Path(__file__).parents[2] / "src" / PACKAGE / "scaffold" / "templates"


NAMES = unused_domain_names()


def copy_of_project(destination: Path) -> Path:
    """The parts of this project new-domain reads and writes, copied to `destination`."""
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(PROJECT_ROOT / "src", destination / "src", ignore=ignore)
    for name in ("pyproject.toml", "alembic.ini"):
        shutil.copy(PROJECT_ROOT / name, destination / name)
    (destination / "tests").mkdir()
    document = create_app(make_settings("postgresql://unused@127.0.0.1/unused")).openapi()
    openapi = json.dumps(document, indent=2, sort_keys=True) + "\n"
    (destination / "openapi.json").write_text(openapi, encoding="utf-8")
    return destination


def snapshot(root: Path) -> dict[str, str]:
    """Every file under `root` (caches aside) with a hash of its content."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not CACHES & set(path.parts)
    }


async def scaffold(
    root: Path, name: str, server_url: str, database: str, singular: str | None = None
) -> Report:
    async with scratch_database(server_url, database) as url:
        return await asyncio.to_thread(new_domain, root, name, singular=singular, database_url=url)


@pytest.fixture(scope="module")
def scratch_name(database_url: str) -> str:
    return f"{make_url(database_url).database}_scaffold"


@pytest.mark.parametrize(
    ("plural", "singular"),
    [
        ("invoices", "invoice"),
        ("line_items", "line_item"),
        ("categories", "category"),
        ("addresses", "address"),
        ("boxes", "box"),
        ("batches", "batch"),
        ("statuses", "status"),
        ("sales_people", "sales_person"),
        ("staff", None),
        ("glass", None),
        ("news", None),
        ("series", None),
        ("status", None),
        ("analysis", None),
    ],
)
def test_the_singular_follows_the_regular_english_rules(plural: str, singular: str | None) -> None:
    assert singular_of(plural) == singular


def test_every_spelling_of_the_domain_comes_from_its_two_names() -> None:
    names = domain_names("line_items")
    substitutions = names.substitutions()
    assert (names.model, names.url) == ("LineItem", "line-items")
    assert (substitutions["Nouns"], substitutions["noun"]) == ("Line items", "line item")
    assert domain_names("people", singular="person").model == "Person"


@pytest.mark.parametrize(
    ("name", "singular", "reason"),
    [
        ("Invoices", None, "not a valid domain name"),
        ("line__items", None, "not a valid domain name"),
        ("9lives", None, "not a valid domain name"),
        ("invoices-2", None, "not a valid domain name"),
        ("a" * 30 + "s", None, "longer than 30 characters"),
        ("classes", None, "'class' is a Python keyword"),
        ("types", None, "'type' is a Python keyword or built-in name"),
        ("sessions", None, "would shadow a name the generated code uses"),
        ("pages", None, "would shadow"),
        ("staff", None, "cannot tell the singular of 'staff'"),
        ("sheep", "sheep", "cannot tell the singular"),
        ("people", "Person", "not a valid singular"),
    ],
)
def test_a_bad_name_is_refused_with_the_reason(
    name: str, singular: str | None, reason: str
) -> None:
    with pytest.raises(ScaffoldError, match=reason):
        domain_names(name, singular)


@pytest.mark.parametrize(
    ("name", "singular", "reason"),
    [
        ("refresh_tokens", None, "a table called 'refresh_tokens' already exists"),
        ("refresh_token_list", "refresh_token", "a model called RefreshToken already exists"),
    ],
)
def test_a_name_the_project_already_uses_is_refused(
    name: str, singular: str | None, reason: str
) -> None:
    with pytest.raises(ScaffoldError, match=reason):
        check(PROJECT_ROOT, name, singular)


def test_a_project_without_the_expected_layout_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match="run new-domain in a source checkout"):
        check(tmp_path, "invoices")


@pytest.fixture(scope="module")
async def scaffolded(
    tmp_path_factory: pytest.TempPathFactory, server_url: str, scratch_name: str
) -> AsyncIterator[tuple[Path, Report, dict[str, str]]]:
    """A copy of the project, its files before, and the report of `new-domain` for NAMES."""
    root = copy_of_project(tmp_path_factory.mktemp("project"))
    before = snapshot(root)
    report = await scaffold(root, NAMES.domain, server_url, scratch_name)
    yield root, report, before


def test_it_writes_the_domain_its_tests_and_a_migration(
    scaffolded: tuple[Path, Report, dict[str, str]],
) -> None:
    root, report, before = scaffolded
    created = {report.project.relative(path) for path in report.created}
    expected = {
        f"{folder}/{template.name.removesuffix('.tmpl')}"
        for source, folder in [
            ("domain", f"src/{PACKAGE}/{NAMES.domain}"),
            ("tests", f"tests/{NAMES.domain}"),
        ]
        for template in (TEMPLATES / source).glob("*.py.tmpl")
    }
    migrations = created - expected
    assert expected < created
    assert [Path(path).parent.name for path in migrations] == ["versions"]
    assert all(path.is_file() for path in report.created)
    changed = {report.project.relative(path) for path in report.changed}
    assert changed == {
        f"src/{PACKAGE}/api.py",
        f"src/{PACKAGE}/models.py",
        f"src/{PACKAGE}/policies.py",
        "openapi.json",
    }
    assert set(snapshot(root)) == set(before) | created


def test_the_migration_creates_the_table_after_the_previous_head(
    scaffolded: tuple[Path, Report, dict[str, str]],
) -> None:
    _, report, _ = scaffolded
    [migration] = [path for path in report.created if "migrations" in path.parts]
    text = migration.read_text(encoding="utf-8")
    assert migration.name.endswith(f"_create_{NAMES.domain}.py")
    assert text.count("op.create_table(") == 1
    assert f'"{NAMES.domain}"' in text
    assert f"uq_{NAMES.domain}_owner_id_name" in text
    assert 'down_revision: str | None = "' in text
    # Row-level security comes in the same migration: on, forced, and the domain's policy.
    assert f'op.enable_row_security("{NAMES.domain}")' in text
    assert f'signature="{NAMES.domain}_owned"' in text
    upgrade, downgrade = text.split("def downgrade")
    assert upgrade.index("op.create_table(") < upgrade.index("op.enable_row_security(")
    assert upgrade.index("op.enable_row_security(") < upgrade.index("op.create_entity(")
    assert downgrade.index("op.drop_entity(") < downgrade.index("op.disable_row_security(")
    assert downgrade.index("op.disable_row_security(") < downgrade.index("op.drop_table(")


def test_the_routes_are_mounted_and_in_the_openapi_document(
    scaffolded: tuple[Path, Report, dict[str, str]],
) -> None:
    root, _, _ = scaffolded
    # Written by the copy's own app, in a subprocess, after the router was mounted.
    document = json.loads((root / "openapi.json").read_text(encoding="utf-8"))
    paths = document["paths"]
    assert set(paths[f"/api/v1/{NAMES.url}"]) == {"get", "post"}
    # The router's tag is described, before the health probes', which stay last.
    tags = [tag["name"] for tag in document["tags"]]
    assert tags[-2:] == [NAMES.url, "health"]
    assert document["tags"][-2]["description"].startswith("The caller's ")
    item_path = f"/api/v1/{NAMES.url}/" + "{" + NAMES.item + "_id}"
    assert set(paths[item_path]) == {"get", "patch", "delete"}
    api = (root / "src" / PACKAGE / "api.py").read_text(encoding="utf-8")
    assert api.rstrip().endswith(f"    {NAMES.domain}_router,\n]")
    models = (root / "src" / PACKAGE / "models.py").read_text(encoding="utf-8")
    assert f"from {PACKAGE}.{NAMES.domain}.models import {NAMES.model}\n" in models
    assert f'"{NAMES.model}"' in models


async def test_a_second_run_is_refused_and_changes_nothing(
    scaffolded: tuple[Path, Report, dict[str, str]], server_url: str, scratch_name: str
) -> None:
    root, _, _ = scaffolded
    before = snapshot(root)
    with pytest.raises(ScaffoldError, match=f"src/{PACKAGE}/{NAMES.domain} already exists"):
        await scaffold(root, NAMES.domain, server_url, scratch_name)
    assert snapshot(root) == before


async def test_models_ahead_of_the_migrations_are_refused_before_writing(
    tmp_path: Path, server_url: str, scratch_name: str
) -> None:
    root = copy_of_project(tmp_path)
    models = root / "src" / PACKAGE / "users" / "models.py"
    table = '    __tablename__ = "users"\n'
    # A column of a model that no migration adds.
    column = "    nickname: Mapped[str | None] = mapped_column(String(40))\n"
    models.write_text(models.read_text().replace(table, table + column, 1))
    before = snapshot(root)
    with pytest.raises(ScaffoldError, match="the models have changes no migration covers yet"):
        await scaffold(root, NAMES.domain, server_url, f"{scratch_name}_drift")
    assert snapshot(root) == before


async def test_a_step_that_fails_after_writing_puts_everything_back(
    tmp_path: Path, server_url: str, scratch_name: str
) -> None:
    root = copy_of_project(tmp_path)
    ini = root / "alembic.ini"
    # The migration is written, then its post-write hook fails.
    ini.write_text(ini.read_text().replace("ruff_format.module = ruff", "ruff_format.module = x"))
    before = snapshot(root)
    with pytest.raises(ScaffoldError, match="alembic revision"):
        await scaffold(root, NAMES.domain, server_url, f"{scratch_name}_undo")
    assert snapshot(root) == before
    assert not (root / "src" / PACKAGE / NAMES.domain).exists()
    assert not (root / "tests" / NAMES.domain).exists()
