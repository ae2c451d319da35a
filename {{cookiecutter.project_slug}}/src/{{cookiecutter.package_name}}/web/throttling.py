"""Per-client budgets charged before a route reads its body.

FastAPI reads and parses a request's body before it runs any dependency, so a throttle written
as a dependency never sees a malformed body: a flood of broken logins would cost the server
a parse each and never count. A route that must count every attempt is declared with
`@client_budget(...)` under its router decorator, on a router built with
`route_class=ClientBudgetRoute`; the budget is then charged as the request reaches the route,
before its body is touched.

Budgets that need the body (per account: the email in it) stay dependencies.
"""

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.web.dependencies import client_address, shared_state

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
_BUDGET_ATTRIBUTE = "__client_budget__"


@dataclass(frozen=True, slots=True)
class ClientBudget:
    rate: Callable[[Settings], str]
    scope: str


def client_budget(rate: Callable[[Settings], str], *, scope: str) -> Callable[[Endpoint], Endpoint]:
    """Mark a route: each request from one client address spends one of `rate(settings)`."""

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _BUDGET_ATTRIBUTE, ClientBudget(rate=rate, scope=scope))
        return endpoint

    return mark


def client_budget_of(endpoint: Callable[..., Any]) -> ClientBudget | None:
    """The budget `endpoint` was marked with, if any."""
    budget: ClientBudget | None = getattr(endpoint, _BUDGET_ATTRIBUTE, None)
    return budget


class ClientBudgetRoute(APIRoute):
    """A route that charges its endpoint's `client_budget`, if it has one, before the body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        budget = client_budget_of(self.endpoint)
        if budget is None:
            return handler

        async def charged_first(request: Request) -> Response:
            state = shared_state(request)
            await state.rate_limiter.hit(
                budget.rate(state.settings), scope=budget.scope, key=client_address(request)
            )
            return await handler(request)

        return charged_first
