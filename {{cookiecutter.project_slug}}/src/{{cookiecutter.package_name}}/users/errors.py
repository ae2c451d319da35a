from http import HTTPStatus

from {{ cookiecutter.package_name }}.core.errors import AppError, ConflictError


class EmailTakenError(ConflictError):
    """Registration with an address that already has an account, in any form (letter case,
    full-width letters, Unicode normalization: see users/emails.py)."""

    code = "email_taken"
    title = "Email taken"

    def __init__(self) -> None:
        super().__init__("This email cannot be registered")


class EmailLookalikeError(ConflictError):
    """Registration with an address that only looks like one that has an account: a letter
    from another script (the Cyrillic a, U+0430) or a look-alike (the dotless i, U+0131) where
    the other has ASCII.
    Such a pair would let one account pass for the other."""

    code = "email_lookalike"
    title = "Email looks like a registered one"

    def __init__(self) -> None:
        super().__init__(
            "This email cannot be registered: it looks like another address, letter for letter"
        )


class InvalidCurrentPasswordError(AppError):
    """A password or email change whose `current_password` is wrong. A 403, as RFC 9110 has
    it for credentials the server finds insufficient: the request itself is well formed."""

    status_code = HTTPStatus.FORBIDDEN
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
