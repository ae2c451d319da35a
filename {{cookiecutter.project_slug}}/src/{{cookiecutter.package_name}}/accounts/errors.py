from http import HTTPStatus

from {{ cookiecutter.package_name }}.core.errors import AppError


class InvalidAccountTokenError(AppError):
    """A verification, email change or reset token that cannot be used: unknown, used,
    expired, replaced by a newer one or meant for another purpose. One answer for all, so a
    guesser learns nothing about which tokens exist. A 403: the token is the credential for
    this one action, and the server finds it insufficient (the request is well formed)."""

    status_code = HTTPStatus.FORBIDDEN
    code = "invalid_account_token"
    title = "Invalid or expired link"

    def __init__(self) -> None:
        super().__init__("This link is invalid or has expired; ask for a new one")
