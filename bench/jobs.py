"""The job queue's benchmark: bake the default project, and on the embedded PostgreSQL measure

- how many jobs one worker finishes per second, for a task that does nothing (the queue's own
  cost) and for one that inserts a row in a unit of work, at concurrency 1 and 4;
- what deferring a job costs the request that defers it: the create-task request with an
  assignee (which defers the assignee's notification) against the same app with a job queue
  that drops what it is given, one after the other, twice, in one run.

    uv run python bench/jobs.py                 # about 2 minutes
    uv run python bench/jobs.py --jobs 500 --duration 3

Prints the figures and writes them as JSON to bench/results/<date>-jobs.json (or --output).
Every process started here is stopped at the end; wrk runs are bounded by --duration.
"""

import argparse
import contextlib
import json
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from processes import (
    BENCH,
    START_TIMEOUT,
    baked_on_database,
    free_port,
    log,
    migrated_production_env,
    project_tool,
    serving,
)
from wrk_runs import Load, ensure_wrk, run_wrk

CONCURRENCIES = (1, 4)
CONNECTIONS = 32


def job_tool(python: Path, env: dict[str, str], *arguments: str) -> Any:
    output = subprocess.run(
        [str(python), str(BENCH / "job_tools.py"), *arguments],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


@contextlib.contextmanager
def worker(python: Path, env: dict[str, str], concurrency: int) -> Iterator[None]:
    """A worker with the benchmark's tasks, until the block ends."""
    port = free_port()
    command = [str(python), str(BENCH / "job_tools.py"), "worker"]
    options = ["--concurrency", str(concurrency), "--status-host", "127.0.0.1"]
    process = subprocess.Popen(
        [*command, *options, "--status-port", str(port)],
        env={**env, "LOG_LEVEL": "WARNING"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            with contextlib.suppress(OSError):
                url = f"http://127.0.0.1:{port}/health/ready"
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        break
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("bench: the worker did not become ready")
            time.sleep(0.05)
        yield
    finally:
        process.terminate()
        process.wait(timeout=60)


def throughput(python: Path, env: dict[str, str], kind: str, count: int) -> dict[str, float]:
    """Defers `count` jobs in one commit to the running worker; waits until all succeeded."""
    job_tool(python, env, "defer", kind, str(count))
    deadline = time.monotonic() + 600
    while (timing := job_tool(python, env, "timing", kind))["succeeded"] < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: {kind} jobs did not finish")
        time.sleep(0.2)
    return {**timing, "jobs_per_second": round(count / timing["seconds"], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=2000, help="jobs per measurement (2000)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (10)")
    parser.add_argument("--output", type=Path, help="JSON file")
    args = parser.parse_args()
    output = args.output or BENCH / "results" / f"{datetime.now(UTC):%Y-%m-%d}-jobs.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    wrk = ensure_wrk()
    report: dict[str, Any] = {"date": datetime.now(UTC).isoformat(timespec="seconds")}
    with baked_on_database("keel-bench-jobs-") as (project, database_url):
        python = project / ".venv" / "bin" / "python"
        env = migrated_production_env(python, database_url, LOG_LEVEL="WARNING")
        job_tool(python, env, "setup")
        report["worker"] = {}
        for concurrency in CONCURRENCIES:
            with worker(python, env, concurrency):
                for kind in ("noop", "write_row"):
                    figures = throughput(python, env, kind, args.jobs)
                    log(f"concurrency {concurrency} {kind}: {figures['jobs_per_second']} jobs/s")
                    report["worker"][f"{kind}, concurrency {concurrency}"] = figures
                    job_tool(python, env, "reset")

        log("seeding: 1 owner, 20 assignees, 50 projects, 2,000 tasks")
        seeded = project_tool(python, env, "seed")
        issued = project_tool(python, env, "tokens", "1")
        wrk_env = {
            "BENCH_TOKEN": issued["access_token"],
            "BENCH_ASSIGNEE": job_tool(python, env, "owner"),
        }
        path = f"/api/v1/projects/{seeded['project_id']}/tasks"
        # Both started the same way, differing only in the job queue the routes get.
        uvicorn = [str(python), "-m", "uvicorn", "--factory", "--host", "127.0.0.1"]
        quiet = ["--no-access-log", "--log-level", "warning"]
        runs: dict[str, list[float]] = {"deferring": [], "dropping": []}
        with (
            serving(
                "deferring", [*uvicorn, *quiet, "job_tools:app_with_deferral"], env, BENCH
            ) as deferring,
            serving(
                "dropping", [*uvicorn, *quiet, "job_tools:app_without_deferral"], env, BENCH
            ) as drops,
        ):
            for _ in range(2):
                for server in (deferring, drops):
                    load = Load("create", path, "create.lua", CONNECTIONS, args.duration, wrk_env)
                    result = run_wrk(wrk, server, load)
                    if result.non_2xx or result.socket_errors:
                        raise SystemExit(f"bench: {server.name} answered errors: {result}")
                    runs[server.name].append(result.requests_per_second)
        best = {name: max(values) for name, values in runs.items()}
        report["deferral"] = {
            "connections": CONNECTIONS,
            "requests_per_second": runs,
            "with_over_without": round(best["deferring"] / best["dropping"], 3),
        }
    output.write_text(json.dumps(report, indent=2) + "\n")
    for name, figures in report["worker"].items():
        print(f"worker, {name}: {figures['jobs_per_second']} jobs/s")
    deferral = report["deferral"]
    print(
        f"create-task with an assignee at {CONNECTIONS} connections: deferring"
        f" {deferral['requests_per_second']['deferring']} req/s, dropping"
        f" {deferral['requests_per_second']['dropping']} req/s;"
        f" with/without {deferral['with_over_without']}"
    )
    print(f"written to {output}")


if __name__ == "__main__":
    main()
