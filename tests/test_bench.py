"""The benchmark script runs end to end: a smoke run (two seconds per scenario, 32 clients)
produces its table and its JSON report. Figures are not asserted: they come from the full run,
on a quiet machine, and go into docs/performance.md."""

import json
import shutil
from pathlib import Path

import pytest

from tests.baking import run_bench_script

pytestmark = pytest.mark.slow
SCENARIOS = {
    "health",
    "tasks",
    "projects",
    "create",
    "create_idempotent",
    "login",
    "refresh",
    "health_alone",
    "health_in_storm",
    "tasks_alone",
    "tasks_in_storm",
    "tasks_rls_on",
    "tasks_rls_off",
    "create_rls_on",
    "create_rls_off",
}


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_a_smoke_run_prints_its_table_and_writes_its_report(tmp_path: Path) -> None:
    report_file = tmp_path / "report.json"
    result = run_bench_script("run.py", "--smoke", "--output", str(report_file))
    assert "req/s" in result.stdout
    assert "tasks keel/ceiling at 32" in result.stdout
    assert "create keel/ceiling at 32" in result.stdout
    assert "tasks with row-level security / without, at 32" in result.stdout
    report = json.loads(report_file.read_text())
    assert {row["scenario"] for row in report["results"]} == SCENARIOS
    assert {row["server"] for row in report["results"]} == {"keel", "ceiling", "keel x2"}
    # The ceiling answers the liveness probe, the task list and the create, each right after
    # keel.
    ceiling = {row["scenario"] for row in report["results"] if row["server"] == "ceiling"}
    assert ceiling == {"health", "tasks", "create"}
    assert report["ratios"]["create keel/ceiling at 32"] > 0
    assert report["ratios"]["health p99 keel/ceiling at 32"] > 0
    # Without --peers, no side-by-side phase.
    assert "side_by_side" not in report
    assert all(row["requests"] > 0 for row in report["results"])
    assert set(report["statements_per_request"]) >= {"tasks", "projects", "create", "login"}
    # The task list: the caller with the project, then the page with its total, in a read-only
    # transaction (BEGIN READ ONLY, COMMIT: the caller row-level security sees lasts for one);
    # no pool ping.
    assert report["statements_per_request"]["tasks"] == 2
    assert report["round_trips_per_request"]["tasks"] == 4
    # With row-level security and without, each measured.
    for scenario in ("tasks", "create"):
        figures = report["row_security"][scenario]
        assert figures["on/off"] > 0
        assert len(figures["on_rps"]) == len(figures["off_rps"]) == 1
    assert [server["name"] for server in report["servers"]] == ["keel", "ceiling", "keel x2"]
