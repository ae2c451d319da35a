"""The soak: the default project under a steady mix of reads and writes, checked for what load
must never do. It bakes and seeds the project like the benchmark, serves it with one worker,
and runs CLIENTS concurrent clients (bench/soak_client.py) for SECONDS, or until MAX_REQUESTS.

    uv run python bench/soak.py                   # 64 clients for 60 s
    uv run python bench/soak.py --seconds 15      # the short form .ci/run uses

It fails (exit 1) unless:
- no answer is a 5xx and no request fails in transport;
- every original 201 made exactly one new row, and every new row came from a 201 (a retried
  Idempotency-Key replays the same task and adds nothing);
- once the load stops, none of the service's database connections is still busy;
- the server's RSS grows by less than 10 % from the end of the warm-up (the first fifth) to
  the end of the run.
Figures go to stdout and, as JSON, to bench/results/soak-<date>.json (or --output).
"""

import argparse
import json
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from processes import (
    BENCH,
    PACKAGE,
    baked_on_database,
    log,
    migrated_production_env,
    project_env,
    project_tool,
    rss_mb,
    serving,
)

MAX_RSS_GROWTH = 0.10
WARM_UP_SHARE = 0.2


class RssSampler(threading.Thread):
    """The server's resident memory, sampled twice a second while the load runs."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, float]] = []
        self.done = threading.Event()

    def run(self) -> None:
        started = time.monotonic()
        while not self.done.wait(0.5):
            self.samples.append((time.monotonic() - started, rss_mb(self.pid, "VmRSS")))

    def at(self, seconds: float) -> float:
        """The last sample taken by `seconds` into the run."""
        earlier = [rss for taken, rss in self.samples if taken <= seconds]
        return earlier[-1] if earlier else self.samples[0][1]


def checks(report: dict[str, Any]) -> dict[str, bool]:
    load = report["load"]
    statuses = {int(code): count for code, count in load["statuses"].items()}
    new_rows = set(report["rows_after"]) - set(report["rows_before"])
    created = load["created"]
    busy = {state: n for state, n in report["connections_after"].items() if state != "idle"}
    return {
        "no 5xx answers": not any(code >= 500 for code in statuses),
        "no failed checks or transport errors": not load["failures"],
        "each 201 made one row, each new row came from a 201": (
            len(created) == len(set(created)) and set(created) == new_rows
        ),
        "no connection busy after the load": not busy,
        f"RSS growth after warm-up under {MAX_RSS_GROWTH:.0%}": (
            report["rss_mb"]["growth"] < MAX_RSS_GROWTH
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=64, help="concurrent clients (64)")
    parser.add_argument("--seconds", type=float, default=60, help="how long the load runs (60)")
    parser.add_argument("--max-requests", type=int, default=500_000, help="request budget")
    parser.add_argument("--output", type=Path, help="JSON file (bench/results/soak-<date>.json)")
    args = parser.parse_args()
    report = soak(args)
    output = args.output or BENCH / "results" / f"soak-{datetime.now(UTC):%Y-%m-%d}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print_report(report)
    print(f"written to {output}")
    if not all(report["checks"].values()):
        sys.exit(1)


def soak(args: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", "bench/soak.py", *sys.argv[1:]]),
        "clients": args.clients,
        "seconds": args.seconds,
    }
    with baked_on_database("keel-soak-") as (project, database_url):
        python = project / ".venv" / "bin" / "python"
        env = migrated_production_env(python, database_url, LOG_LEVEL="WARNING")
        project_id = project_tool(python, env, "seed")["project_id"]
        token = project_tool(python, env, "tokens", "1")["access_token"]
        report["rows_before"] = project_tool(python, env, "task_ids", project_id)
        serve = [str(python), "-m", PACKAGE, "serve", "--host", "127.0.0.1", "--workers", "1"]
        with serving("keel", serve, env, project) as server:
            sampler = RssSampler(server.process.pid)
            sampler.start()
            log(f"{args.clients} clients for {args.seconds:g} s")
            client = [
                str(python), str(BENCH / "soak_client.py"), server.url, token, project_id,
                str(args.clients), str(args.seconds), str(args.max_requests),
            ]  # fmt: skip
            started = time.monotonic()
            load = subprocess.run(
                client, env=project_env(), capture_output=True, text=True, check=True,
                timeout=args.seconds + 120,
            ).stdout  # fmt: skip
            elapsed = time.monotonic() - started
            sampler.done.set()
            sampler.join()
            time.sleep(1)  # the last responses are written; then nothing may be busy
            report["connections_after"] = project_tool(python, env, "activity")
        report["rows_after"] = project_tool(python, env, "task_ids", project_id)
    report["load"] = json.loads(load.strip().splitlines()[-1])
    report["requests_per_second"] = round(report["load"]["requests"] / elapsed, 1)
    warmed = sampler.at(elapsed * WARM_UP_SHARE)
    final = sampler.samples[-1][1]
    report["rss_mb"] = {
        "after_warm_up": round(warmed, 1),
        "final": round(final, 1),
        "peak": round(max(rss for _, rss in sampler.samples), 1),
        "growth": round(final / warmed - 1, 4),
    }
    report["checks"] = checks(report)
    return report


def print_report(report: dict[str, Any]) -> None:
    load = report["load"]
    new_rows = len(set(report["rows_after"]) - set(report["rows_before"]))
    print(f"{load['requests']} requests, {report['requests_per_second']} a second")
    print(f"answers by status: {load['statuses']}")
    print(f"creates answered 201: {len(load['created'])}; new rows: {new_rows}")
    print(f"connections after the load: {report['connections_after']}")
    rss = report["rss_mb"]
    print(
        f"RSS: {rss['after_warm_up']} MB after warm-up, {rss['final']} MB at the end"
        f" ({rss['growth']:+.1%}), peak {rss['peak']} MB"
    )
    for failure in load["failures"]:
        print(f"failure: {failure}")
    for name, passed in report["checks"].items():
        print(f"{'PASS' if passed else 'FAIL'}  {name}")


if __name__ == "__main__":
    main()
