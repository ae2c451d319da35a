"""What every route's dependencies cost: none of them runs in a worker thread."""

import inspect
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def _runs_on_the_event_loop(call: Callable[..., Any]) -> bool:
    # A class instance (OAuth2PasswordBearer) is called through its __call__.
    function = call if inspect.isfunction(call) else getattr(call, "__call__", call)  # noqa: B004
    return inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function)


def test_no_dependency_runs_in_a_worker_thread(app: FastAPI) -> None:
    # FastAPI runs a plain `def` dependency in a thread pool: a thread hop on every request that
    # uses it (a quarter of a task list's CPU, when `app_state` was one).
    threaded = {
        f"{context.path_format} -> {call.__qualname__}"
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        for call in _calls(context.original_route.dependant)
        if not _runs_on_the_event_loop(call)
    }
    assert threaded == set()
