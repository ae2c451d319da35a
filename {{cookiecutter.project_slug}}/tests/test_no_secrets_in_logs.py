"""Passwords and tokens never reach the logs: an account is registered, logs in, refreshes and
changes its password with recognisable values, and none of them is in any log line."""

from io import StringIO

from httpx import AsyncClient

from tests.support import bearer

PASSWORD = "recognisable-PASSWORD-4417"
NEW_PASSWORD = "recognisable-NEW-PASSWORD-9302"


async def exercise_every_secret(client: AsyncClient) -> list[str]:
    """Register, log in, refresh, change the password, then fail a login: returns the tokens
    and passwords that went over the wire."""
    email = "secretive@example.com"
    account = {"email": email, "password": PASSWORD, "full_name": "Secretive"}
    assert (await client.post("/api/v1/auth/register", json=account)).status_code == 201
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
    return [
        PASSWORD,
        NEW_PASSWORD,
        pair["access_token"],
        pair["refresh_token"],
        new_pair["access_token"],
        new_pair["refresh_token"],
    ]


async def test_no_password_or_token_is_ever_logged(
    client: AsyncClient, log_lines: StringIO
) -> None:
    secrets = await exercise_every_secret(client)
    logged = log_lines.getvalue()
    assert "/api/v1/auth/refresh" in logged  # the requests were logged...
    for secret in secrets:
        assert secret not in logged  # ...and none of what they carried
