"""Passwords, tokens and addresses never reach the logs: an account is registered, confirms
its address, logs in, refreshes, changes its password and resets it with recognisable values,
and none of them is in any log line (the jobs' lines included)."""

from io import StringIO

from httpx import AsyncClient

from tests.support import Deliver, bearer, token_from

PASSWORD = "recognisable-PASSWORD-4417"
NEW_PASSWORD = "recognisable-NEW-PASSWORD-9302"


def service_lines(log_lines: StringIO) -> str:
    """The lines the service wrote. aiosmtpd's own ("mail.log") are the test's mail server
    talking, as the mail provider's logs would in production."""
    return "\n".join(
        line for line in log_lines.getvalue().splitlines() if '"logger": "mail.log"' not in line
    )


async def exercise_every_secret(client: AsyncClient, deliver: Deliver) -> list[str]:
    """Register and confirm, log in, refresh, change the password, fail a login, reset the
    password: returns the tokens, passwords and address that went over the wire."""
    email = "secretive@example.com"
    account = {"email": email, "password": PASSWORD, "full_name": "Secretive"}
    assert (await client.post("/api/v1/auth/register", json=account)).status_code == 202
    [verification] = await deliver()
    verify_token = token_from(verification, "verify-email")
    await client.post("/api/v1/auth/verify-email", json={"token": verify_token})
    form = {"username": email, "password": PASSWORD}
    pair = (await client.post("/api/v1/auth/login", data=form)).json()
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    new_pair = refreshed.json()
    change = {"current_password": PASSWORD, "password": NEW_PASSWORD}
    await client.patch("/api/v1/users/me", json=change, headers=bearer(new_pair["access_token"]))
    wrong = {"username": email, "password": "wrong-" + PASSWORD}
    await client.post("/api/v1/auth/login", data=wrong)
    await client.post("/api/v1/auth/password-reset", json={"email": email})
    [reset] = await deliver()
    reset_token = token_from(reset, "reset-password")
    reset_to = {"token": reset_token, "new_password": "recognisable-RESET-5521"}
    assert (await client.post("/api/v1/auth/password-reset/confirm", json=reset_to)).is_success
    return [
        email,
        verify_token,
        reset_token,
        "recognisable-RESET-5521",
        PASSWORD,
        NEW_PASSWORD,
        pair["access_token"],
        pair["refresh_token"],
        new_pair["access_token"],
        new_pair["refresh_token"],
    ]


async def test_no_password_token_or_address_is_ever_logged(
    client: AsyncClient, deliver: Deliver, log_lines: StringIO
) -> None:
    secrets = await exercise_every_secret(client, deliver)
    logged = service_lines(log_lines)
    assert "/api/v1/auth/refresh" in logged  # the requests were logged...
    assert "Mailed a password reset link" in logged  # ...and the jobs...
    for secret in secrets:
        assert secret not in logged  # ...and none of what they carried
