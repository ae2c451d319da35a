"""The OpenAPI document is committed (openapi.json), so every change to the API shows up in
review as a diff of that file, and an unintended one fails here."""

import json
from pathlib import Path

import pytest
from fastapi import FastAPI

SNAPSHOT = Path(__file__).parents[1] / "openapi.json"
REGENERATE = "make openapi-snapshot"


def rendered(document: dict[str, object]) -> str:
    # The same rendering as `python -m {{ cookiecutter.package_name }} openapi`.
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def test_the_api_matches_the_committed_openapi_document(app: FastAPI) -> None:
    if not SNAPSHOT.exists():
        pytest.fail(f"openapi.json is missing: run `{REGENERATE}` and commit it")
    current = json.loads(rendered(app.openapi()))
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert current == committed, (
        f"The API no longer matches openapi.json. If the change is intended, run `{REGENERATE}` "
        "and commit the file with the change; clients will see the same diff."
    )
