from {{ cookiecutter.package_name }}.core.errors import NotFoundError


class AssigneeNotFoundError(NotFoundError):
    """The task's `assignee_id` names no one who can be assigned to it (someone who can see
    the project). The same answer whether the ID names another user, an inactive one or
    nobody, as for another user's resource: it reveals nothing about the accounts."""

    code = "assignee_not_found"
    title = "Assignee not found"

    def __init__(self) -> None:
        super().__init__("No one who can see this project has this ID; only they can be assigned")
