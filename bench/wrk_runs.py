"""wrk: installing it, running one load, reading its output, and the figures of a run."""

import os
import re
import shutil
import subprocess
from dataclasses import dataclass

from processes import BENCH, Server, log, wait_until_idle


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


def run_wrk(wrk: str, server: Server, load: Load, *, settle: bool = True) -> Result:
    """Run `load` against `server`, once the server has finished what earlier runs left it
    (unless `settle` is off: a run measured during other load)."""
    if settle:
        wait_until_idle(server)
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

    def p99(scenario: str, server: str = "keel", connections: int | None = None) -> float:
        return next(
            result.p99_ms
            for result in results
            if (result.server, result.scenario) == (server, scenario)
            and connections in (None, result.connections)
        )

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
        f"create keel/ceiling at {level}": divide(
            rate("keel", "create", level), rate("ceiling", "create", level)
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
    figures |= {
        f"health p99 keel/ceiling at {level}": divide(
            p99("health", "keel", level), p99("health", "ceiling", level)
        )
        for level in levels
    }
    figures["health p99 during a login storm / alone"] = divide(
        p99("health_in_storm"), p99("health_alone")
    )
    storm_level = next(r.connections for r in results if r.scenario == "tasks_in_storm")
    figures[f"tasks during a login storm / alone at {storm_level}"] = divide(
        rate("keel", "tasks_in_storm", storm_level), rate("keel", "tasks_alone", storm_level)
    )
    return figures
