"""Tokens: what a valid one carries, and every forgery or misuse rejected with the same 401.

Attack tokens are built by hand (tests.support.forge_token), independent of the JWT library,
so these tests keep their meaning if core/security.py switches libraries.
"""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from httpx import AsyncClient
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.errors import AuthenticationError
from {{ cookiecutter.package_name }}.core.security import TokenCodec
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.repository import UserRepository

from tests.support import (
    TEST_SECRET_KEY,
    TokenPairJson,
    bearer,
    claims_for,
    forge_token,
    make_settings,
)

HOUR = timedelta(hours=1)


def write_pem_pair(
    directory: Path, private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
) -> tuple[Path, Path]:
    private_file, public_file = directory / "private.pem", directory / "public.pem"
    private_file.write_bytes(
        private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public_file.write_bytes(
        private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private_file, public_file


@pytest.fixture
def codec(settings: Settings) -> TokenCodec:
    return TokenCodec(settings)


def test_an_issued_token_verifies_with_its_claims(codec: TokenCodec) -> None:
    subject, session_id = uuid.uuid4(), uuid.uuid4()
    issued = codec.issue(subject=subject, session_id=session_id, token_type="access", lifetime=HOUR)
    claims = codec.verify(issued.token, expected_type="access")
    assert (claims.subject, claims.session_id, claims.token_type) == (subject, session_id, "access")
    assert claims == issued.claims


def test_a_hand_built_token_with_the_right_key_is_accepted(
    codec: TokenCodec, settings: Settings
) -> None:
    # Proves the forging helper builds real tokens, so the rejections below mean something.
    token = forge_token(claims_for(settings), key=TEST_SECRET_KEY.encode())
    assert codec.verify(token, expected_type="access").token_type == "access"


def attack_tokens(settings: Settings) -> dict[str, str]:
    key = TEST_SECRET_KEY.encode()
    past = int((datetime.now(UTC) - HOUR).timestamp())
    future = int((datetime.now(UTC) + HOUR).timestamp())
    valid = forge_token(claims_for(settings), key=key)
    header, payload, signature = valid.split(".")
    tampered_payload = forge_token(claims_for(settings, sub=str(uuid.uuid4())), key=key)
    return {
        "alg none": forge_token(claims_for(settings), key=None, alg="none"),
        "another key": forge_token(claims_for(settings), key=b"not-the-server-key" * 3),
        "expired": forge_token(
            claims_for(settings, exp=past, iat=past - 60, nbf=past - 60), key=key
        ),
        "not yet valid": forge_token(claims_for(settings, nbf=future), key=key),
        "wrong audience": forge_token(claims_for(settings, aud="another-api"), key=key),
        "wrong issuer": forge_token(claims_for(settings, iss="someone-else"), key=key),
        "refresh as access": forge_token(claims_for(settings, typ="refresh"), key=key),
        "no type": forge_token(claims_for(settings, typ=None), key=key),
        "no session": forge_token(claims_for(settings, sid=None), key=key),
        "no expiry": forge_token(claims_for(settings, exp=None), key=key),
        "no audience": forge_token(claims_for(settings, aud=None), key=key),
        "no issuer": forge_token(claims_for(settings, iss=None), key=key),
        "subject not a UUID": forge_token(claims_for(settings, sub="admin"), key=key),
        # Validly signed, with times no datetime can hold: a 500 (OverflowError) once.
        "expiry out of range": forge_token(claims_for(settings, exp=10**30), key=key),
        "expiry a huge float": forge_token(claims_for(settings, exp=1e308), key=key),
        "issued in the far future": forge_token(claims_for(settings, iat=10**30), key=key),
        "not before out of range": forge_token(claims_for(settings, nbf=-(10**30)), key=key),
        "tampered payload": f"{header}.{tampered_payload.split('.')[1]}.{signature}",
        "truncated": f"{header}.{payload}",
        "garbage": "not-a-token",
    }


@pytest.mark.parametrize(
    "attack",
    [
        "alg none",
        "another key",
        "expired",
        "not yet valid",
        "wrong audience",
        "wrong issuer",
        "refresh as access",
        "no type",
        "no session",
        "no expiry",
        "no audience",
        "no issuer",
        "subject not a UUID",
        "expiry out of range",
        "expiry a huge float",
        "issued in the far future",
        "not before out of range",
        "tampered payload",
        "truncated",
        "garbage",
    ],
)
def test_a_forged_or_misused_token_is_rejected(
    codec: TokenCodec, settings: Settings, attack: str
) -> None:
    with pytest.raises(AuthenticationError) as error:
        codec.verify(attack_tokens(settings)[attack], expected_type="access")
    expected = "token_expired" if attack == "expired" else "invalid_token"
    assert error.value.code == expected


def test_an_access_token_is_not_a_refresh_token(codec: TokenCodec) -> None:
    issued = codec.issue(
        subject=uuid.uuid4(), session_id=uuid.uuid4(), token_type="access", lifetime=HOUR
    )
    with pytest.raises(AuthenticationError, match="The token is invalid"):
        codec.verify(issued.token, expected_type="refresh")


def test_expiry_allows_the_configured_leeway(codec: TokenCodec, settings: Settings) -> None:
    now = int(datetime.now(UTC).timestamp())
    just_expired = claims_for(settings, exp=now - settings.JWT_LEEWAY_SECONDS // 2)
    token = forge_token(just_expired, key=TEST_SECRET_KEY.encode())
    assert codec.verify(token, expected_type="access").token_type == "access"


async def test_every_attack_gets_a_401_problem_from_the_api(
    client: AsyncClient, settings: Settings
) -> None:
    for attack, token in attack_tokens(settings).items():
        response = await client.get("/api/v1/users/me", headers=bearer(token))
        assert response.status_code == 401, attack
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] in {"invalid_token", "token_expired"}, attack


@pytest.fixture
def rsa_settings(tmp_path: Path, database_url: str) -> Settings:
    private_file, public_file = write_pem_pair(
        tmp_path, rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    return make_settings(
        database_url,
        JWT_ALGORITHM="RS256",
        JWT_PRIVATE_KEY_FILE=str(private_file),
        JWT_PUBLIC_KEY_FILE=str(public_file),
    )


def test_rs256_tokens_verify_with_the_public_key(rsa_settings: Settings) -> None:
    codec = TokenCodec(rsa_settings)
    issued = codec.issue(
        subject=uuid.uuid4(), session_id=uuid.uuid4(), token_type="refresh", lifetime=HOUR
    )
    assert codec.verify(issued.token, expected_type="refresh").token_type == "refresh"


def test_rs256_rejects_an_hs256_token_signed_with_the_public_key(rsa_settings: Settings) -> None:
    # The classic algorithm confusion: the public key is public, so an attacker can use it as
    # an HMAC secret. Only RS256 is accepted, so the HS256 header is refused outright.
    assert rsa_settings.JWT_PUBLIC_KEY_FILE is not None
    public_pem = Path(rsa_settings.JWT_PUBLIC_KEY_FILE).read_bytes()
    token = forge_token(claims_for(rsa_settings), key=public_pem, alg="HS256")
    with pytest.raises(AuthenticationError, match="The token is invalid"):
        TokenCodec(rsa_settings).verify(token, expected_type="access")


def test_es256_is_supported_through_key_files(tmp_path: Path, database_url: str) -> None:
    private_file, public_file = write_pem_pair(tmp_path, ec.generate_private_key(ec.SECP256R1()))
    codec = TokenCodec(
        make_settings(
            database_url,
            JWT_ALGORITHM="ES256",
            JWT_PRIVATE_KEY_FILE=str(private_file),
            JWT_PUBLIC_KEY_FILE=str(public_file),
        )
    )
    issued = codec.issue(
        subject=uuid.uuid4(), session_id=uuid.uuid4(), token_type="access", lifetime=HOUR
    )
    assert codec.verify(issued.token, expected_type="access").token_type == "access"


def test_an_asymmetric_algorithm_needs_its_key_files(database_url: str) -> None:
    with pytest.raises(ValidationError, match="set JWT_PRIVATE_KEY_FILE and JWT_PUBLIC_KEY_FILE"):
        make_settings(database_url, JWT_ALGORITHM="RS256")


@pytest.mark.parametrize("change", ["deactivated", "deleted"])
async def test_a_token_of_a_deactivated_or_deleted_user_is_rejected(
    client: AsyncClient,
    db: AsyncSession,
    user: User,
    user_tokens: TokenPairJson,
    change: str,
) -> None:
    if change == "deactivated":
        await UserRepository(db).update(user, {"is_active": False})
    else:
        await UserRepository(db).delete(user)
    response = await client.get("/api/v1/users/me", headers=bearer(user_tokens["access_token"]))
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
