"""The promise of `new-domain` in a generated project: right after scaffolding, `make check`
passes (lint, types, architecture, tests, contract tests, coverage gate) with no hand edit;
and a bad or existing name is refused with a clear message, changing nothing.

The project has the longest package name the template allows, and one domain has the longest
name the scaffold allows, so every generated line must fit the line length as well."""

import re
import subprocess
from pathlib import Path

import pytest

from tests.baking import bake, require_python, run_in
from tests.test_generated_files import LONGEST_PACKAGE

pytestmark = pytest.mark.slow

# Thirty characters, the scaffold's limit, with underscores.
LONG_DOMAIN = "customer_support_ticket_events"


@pytest.mark.usefixtures("strict_env")
def test_two_scaffolded_domains_pass_the_full_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert len(LONG_DOMAIN) == 30
    require_python("3.11", monkeypatch)
    project = bake(tmp_path, package_name=LONGEST_PACKAGE)

    def run(*command: str) -> subprocess.CompletedProcess[str]:
        return run_in(project, *command)

    def changed_files() -> str:
        return run("git", "status", "--porcelain", "--untracked-files=all").stdout

    for step in (
        ("uv", "sync"),
        ("make", "openapi.json"),
        ("git", "init", "--quiet"),
        ("git", "add", "--all"),
        (
            "git",
            "-c",
            "user.name=Keel",
            "-c",
            "user.email=keel@example.com",
            "commit",
            "-qm",
            "new",
        ),
    ):
        assert run(*step).returncode == 0, step
    assert changed_files() == ""

    new_domain = ("uv", "run", "python", "-m", LONGEST_PACKAGE, "new-domain")
    for name, reason in [
        ("Invoices", "new-domain: 'Invoices' is not a valid domain name"),
        ("users", f"new-domain: src/{LONGEST_PACKAGE}/users already exists"),
        ("sessions", "new-domain: 'sessions' would shadow a name the generated code uses"),
        ("projects", f"new-domain: src/{LONGEST_PACKAGE}/projects already exists"),
        ("refresh_tokens", "new-domain: a table called 'refresh_tokens' already exists"),
        ("staff", "new-domain: cannot tell the singular of 'staff'"),
    ]:
        refused = run(*new_domain, name)
        assert refused.returncode != 0, name
        assert reason in refused.stderr, refused.stderr
        assert changed_files() == "", name

    invoices = run("make", "domain", "name=invoices")
    assert invoices.returncode == 0, invoices.stdout + invoices.stderr
    print(invoices.stdout)  # the scaffold's report, for the record
    assert "Created the invoices domain: model Invoice, table invoices" in invoices.stdout
    long_one = run(*new_domain, LONG_DOMAIN)
    assert long_one.returncode == 0, long_one.stdout + long_one.stderr

    changed = changed_files()
    for expected in (
        f" M src/{LONGEST_PACKAGE}/api.py",
        f" M src/{LONGEST_PACKAGE}/models.py",
        " M openapi.json",
        f"?? src/{LONGEST_PACKAGE}/invoices/router.py",
        f"?? tests/{LONG_DOMAIN}/test_router.py",
        f"_create_{LONG_DOMAIN}.py",
    ):
        assert expected in changed, changed

    check = run("make", "check")
    assert check.returncode == 0, check.stdout[-8000:] + check.stderr[-3000:]
    assert "Required test coverage of 90" in check.stdout
    collected = run(
        "uv", "run", "pytest", "--collect-only", "-q", "tests/invoices", f"tests/{LONG_DOMAIN}"
    )
    # Tests for each layer of both domains, all of which ran in `make check`.
    count = re.search(r"^(\d+) tests collected", collected.stdout, re.MULTILINE)
    assert count is not None, collected.stdout
    assert int(count.group(1)) >= 60
