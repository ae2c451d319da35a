"""Where a server's CPU goes under load: py-spy samples the process while wrk drives it, and
the samples are summed by library, so the figures come from the real server, not a replay.

py-spy attaches with ptrace: it works as root or with the SYS_PTRACE capability, and is fetched
with `uvx` on first use.
"""

import contextlib
import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

# Longest prefix first: `sqlalchemy/orm` must win over `sqlalchemy`.
LIBRARIES = (
    "sqlalchemy/orm", "sqlalchemy/sql", "sqlalchemy/engine", "sqlalchemy/dialects",
    "sqlalchemy/ext", "sqlalchemy/pool", "sqlalchemy/util", "sqlalchemy", "fastapi",
    "starlette", "pydantic", "uvicorn", "asyncpg", "my_service", "asyncio", "jose", "logging",
)  # fmt: skip
_FILE = re.compile(r"\((?P<file>[^()]*?):\d+\)$")


def ensure_py_spy() -> None:
    """Fetch py-spy before the runs, so that sampling starts with the load, not after a download."""
    subprocess.run(["uvx", "py-spy", "--version"], check=True, capture_output=True, timeout=300)


@contextlib.contextmanager
def sampling(pid: int | None, seconds: int, output: Path) -> Iterator[None]:
    """Sample `pid` 200 times a second for `seconds` while the block runs, into `output` as
    folded stacks; with no `pid`, just run the block."""
    if pid is None:
        yield
        return
    command = [
        "uvx", "py-spy", "record", "--format", "raw", "--rate", "200",
        "--duration", str(seconds), "--pid", str(pid), "--output", str(output),
    ]  # fmt: skip
    sampler = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    yield
    _, errors = sampler.communicate(timeout=seconds + 60)
    if sampler.returncode != 0:
        # Most often ptrace is refused: py-spy needs root or the SYS_PTRACE capability.
        raise SystemExit(f"bench: py-spy failed: {errors.decode(errors='replace')[-500:]}")


def library_of(frame: str) -> str:
    match = _FILE.search(frame)
    path = match["file"] if match else frame
    for library in LIBRARIES:
        if f"/{library}/" in path or path.startswith(f"{library}/"):
            return library
    return "other (standard library, C code)"


def self_time_by_library(folded: Path) -> dict[str, float]:
    """Each library's share of the samples whose innermost frame is in it (self time)."""
    samples: Counter[str] = Counter()
    for line in folded.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            samples[library_of(stack.rsplit(";", 1)[-1])] += int(count)
    total = sum(samples.values()) or 1
    return {library: round(count / total, 3) for library, count in samples.most_common()}


def inclusive_share(folded: Path, function: str) -> float:
    """The share of samples with `function` (a frame name such as `solve_dependencies`) on the
    stack: its own time and everything it calls."""
    total = hits = 0
    for line in folded.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        if any(frame.split(" (", 1)[0] == function for frame in stack.split(";")):
            hits += int(count)
    return round(hits / total, 3) if total else 0.0
