"""A typed Python client, generated from the document as a client team would (`make client`,
openapi-python-client), type-checks under `mypy --strict` together with a program that uses it
(`tests/typed_client/flow.py`), and that program's whole flow passes against a real server
process: what the document promises is what a generated client gets."""

import importlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url

from {{ cookiecutter.package_name }}.core.mail_catcher import MailCatcher
from {{ cookiecutter.package_name }}.main import create_app

from tests.servers import running_server
from tests.support import (
    TEST_SECRET_KEY,
    delivering_on,
    make_settings,
    scratch_database,
    token_from,
)

PROJECT = Path(__file__).resolve().parents[1]
FLOW = PROJECT / "tests" / "typed_client" / "flow.py"
CLIENT_PACKAGE = "{{ cookiecutter.package_name }}_client"


def tool(name: str) -> str:
    """A command installed in this environment (`.venv/bin/<name>`)."""
    return str(Path(sys.executable).with_name(name))


@pytest.fixture(scope="module")
def client_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the client generated from the current code's document, as
    `make client` writes it (to `clients/python/`)."""
    root = tmp_path_factory.mktemp("client")
    document = root / "openapi.json"
    app = create_app(make_settings("postgresql://unused@127.0.0.1/unused"))
    document.write_text(json.dumps(app.openapi()), encoding="utf-8")
    generated = subprocess.run(  # noqa: S603 - the generator from this environment
        [
            *(tool("openapi-python-client"), "generate", "--path", str(document)),
            *("--output-path", str(root / CLIENT_PACKAGE), "--meta", "none"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    return root


def test_the_client_and_a_program_using_it_pass_mypy_strict(client_root: Path) -> None:
    checked = subprocess.run(  # noqa: S603 - mypy from this environment
        [
            tool("mypy"),
            "--strict",
            "--no-incremental",
            str(FLOW),
            str(client_root / CLIENT_PACKAGE),
        ],
        cwd=PROJECT,
        env={**os.environ, "MYPYPATH": str(client_root)},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert checked.returncode == 0, checked.stdout[-5000:] + checked.stderr[-2000:]


@pytest.fixture(scope="module")
async def flow_database(server_url: str, database_url: str) -> AsyncIterator[str]:
    name = f"{make_url(database_url).database}_client"
    async with scratch_database(server_url, name, migrated=True) as url:
        yield url


@pytest.fixture(scope="module")
def flow_server(flow_database: str) -> Iterator[str]:
    """The service as deployed: `serve` on 127.0.0.1, with email verification required."""
    environment = {
        **os.environ,
        "DATABASE_URL": flow_database,
        "ENVIRONMENT": "test",
        "SECRET_KEY": TEST_SECRET_KEY,
        "LOG_LEVEL": "WARNING",
        "EMAIL_VERIFICATION_REQUIRED": "true",
    }
    with running_server(environment) as url:
        yield url


async def test_the_whole_flow_passes_through_the_generated_client(
    client_root: Path, flow_server: str, flow_database: str, mail_catcher: MailCatcher
) -> None:
    sys.path.insert(0, str(client_root))
    try:
        flow = importlib.import_module("tests.typed_client.flow")
        async with delivering_on(flow_database, mail_catcher) as deliver:

            async def token_for(address: str) -> str:
                # The worker's part: the queued mail jobs run, and the link is read from the
                # mail that reached the address.
                [mail] = [mail for mail in await deliver() if address in mail.recipients]
                return token_from(mail, "verify-email")

            await flow.run(flow_server, token_for)
    finally:
        sys.path.remove(str(client_root))
