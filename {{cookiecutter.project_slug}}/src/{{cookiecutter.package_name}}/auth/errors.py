from {{ cookiecutter.package_name }}.core.errors import AuthenticationError


class InvalidCredentialsError(AuthenticationError):
    """Login failed. The same answer for an unknown email, a wrong password and an inactive
    account, so it reveals nothing about which."""

    code = "invalid_credentials"
    title = "Invalid credentials"

    def __init__(self) -> None:
        super().__init__("Incorrect email or password")


class SessionRevokedError(AuthenticationError):
    """The refresh token's session was ended (logout, a password change, deactivation), or the
    token is unknown."""

    code = "session_revoked"
    title = "Session ended"

    def __init__(self) -> None:
        super().__init__("The session has ended")


class RefreshTokenReusedError(AuthenticationError):
    """A refresh token was presented a second time, so it was copied: its whole session has
    been ended."""

    code = "refresh_token_reused"
    title = "Refresh token reused"

    def __init__(self) -> None:
        super().__init__("This refresh token was already used; the session has been ended")
