"""The benchmark: bake the default project, serve it on the embedded PostgreSQL, seed it, and
load it with wrk on 127.0.0.1, next to a ceiling app doing the same SQL with raw asyncpg.

    uv run python bench/run.py                  # the full run: about 8 minutes
    uv run python bench/run.py --smoke          # a few seconds per scenario, to check it works
    uv run python bench/run.py --profile        # and sample keel's CPU with py-spy (see below)
    uv run python bench/run.py --peers DIR      # and side by side with two peers (see below)

Prints a table, and writes it as JSON to bench/results/<date>.json (or --output). Every wrk
run is bounded in time (--duration), and every process started here is stopped at the end.
wrk comes from the system (`apt-get install wrk`); the script installs it when it can.

With --profile, py-spy samples the single-worker server during its task-list run at 64
connections (32 with --smoke), and the report gains each library's share of the CPU samples
(bench/profiling.py); the raw samples are kept beside the JSON report.

The service connects as an application role, as in production, so row-level security binds
its statements (and the ceiling's); a last phase serves the task list and the create with the
policies on and off, interleaved, and reports the ratio.

With --peers DIR, the report gains a side-by-side phase: keel, the ceiling and two peers
prepared in DIR (bench/peers.py says how) each serve a list and a create, one right after the
other at each level, --repetitions times (3); it reports medians with their range, and keel's
ratio to each of the others.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from typing import Any

from peers import check_checkouts, prepare_peers
from processes import (
    BENCH,
    PACKAGE,
    Server,
    baked_on_database,
    log,
    migrated_production_env,
    project_tool,
    run_sql,
    serving,
)
from profiling import ensure_py_spy, inclusive_share, sampling, self_time_by_library
from side_by_side import Entrant, Plan, print_side_by_side, side_by_side_phase
from wrk_runs import Load, Result, ensure_wrk, ratios, run_wrk, table, wrk_command

LEVELS = (32, 64, 256)
# Frames whose inclusive share --profile reports: dependency resolution (with the queries the
# dependencies make), the route itself, every ORM query, and turning rows into objects.
PROFILED_FRAMES = ("solve_dependencies", "run_endpoint_function", "Session.execute", "instances")
# What is deleted after each create scenario and between the side-by-side phase's runs: the
# tasks the creates added. Left in place, they pile thousands of rows into the listed project
# (about 4,500 after one 15 s create run), and every later list counts and sorts all of them:
# the task list measured after the creates answered a fifth as fast as before them.
KEEL_RESET = ("DELETE FROM tasks WHERE title LIKE 'bench %'", "VACUUM ANALYZE tasks")
# The tables whose row-level security the policies phase turns off and on again (as the
# embedded server's superuser, who may alter any table).
SECURED_TABLES = ("projects", "tasks", "idempotency_keys", "refresh_tokens", "account_tokens")


def row_security(state: str) -> tuple[str, ...]:
    """The statements that turn the tables' row-level security `state` ("ENABLE", "DISABLE")."""
    return tuple(f"ALTER TABLE {table} {state} ROW LEVEL SECURITY" for table in SECURED_TABLES)


def main() -> None:  # noqa: PLR0912, PLR0915 - one script, read top to bottom
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="2 s per scenario, 32 connections")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (10)")
    parser.add_argument("--workers", type=int, default=2, help="the multi-worker run (2)")
    parser.add_argument("--output", type=Path, help="JSON file (bench/results/<date>.json)")
    parser.add_argument("--profile", action="store_true", help="sample keel's CPU with py-spy")
    parser.add_argument("--peers", type=Path, help="the peers' checkouts (bench/peers.py)")
    parser.add_argument("--repetitions", type=int, help="of the side-by-side phase (3)")
    args = parser.parse_args()
    if args.peers:
        check_checkouts(args.peers)
    levels = (32,) if args.smoke else LEVELS
    duration = 2 if args.smoke else args.duration
    profiled_level = levels[min(1, len(levels) - 1)]
    output = args.output or BENCH / "results" / f"{datetime.now(UTC):%Y-%m-%d}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    samples = output.with_suffix(".py-spy.txt")
    wrk = ensure_wrk()
    if args.profile:
        ensure_py_spy()
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
    with baked_on_database("keel-bench-", loopback=bool(args.peers)) as (project, database_url):
        python = project / ".venv" / "bin" / "python"
        # Throughput, not throttling: with the budgets left at their defaults, the login and
        # refresh scenarios would measure how fast the service says 429.
        unthrottled = {
            name: "100000000/minute"
            for name in (
                "LOGIN_RATE_LIMIT_PER_ACCOUNT", "LOGIN_RATE_LIMIT_PER_CLIENT",
                "REFRESH_RATE_LIMIT_PER_CLIENT", "REFRESH_RATE_LIMIT_PER_ACCOUNT",
            )
        }  # fmt: skip
        env = migrated_production_env(python, database_url, LOG_LEVEL="INFO", **unthrottled)
        log("seeding: 1 owner, 20 assignees, 50 projects, 2,000 tasks")
        seeded = project_tool(python, env, "seed")
        sent = project_tool(python, env, "statements")
        report["statements_per_request"] = sent["statements"]
        report["round_trips_per_request"] = sent["round_trips"]
        # Refresh tokens rotate, so each refresh run needs chains no run has used: one per
        # connection, and spares (see wrk/refresh.lua), in a file per level.
        issued = project_tool(python, env, "tokens", str(sum(levels) + 16 * len(levels)))
        chains = iter(issued["refresh_tokens"])
        tokens_files = {}
        for level in levels:
            tokens_files[level] = project.parent / f"refresh-tokens-{level}.txt"
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
        # Prepared before anything is measured, so that a peer that cannot run stops it early.
        peers = prepare_peers(args.peers, project.parent, database_url) if args.peers else []

        def load(scenario: str, path: str, script: str, connections: int, **extra: str) -> Load:
            return Load(scenario, path, script, connections, duration, {**wrk_env, **extra})

        workers = [*serve, "--workers", str(args.workers)]
        with (
            serving("keel", [*serve, "--workers", "1"], env, project) as keel,
            serving("ceiling", ceiling, env, BENCH) as roof,
            serving(f"keel x{args.workers}", workers, env, project) as many,
        ):
            # The ceiling (and for the list the multi-worker server) right after keel, at the
            # same level: ratios measured pair by pair, under the same conditions.
            paired = {"health": (roof,), "tasks": (roof, many), "create": (roof,)}
            for scenario, path, script, extra in scenarios:
                for connections in levels:
                    profiled = (scenario, connections) == ("tasks", profiled_level)
                    pid = keel.process.pid if args.profile and profiled else None
                    with sampling(pid, duration, samples):
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
                    pair = load(scenario, path, script, connections)
                    results += [run_wrk(wrk, other, pair) for other in paired.get(scenario, ())]
                if script == "create.lua":
                    run_sql(database_url, *KEEL_RESET)
            # Does hashing block the loop, and do logins starve the other requests of
            # connections? /health/live and the task list, each alone and during a storm of
            # logins at 64 connections.
            storm_url = keel.url + "/api/v1/auth/login"

            def in_login_storm(during: Load) -> Result:
                storm = subprocess.Popen(
                    wrk_command(wrk, storm_url, 64, duration + 2, "login.lua"),
                    env={**wrk_env, "BENCH_THREADS": "2"},
                    stdout=subprocess.DEVNULL,
                )
                time.sleep(1)
                result = run_wrk(wrk, keel, during, settle=False)
                storm.wait(timeout=duration + 60)
                return result

            for name, path, connections in (
                ("health", "/health/live", 4),
                ("tasks", task_list, min(levels)),
            ):
                results.append(
                    run_wrk(wrk, keel, load(f"{name}_alone", path, "get.lua", connections))
                )
                results.append(
                    in_login_storm(load(f"{name}_in_storm", path, "get.lua", connections))
                )
            servers += [keel, roof, many]
        # What the policies cost: the task list and the create with row-level security on and
        # off, a fresh server each time, interleaved; medians.
        policy_runs: dict[str, dict[str, list[float]]] = {
            scenario: {"on": [], "off": []} for scenario in ("tasks", "create")
        }
        level = min(levels)
        for _ in range(1 if args.smoke else 3):
            for state, statement in (("on", "ENABLE"), ("off", "DISABLE")):
                run_sql(database_url, *row_security(statement))
                with serving("keel", [*serve, "--workers", "1"], env, project) as server:
                    for scenario, path, script in (
                        ("tasks", task_list, "get.lua"),
                        ("create", tasks, "create.lua"),
                    ):
                        run = run_wrk(
                            wrk, server, load(f"{scenario}_rls_{state}", path, script, level)
                        )
                        results.append(run)
                        policy_runs[scenario][state].append(run.requests_per_second)
                run_sql(database_url, *KEEL_RESET)
        run_sql(database_url, *row_security("ENABLE"))
        report["row_security"] = {
            scenario: {
                "connections": level,
                "on_rps": runs["on"],
                "off_rps": runs["off"],
                "on/off": round(median(runs["on"]) / median(runs["off"]), 3),
            }
            for scenario, runs in policy_runs.items()
        }
        if peers:
            keel_requests = {"list": (task_list, "get.lua"), "create": (tasks, "create.lua")}
            token: str = issued["access_token"]

            def bearer(_server: Server) -> str:
                return token

            # Keel's creates and the ceiling's share the benchmark's tasks table.
            entrants = [
                Entrant(
                    "keel", [*serve, "--workers", "1"], env, project, keel_requests, bearer,
                    database_url, KEEL_RESET,
                ),
                Entrant("ceiling", ceiling, env, BENCH, keel_requests, bearer, database_url),
            ]  # fmt: skip
            plan = Plan(levels, duration, args.repetitions or 3)
            part, peer_servers = side_by_side_phase(wrk, peers, entrants, plan, wrk_env)
            report["side_by_side"] = part
            servers += peer_servers

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
    if args.profile:
        report["profile"] = {
            "scenario": f"tasks, keel, {profiled_level} connections",
            "samples": str(samples),
            "self_time_by_library": self_time_by_library(samples),
            "inclusive": {frame: inclusive_share(samples, frame) for frame in PROFILED_FRAMES},
        }
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(table(results))
    for server in report["servers"]:
        print(
            f"{server['name']}: ready in {server['startup_seconds']} s; RSS per worker idle"
            f" {server['idle_rss_mb']} MB, peak {server['peak_rss_mb']} MB"
        )
    print(f"statements per request: {report['statements_per_request']}")
    print(f"round trips per request: {report['round_trips_per_request']}")
    for name, value in report["ratios"].items():
        print(f"{name}: {value}")
    for scenario, figures in report["row_security"].items():
        print(f"{scenario} with row-level security / without, at {level}: {figures['on/off']}")
    print_side_by_side(report.get("side_by_side"))
    if args.profile:
        profile = report["profile"]
        print(f"CPU samples of {profile['scenario']} (raw: {profile['samples']}):")
        for library, share in profile["self_time_by_library"].items():
            print(f"  {share:6.1%}  {library}")
        for frame, share in profile["inclusive"].items():
            print(f"  {share:6.1%}  in {frame} and what it calls")
    print(f"written to {output}")


if __name__ == "__main__":
    main()
