from {{ cookiecutter.package_name }}.core.errors import BadRequestError


class InvalidAccountTokenError(BadRequestError):
    """A verification, email change or reset token that cannot be used: unknown, used,
    expired, replaced by a newer one or meant for another purpose. One answer for all, so a
    guesser learns nothing about which tokens exist."""

    code = "invalid_account_token"
    title = "Invalid or expired link"

    def __init__(self) -> None:
        super().__init__("This link is invalid or has expired; ask for a new one")
