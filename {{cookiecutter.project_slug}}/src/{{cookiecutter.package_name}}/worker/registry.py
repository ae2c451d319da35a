"""Every task the worker runs: importing a domain's `jobs` module registers its tasks (and
schedules) on `core.jobs.job_app`. A new domain with background work adds its module here."""

from procrastinate import App

from {{ cookiecutter.package_name }}.accounts import jobs as account_jobs
from {{ cookiecutter.package_name }}.auth import jobs as auth_jobs
from {{ cookiecutter.package_name }}.core.jobs import job_app
{%- if cookiecutter.include_example_domain == "yes" %}
from {{ cookiecutter.package_name }}.idempotency import jobs as idempotency_jobs
from {{ cookiecutter.package_name }}.tasks import jobs as task_jobs
{%- endif %}
from {{ cookiecutter.package_name }}.worker import jobs as worker_jobs

{%- if cookiecutter.include_example_domain == "yes" %}

TASK_MODULES = (account_jobs, auth_jobs, idempotency_jobs, task_jobs, worker_jobs)
{%- else %}

TASK_MODULES = (account_jobs, auth_jobs, worker_jobs)
{%- endif %}


def registered_app() -> App:
    """The app with every task of TASK_MODULES on it."""
    return job_app
