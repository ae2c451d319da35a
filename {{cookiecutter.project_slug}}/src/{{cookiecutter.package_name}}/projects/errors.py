from {{ cookiecutter.package_name }}.core.errors import ConflictError


class ProjectNameTakenError(ConflictError):
    code = "project_name_taken"

    def __init__(self) -> None:
        super().__init__("You already have a project with this name")
