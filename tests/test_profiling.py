"""The benchmark's profile summary: py-spy's folded stacks summed by library."""

import sys
from pathlib import Path

from tests.baking import TEMPLATE

sys.path.insert(0, str(TEMPLATE / "bench"))
from profiling import inclusive_share, library_of, self_time_by_library

VENV = "/srv/app/.venv/lib/python3.11/site-packages"
FOLDED = f"""\
run (uvicorn/main.py:1);solve_dependencies ({VENV}/fastapi/dependencies/utils.py:671);execute ({VENV}/sqlalchemy/orm/session.py:2351) 6
run (uvicorn/main.py:1);solve_dependencies ({VENV}/fastapi/dependencies/utils.py:671) 2
run (uvicorn/main.py:1);dumps (/usr/lib/python3.11/json/__init__.py:231) 2
"""  # noqa: E501 - py-spy's lines, as it writes them


def test_samples_are_summed_by_the_library_of_their_innermost_frame(tmp_path: Path) -> None:
    folded = tmp_path / "samples.txt"
    folded.write_text(FOLDED)
    assert self_time_by_library(folded) == {
        "sqlalchemy/orm": 0.6,
        "fastapi": 0.2,
        "other (standard library, C code)": 0.2,
    }


def test_a_frame_counts_everything_it_calls(tmp_path: Path) -> None:
    folded = tmp_path / "samples.txt"
    folded.write_text(FOLDED)
    assert inclusive_share(folded, "solve_dependencies") == 0.8
    assert inclusive_share(folded, "execute") == 0.6
    assert inclusive_share(folded, "missing") == 0.0


def test_the_most_specific_library_wins() -> None:
    assert library_of(f"x ({VENV}/sqlalchemy/pool/impl.py:9)") == "sqlalchemy/pool"
    assert library_of(f"x ({VENV}/sqlalchemy/__init__.py:9)") == "sqlalchemy"
    assert library_of("<module> (my_service/cli.py:3)") == "my_service"
