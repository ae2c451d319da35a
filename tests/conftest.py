from collections.abc import Iterator

import pytest


@pytest.fixture
def strict_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Generation fails when the generated project's check fails (what CI wants)."""
    monkeypatch.setenv("KEEL_STRICT", "1")
    # The generated project's own tests must not inherit this run's database choice.
    monkeypatch.delenv("DATABASE_URL", raising=False)
    yield
