import shutil
import tempfile
from collections.abc import Iterator

import pytest

_OWN_BASETEMP = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    # Baked projects run pytest themselves, and every pytest run prunes all but the three newest
    # directories under the shared default temp root, which includes this run's while it is still
    # baking. A base directory of our own, new for each run, is out of their reach and out of
    # the way of another run of these tests.
    if config.option.basetemp is None and not hasattr(config, "workerinput"):
        config.option.basetemp = tempfile.mkdtemp(prefix="keel-template-tests-")
        config.stash[_OWN_BASETEMP] = config.option.basetemp


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The slow tests (a bake and its full check each) start first, so the two workers share
    # them out instead of one worker finishing a long one while the other sits idle.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Bakes are large (a virtual environment each): keep them only when something failed.
    own = session.config.stash.get(_OWN_BASETEMP, None)
    if own is not None and exitstatus == 0:
        shutil.rmtree(own, ignore_errors=True)


@pytest.fixture
def strict_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Generation fails when the generated project's check fails (what CI wants)."""
    monkeypatch.setenv("KEEL_STRICT", "1")
    # The generated project's own tests must not inherit this run's database choice.
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("MIGRATION_DATABASE_URL", raising=False)
    yield
