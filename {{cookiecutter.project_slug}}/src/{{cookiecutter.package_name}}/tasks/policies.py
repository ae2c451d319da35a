"""Whose tasks a transaction sees: those of the projects it sees. The subquery is itself bound
by the projects' policy, so a task follows its project's rule without repeating it."""

from {{ cookiecutter.package_name }}.core.policies import policy

_IN_VISIBLE_PROJECT = "EXISTS (SELECT FROM projects WHERE projects.id = tasks.project_id)"

POLICIES = [
    policy(
        "tasks",
        "in_visible_project",
        command="ALL",
        using=_IN_VISIBLE_PROJECT,
        check=_IN_VISIBLE_PROJECT,
    )
]
