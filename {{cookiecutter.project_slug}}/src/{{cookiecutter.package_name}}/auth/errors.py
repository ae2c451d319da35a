from {{ cookiecutter.package_name }}.core.errors import AuthenticationError


class InvalidCredentialsError(AuthenticationError):
    def __init__(self) -> None:
        # The same answer for an unknown email, a wrong password and an inactive account.
        super().__init__("Incorrect email or password", code="invalid_credentials")


class RefreshTokenReusedError(AuthenticationError):
    # The revocation of the family must survive the failed request.
    keeps_changes = True

    def __init__(self) -> None:
        super().__init__(
            "This refresh token was already used; the session has been ended",
            code="refresh_token_reused",
        )
