from {{ cookiecutter.package_name }}.core.errors import AuthenticationError, PermissionDeniedError


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


class EmailNotVerifiedError(PermissionDeniedError):
    """The password was right, but the account's address was never confirmed (and the
    service requires it). Only said after the password checked out, so it tells a guesser
    nothing they did not already know."""

    code = "email_not_verified"
    title = "Email not verified"

    def __init__(self) -> None:
        super().__init__(
            "Confirm your email address with the link we mailed you; ask for a new link at "
            "/api/v1/auth/verify-email/resend"
        )
