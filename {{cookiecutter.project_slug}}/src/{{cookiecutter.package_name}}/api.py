"""Every versioned API router, mounted under /api/v1."""

from {{ cookiecutter.package_name }}.accounts.router import router as accounts_router
from {{ cookiecutter.package_name }}.auth.router import router as auth_router
{%- if cookiecutter.include_example_domain == "yes" %}
from {{ cookiecutter.package_name }}.projects.router import router as projects_router
from {{ cookiecutter.package_name }}.tasks.router import router as tasks_router
{%- endif %}
from {{ cookiecutter.package_name }}.users.router import router as users_router

API_PREFIX = "/api/v1"

# The OpenAPI document's tags, one per router, in the order the docs show them: what a client
# finds under each. An operation's tag is its router's (`APIRouter(tags=[...])`).
API_TAGS = [
    {
        "name": "auth",
        "description": "Registration, email verification, password reset, login, token refresh "
        "and the caller's sessions.",
    },
    {"name": "users", "description": "The caller's own account, and every account for admins."},
{%- if cookiecutter.include_example_domain == "yes" %}
    {
        "name": "projects",
        "description": "The example domain: the caller's projects, with conditional updates "
        "(`ETag`, `If-Match`) and idempotent creation (`Idempotency-Key`).",
    },
    {"name": "tasks", "description": "The example domain: a project's tasks, filtered and sorted."},
{%- endif %}
    {"name": "health", "description": "Probes for orchestrators: liveness and readiness."},
]

# Every versioned router, in the order a request tries them. main.py includes each straight in
# the app under API_PREFIX, not inside one /api/v1 router: FastAPI matches a request once more
# at each level of routers it is nested in, about 45 µs a request for the last router's routes
# (docs/performance.md, "Routing").
API_ROUTERS = [
    accounts_router,
    auth_router,
    users_router,
{%- if cookiecutter.include_example_domain == "yes" %}
    projects_router,
    tasks_router,
{%- endif %}
]
