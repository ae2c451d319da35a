import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # Baked projects run pytest themselves, and every pytest run prunes all but the three newest
    # directories under the shared default temp root, which includes this run's while it is still
    # baking. A base directory of our own is out of their reach (pytest empties it at each start).
    if config.option.basetemp is None and not hasattr(config, "workerinput"):
        config.option.basetemp = str(Path(tempfile.gettempdir()) / "keel-template-tests")


@pytest.fixture
def strict_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Generation fails when the generated project's check fails (what CI wants)."""
    monkeypatch.setenv("KEEL_STRICT", "1")
    # The generated project's own tests must not inherit this run's database choice.
    monkeypatch.delenv("DATABASE_URL", raising=False)
    yield
