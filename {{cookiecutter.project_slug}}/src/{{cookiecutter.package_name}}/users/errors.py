from http import HTTPStatus

from {{ cookiecutter.package_name }}.core.errors import AppError, ConflictError


class EmailTakenError(ConflictError):
    """Registration with an address that already has an account (in any letter case)."""

    code = "email_taken"
    title = "Email taken"

    def __init__(self) -> None:
        super().__init__("This email cannot be registered")


class InvalidCurrentPasswordError(AppError):
    """A password change whose `current_password` is wrong."""

    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "invalid_current_password"
    title = "Current password incorrect"

    def __init__(self) -> None:
        super().__init__("The current password is incorrect")


class SelfModificationError(ConflictError):
    """An admin tried to delete, deactivate or demote their own account."""

    code = "self_modification"
    title = "Admins cannot change their own standing"

    def __init__(self) -> None:
        super().__init__("Admins cannot delete, deactivate or demote themselves; ask another admin")
