from {{ cookiecutter.package_name }}.core.errors import ConflictError


class ProjectNameTakenError(ConflictError):
    """The caller already has a project with this name (names are unique per owner)."""

    code = "project_name_taken"
    title = "Project name taken"

    def __init__(self) -> None:
        super().__init__("You already have a project with this name")
