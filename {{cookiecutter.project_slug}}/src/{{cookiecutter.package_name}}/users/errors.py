from {{ cookiecutter.package_name }}.core.errors import AppError, ConflictError


class EmailTakenError(ConflictError):
    code = "email_taken"

    def __init__(self) -> None:
        super().__init__("This email cannot be registered")


class InvalidCurrentPasswordError(AppError):
    status_code = 422
    code = "invalid_current_password"

    def __init__(self) -> None:
        super().__init__("The current password is incorrect")


class SelfModificationError(ConflictError):
    code = "self_modification"

    def __init__(self) -> None:
        super().__init__("Admins cannot delete, deactivate or demote themselves; ask another admin")
