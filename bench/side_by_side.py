"""The side-by-side phase of bench/run.py --peers: keel, the ceiling and the peers, asked for
a list and a create one right after the other at each level, `repetitions` times, so that
each ratio compares runs made under the same conditions; reported as medians with their
range."""

import contextlib
import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from peers import Peer, access_token
from processes import Server, log, run_sql, serving, wait_until_idle
from wrk_runs import Load, run_wrk

SCENARIOS = ("list", "create")
OTHERS = ("ceiling", "official", "s3rius")


@dataclass(frozen=True)
class Entrant:
    """A server of the side-by-side phase: how to start it (`serving`'s arguments), what it is
    asked (a path and a wrk script per scenario), how it gets its bearer token ("" for none),
    and the statements that take its database back to the seeded rows."""

    name: str
    command: list[str]
    env: dict[str, str]
    cwd: Path
    requests: dict[str, tuple[str, str]]
    token: Callable[[Server], str]
    database_url: str
    reset: tuple[str, ...] = ()
    ready_path: str = "/health/ready"


@dataclass(frozen=True)
class Plan:
    """The phase's levels (connections), the seconds of each run, and how often it all runs."""

    levels: tuple[int, ...]
    duration: int
    repetitions: int


def side_by_side_phase(
    wrk: str, peers: list[Peer], entrants: list[Entrant], plan: Plan, env: dict[str, str]
) -> tuple[dict[str, Any], list[Server]]:
    """The phase with `entrants` (keel and the ceiling) and the peers; returns its part of the
    report, and the peers' servers of the last level run."""
    runs, servers = run_side_by_side(wrk, [*entrants, *map(peer_entrant, peers)], plan, env)
    summary = medians(runs)
    part = {
        "repetitions": plan.repetitions,
        "peers": {peer.name: peer.versions for peer in peers},
        "medians": summary,
        "ratios": side_ratios(summary, plan.levels),
        "runs": runs,
    }
    return part, [server for server in servers if server.name in {p.name for p in peers}]


def peer_entrant(peer: Peer) -> Entrant:
    """The peer as an entrant of the phase: its token comes from its own login."""
    return Entrant(
        name=peer.name,
        command=peer.command,
        env=peer.env,
        cwd=peer.cwd,
        requests={
            "list": (peer.list_path, "get.lua"),
            "create": (peer.create_path, peer.create_script),
        },
        token=lambda server: access_token(peer, server.url),
        database_url=peer.database_url,
        reset=peer.reset,
        ready_path=peer.ready_path,
    )


def run_side_by_side(
    wrk: str, entrants: list[Entrant], plan: Plan, env: dict[str, str]
) -> tuple[list[dict[str, Any]], list[Server]]:
    """Every run, in the order it was made, with its repetition; and the servers of the last
    level. Each level of each repetition starts every server afresh, so a server that stalled
    at one level (the official template does at 64 connections) is measured anew at the next,
    and none carries another level's state."""
    runs = []
    servers: list[Server] = []
    for repetition in range(1, plan.repetitions + 1):
        for connections in plan.levels:
            # The creates add rows that the lists would count and sort: remove them first.
            restore_seed_rows(entrants)
            with contextlib.ExitStack() as stack:
                servers = [
                    stack.enter_context(
                        serving(e.name, e.command, e.env, e.cwd, ready_path=e.ready_path)
                    )
                    for e in entrants
                ]
                serving_now = [
                    (entrant, server, entrant.token(server))
                    for entrant, server in zip(entrants, servers, strict=True)
                ]
                for scenario in SCENARIOS:
                    for entrant, server, token in serving_now:
                        path, script = entrant.requests[scenario]
                        load_env = {**env, "BENCH_TOKEN": token}
                        load = Load(scenario, path, script, connections, plan.duration, load_env)
                        result = run_wrk(wrk, server, load)
                        runs.append({"repetition": repetition, **asdict(result)})
                # Before they stop: a peer may still be committing its last requests (the
                # s3rius create commits after its response).
                for server in servers:
                    wait_until_idle(server)
    return runs, servers


def restore_seed_rows(entrants: list[Entrant]) -> None:
    """Delete what the creates added, then let PostgreSQL count the tables again."""
    for entrant in entrants:
        if entrant.reset:
            run_sql(entrant.database_url, *entrant.reset)
    log("side by side: the tables are back to their seeded rows")


def medians(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per server, scenario and level, in the order first run: the median rate with its range
    over the repetitions, the median latencies, and every failure added up."""
    groups: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for run in runs:
        groups.setdefault((run["server"], run["scenario"], run["connections"]), []).append(run)
    summary = []
    for (server, scenario, connections), group in groups.items():
        rates = [run["requests_per_second"] for run in group]
        summary.append(
            {
                "server": server,
                "scenario": scenario,
                "connections": connections,
                "runs": len(group),
                "requests_per_second": round(statistics.median(rates), 1),
                "min": round(min(rates), 1),
                "max": round(max(rates), 1),
                "p50_ms": round(statistics.median(run["p50_ms"] for run in group), 2),
                "p99_ms": round(statistics.median(run["p99_ms"] for run in group), 2),
                "requests": sum(run["requests"] for run in group),
                "non_2xx": sum(run["non_2xx"] for run in group),
                "socket_errors": sum(run["socket_errors"] for run in group),
            }
        )
    return summary


def side_ratios(summary: list[dict[str, Any]], levels: tuple[int, ...]) -> dict[str, float]:
    """Keel's median rate over each other server's, per scenario and level."""
    rate = {(row["server"], row["scenario"], row["connections"]): row for row in summary}
    figures = {}
    for scenario in SCENARIOS:
        for other in OTHERS:
            for level in levels:
                keel = rate.get(("keel", scenario, level))
                theirs = rate.get((other, scenario, level))
                if keel and theirs and theirs["requests_per_second"]:
                    ratio = keel["requests_per_second"] / theirs["requests_per_second"]
                    figures[f"{scenario} keel/{other} at {level}"] = round(ratio, 2)
    return figures


def side_table(summary: list[dict[str, Any]]) -> str:
    header = (
        f"{'server':<10} {'scenario':<8} {'conns':>5} {'req/s':>8} {'min-max':>15}"
        f" {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'errors':>7}"
    )
    lines = [header, "-" * len(header)]
    for row in summary:
        spread = f"{row['min']:.0f}-{row['max']:.0f}"
        lines.append(
            f"{row['server']:<10} {row['scenario']:<8} {row['connections']:>5}"
            f" {row['requests_per_second']:>8.0f} {spread:>15} {row['p50_ms']:>8.1f}"
            f" {row['p99_ms']:>8.1f} {row['non_2xx']:>8} {row['socket_errors']:>7}"
        )
    return "\n".join(lines)


def print_side_by_side(part: dict[str, Any] | None) -> None:
    if part is None:
        return
    print(f"side by side, medians of {part['repetitions']} runs (min-max):")
    print(side_table(part["medians"]))
    for name, value in part["ratios"].items():
        print(f"{name}: {value}")
