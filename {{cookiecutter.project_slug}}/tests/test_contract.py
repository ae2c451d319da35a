"""Contract tests: schemathesis generates requests for every operation from the OpenAPI document
and checks each response against it with every check it has: no 5xx, only declared status
codes, declared content types (problem+json for errors), bodies and headers matching their
schemas, invalid input refused and valid input accepted (but for the few refusals a standard
requires, listed per operation in schemathesis.toml). Then stateful sequences follow the
documented links (create -> read -> update -> delete). The server runs for real (`serve`, on
127.0.0.1) on a scratch database, as an admin.

Budget: EXAMPLES_PER_OPERATION generated requests per operation and STATEFUL_SCENARIOS
scenarios per link: about 15 s on two cores. A failure prints the request as a `curl`
command. `make fuzz` runs the same tests with 500 random examples per operation.
"""

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

# Loaded at collection, not lazily by the first `from_url` late in a long run: there, under
# coverage on CPython 3.11.7, pytest's rewriting of schemathesis' modules failed with
# "SystemError: AST constructor recursion depth mismatch" (CPython gh-106905).
import schemathesis.specs.openapi.adapter.v2  # noqa: F401
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, Config, GenerationMode
from schemathesis.openapi import from_url
from schemathesis.schemas import BaseSchema
from sqlalchemy import make_url

from {{ cookiecutter.package_name }}.main import create_app

from tests.servers import running_server
from tests.support import TEST_SECRET_KEY, make_settings, scratch_database

# `make fuzz` widens the hunt: many more examples, drawn at random (see HYPOTHESIS below).
EXAMPLES_PER_OPERATION = int(os.environ.get("CONTRACT_EXAMPLES", "15"))
STATEFUL_SCENARIOS = int(os.environ.get("CONTRACT_SCENARIOS", "20"))
RANDOM_DRAW = os.environ.get("CONTRACT_RANDOM") == "1"
ADMIN_EMAIL = "contract-admin@example.com"
ADMIN_PASSWORD = "a contract admin password"
# Which refusals of a schema-valid request a standard requires (412, 422 for a reused key), per
# operation; every other refusal fails positive_data_acceptance.
CONFIG = Path(__file__).parents[1] / "schemathesis.toml"
# derandomize: the same requests on every run, so a red build is reproducible and never a fluke
# of one run's random draw. `make fuzz` draws at random instead; Hypothesis prints the seed and
# keeps a failing example in .hypothesis/ to replay it.
HYPOTHESIS = settings(
    deadline=None, suppress_health_check=list(HealthCheck), derandomize=not RANDOM_DRAW
)


def cases() -> list[tuple[str, str, GenerationMode]]:
    """Every operation with valid requests (POSITIVE), and those that take input also with
    requests the schema forbids (NEGATIVE), which must be refused."""
    document = create_app(make_settings("postgresql://unused@127.0.0.1/unused")).openapi()
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            found.append((method.upper(), path, GenerationMode.POSITIVE))
            if operation.get("parameters") or operation.get("requestBody"):
                found.append((method.upper(), path, GenerationMode.NEGATIVE))
    return found


@pytest.fixture(scope="module")
async def contract_database(server_url: str, database_url: str) -> AsyncIterator[str]:
    name = f"{make_url(database_url).database}_contract"
    async with scratch_database(server_url, name, migrated=True) as url:
        yield url


@pytest.fixture(scope="module")
def base_url(contract_database: str) -> Iterator[str]:
    environment = {
        **os.environ,
        "DATABASE_URL": contract_database,
        "ENVIRONMENT": "test",
        "SECRET_KEY": TEST_SECRET_KEY,
        "LOG_LEVEL": "WARNING",
    }
    created = subprocess.run(  # noqa: S603 - our own interpreter and module
        [
            *(sys.executable, "-m", "{{ cookiecutter.package_name }}", "create-admin"),
            *("--email", ADMIN_EMAIL, "--full-name", "Contract", "--password-stdin"),
        ],
        input=f"{ADMIN_PASSWORD}\n",
        text=True,
        env=environment,
        check=False,
        capture_output=True,
    )
    assert created.returncode == 0, created.stdout + created.stderr
    with running_server(environment) as url:
        yield url


@pytest.fixture(scope="module")
def admin_headers(base_url: str) -> dict[str, str]:
    response = httpx.post(
        f"{base_url}/api/v1/auth/login",
        data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="module")
def contract_schema(base_url: str) -> BaseSchema:
    return from_url(f"{base_url}/openapi.json", config=Config.from_path(CONFIG))


@pytest.mark.parametrize(("method", "path", "mode"), cases())
def test_every_operation_honours_its_contract(
    contract_schema: BaseSchema,
    admin_headers: dict[str, str],
    method: str,
    path: str,
    mode: GenerationMode,
) -> None:
    operation = contract_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(HYPOTHESIS, max_examples=EXAMPLES_PER_OPERATION)
    def check(case: Case) -> None:
        case.call_and_validate(headers=admin_headers)

    check()


def test_sequences_along_the_links_honour_the_contract(
    base_url: str, admin_headers: dict[str, str]
) -> None:
    # Schemathesis' own runner: it chains calls along the links (create, then read, update,
    # delete what was created) and copes with a server whose state changes from call to call.
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        *("--config-file", str(CONFIG), "run", f"{base_url}/openapi.json"),
        *("--phases", "stateful", "--max-examples", str(STATEFUL_SCENARIOS), "--checks", "all"),
        *("--header", f"Authorization:{admin_headers['Authorization']}"),
        *(() if RANDOM_DRAW else ("--seed", "20261122")),
    ]
    result = subprocess.run(  # noqa: S603 - the schemathesis CLI from this environment
        command, capture_output=True, text=True, check=False, timeout=600
    )
    assert result.returncode == 0, result.stdout[-10_000:]
