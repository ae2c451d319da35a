"""Bodies under the size limit that cost far more than their size: thousands of unknown keys,
deep nesting. They are refused before parsing, or answered with a capped list of errors, and
the event loop (and with it the liveness probe) stays free meanwhile."""

import asyncio
import json
import statistics
import time

import pytest
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.errors import MAX_LISTED_ERRORS
from {{ cookiecutter.package_name }}.web.middleware import json_shape_problem

from tests.support import TokenPairJson, bearer

ME = "/api/v1/users/me"


def unknown_keys(count: int) -> bytes:
    return json.dumps({f"k{n}": 1 for n in range(count)}, separators=(",", ":")).encode()


def nested(depth: int) -> bytes:
    return b'{"full_name":' + b"[" * (depth - 1) + b"1" + b"]" * (depth - 1) + b"}"


# Under the 1 MB limit, and before this check 3.6 s of validation and a 7 MB answer.
WORST_CASE = unknown_keys(75_000)


@pytest.fixture
def headers(user_tokens: TokenPairJson) -> dict[str, str]:
    return bearer(user_tokens["access_token"]) | {"Content-Type": "application/json"}


async def test_a_body_with_more_items_than_the_limit_is_refused_before_parsing(
    client: AsyncClient, headers: dict[str, str], settings: Settings
) -> None:
    limit = settings.MAX_REQUEST_JSON_ITEMS
    assert len(WORST_CASE) < settings.MAX_REQUEST_BODY_BYTES
    response = await client.patch(ME, content=WORST_CASE, headers=headers)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert f"the limit is {limit}" in response.json()["detail"]
    # At the limit, it is parsed and validated as usual.
    at_limit = await client.patch(ME, content=unknown_keys(limit), headers=headers)
    assert at_limit.status_code == 422


async def test_a_body_nested_deeper_than_the_limit_is_refused_before_parsing(
    client: AsyncClient, headers: dict[str, str], settings: Settings
) -> None:
    limit = settings.MAX_REQUEST_JSON_DEPTH
    too_deep = await client.patch(ME, content=nested(limit + 1), headers=headers)
    assert too_deep.status_code == 400
    assert f"nests {limit + 1} levels deep" in too_deep.json()["detail"]
    assert (await client.patch(ME, content=nested(limit), headers=headers)).status_code == 422


async def test_commas_and_brackets_inside_strings_are_not_structure(
    client: AsyncClient, headers: dict[str, str]
) -> None:
    # 120 brackets and 60 commas, all in one string: a valid name.
    body = json.dumps({"full_name": ",[{" * 60}).encode()
    response = await client.patch(ME, content=body, headers=headers)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        (b'["]",' * 40 + b"1" + b"]" * 40, True),  # brackets hidden behind a string's "]"
        (b'["\\"]",' * 40 + b"1" + b"]" * 40, True),  # ...and behind an escaped quote
        (b'["\\\\",' * 40 + b"1" + b"]" * 40, True),  # an escaped backslash ends no string
        (json.dumps({"a": "[" * 5000}).encode(), False),
        (json.dumps({"a": "," * 5000}).encode(), False),
    ],
)
def test_strings_cannot_hide_or_fake_structure(body: bytes, *, refused: bool) -> None:
    problem = json_shape_problem(body, max_depth=32, max_items=1000)
    assert (problem is not None) is refused, problem


async def test_a_validation_problem_lists_the_first_errors_and_counts_the_rest(
    client: AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.patch(ME, content=unknown_keys(50), headers=headers)
    assert response.status_code == 422
    problem = response.json()
    assert len(problem["errors"]) == MAX_LISTED_ERRORS
    assert problem["errors_omitted"] == 50 - MAX_LISTED_ERRORS
    assert (
        problem["detail"] == f"50 inputs are invalid; `errors` lists the first {MAX_LISTED_ERRORS}."
    )


async def probe_while(
    client: AsyncClient, body: bytes, headers: dict[str, str]
) -> tuple[list[float], list[float]]:
    """How long each /health/live probe took while five requests with `body` ran beside
    them, and how long each request took. In-process, as in a server: whatever holds the event
    loop holds the probe."""
    done = asyncio.Event()
    probes: list[float] = []

    async def probe() -> None:
        while True:
            started = time.perf_counter()
            assert (await client.get("/health/live")).status_code == 200
            probes.append(time.perf_counter() - started)
            if done.is_set():
                return
            await asyncio.sleep(0.001)

    prober = asyncio.create_task(probe())
    requests: list[float] = []
    for _ in range(5):
        started = time.perf_counter()
        assert (await client.patch(ME, content=body, headers=headers)).status_code in {400, 422}
        requests.append(time.perf_counter() - started)
    done.set()
    await prober
    return probes, requests


async def test_the_worst_case_body_answers_quickly_and_liveness_stays_fast(
    client: AsyncClient, headers: dict[str, str]
) -> None:
    # Ratios within one run, never absolute times. The baseline is the same traffic with a
    # body holding one mistake. Before these checks the worst case took 170 times as long,
    # holding every probe for seconds (Kubernetes allows a liveness probe 3 s).
    await probe_while(client, unknown_keys(1), headers)  # warm-up
    _, baseline_requests = await probe_while(client, unknown_keys(1), headers)
    worst_probes, worst_requests = await probe_while(client, WORST_CASE, headers)
    typical = statistics.median(baseline_requests)
    assert max(worst_requests) < 20 * typical, (worst_requests, baseline_requests)
    assert max(worst_probes) < 20 * typical, (worst_probes, baseline_requests)
