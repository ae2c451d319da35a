"""Whose tasks a transaction sees: those of the projects it sees. The subquery is itself bound
by the projects' policy, so a task follows its project's rule without repeating it."""

from {{ cookiecutter.package_name }}.core.policies import policy

# Written with IN, not as EXISTS (SELECT FROM projects WHERE projects.id = tasks.project_id),
# which reads the same rows: PostgreSQL then misjudged the cost of the check and joined a task
# list to its assignees with a nested loop, and the list's statement ran twice as long
# (docs/performance.md, "The tasks' policy").
_IN_VISIBLE_PROJECT = "project_id IN (SELECT projects.id FROM projects)"

POLICIES = [
    policy(
        "tasks",
        "in_visible_project",
        command="ALL",
        using=_IN_VISIBLE_PROJECT,
        check=_IN_VISIBLE_PROJECT,
    )
]
