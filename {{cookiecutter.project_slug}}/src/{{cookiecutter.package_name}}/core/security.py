"""JSON Web Tokens. This is the only module that imports the JWT library (python-jose), so
replacing it (with PyJWT or joserfc, say) means rewriting this file and nothing else.

Every token carries `sub`, `exp`, `iat`, `nbf`, `jti`, `iss`, `aud`, the session it belongs to
(`sid`) and its type (`typ`), so a refresh token is never accepted where an access token is
expected. Only the one configured algorithm is accepted, whatever a token's header says.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from jose import ExpiredSignatureError, JWTError, jwt

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.errors import InvalidTokenError, TokenExpiredError

TokenType = Literal["access", "refresh"]
_REQUIRED_CLAIMS = ("sub", "exp", "iat", "nbf", "jti", "iss", "aud", "sid", "typ")


@dataclass(frozen=True, slots=True)
class TokenClaims:
    subject: uuid.UUID
    token_id: uuid.UUID
    session_id: uuid.UUID
    token_type: TokenType
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class TokenLifetimes:
    """How long each kind of token stays valid: plain values a service can be given.

    `reuse_grace`: how long after a rotation the rotated refresh token still gets a new pair
    (a race between two clients of one session) rather than counting as stolen."""

    access: timedelta
    refresh: timedelta
    reuse_grace: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> "TokenLifetimes":
        return cls(
            access=timedelta(minutes=settings.ACCESS_TOKEN_EXPIRE_MINUTES),
            refresh=timedelta(days=settings.REFRESH_TOKEN_EXPIRE_DAYS),
            reuse_grace=timedelta(seconds=settings.REFRESH_REUSE_GRACE_SECONDS),
        )


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    claims: TokenClaims


class TokenCodec:
    """Signs and verifies tokens with the keys and rules from the settings."""

    def __init__(self, settings: Settings) -> None:
        self.algorithm = settings.JWT_ALGORITHM
        self.issuer = settings.JWT_ISSUER
        self.audience = settings.JWT_AUDIENCE
        self.leeway_seconds = settings.JWT_LEEWAY_SECONDS
        if self.algorithm == "HS256":
            self._signing_key = self._verifying_key = settings.SECRET_KEY.get_secret_value()
        else:
            # The settings refuse an asymmetric algorithm without both files.
            self._signing_key = _read_key(settings.JWT_PRIVATE_KEY_FILE)
            self._verifying_key = _read_key(settings.JWT_PUBLIC_KEY_FILE)

    def issue(
        self,
        *,
        subject: uuid.UUID,
        session_id: uuid.UUID,
        token_type: TokenType,
        lifetime: timedelta,
        token_id: uuid.UUID | None = None,
    ) -> IssuedToken:
        now = datetime.now(UTC).replace(microsecond=0)
        claims = TokenClaims(
            subject=subject,
            token_id=token_id or uuid.uuid4(),
            session_id=session_id,
            token_type=token_type,
            expires_at=now + lifetime,
        )
        payload = {
            "sub": str(claims.subject),
            "exp": claims.expires_at,
            "iat": now,
            "nbf": now,
            "jti": str(claims.token_id),
            "iss": self.issuer,
            "aud": self.audience,
            "sid": str(claims.session_id),
            "typ": token_type,
        }
        token = jwt.encode(payload, self._signing_key, algorithm=self.algorithm)
        return IssuedToken(token=token, claims=claims)

    def verify(self, token: str, *, expected_type: TokenType) -> TokenClaims:
        """The token's claims, or an `AuthenticationError` for anything short of a valid token."""
        try:
            header = jwt.get_unverified_header(token)
            # Redundant with `algorithms=` below, and kept so the rule is visible here.
            if header.get("alg") != self.algorithm:
                raise _invalid()
            payload: dict[str, Any] = jwt.decode(
                token,
                self._verifying_key,
                algorithms=[self.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                options={"leeway": self.leeway_seconds}
                | {f"require_{claim}": True for claim in ("exp", "iat", "nbf", "jti", "sub")},
            )
        except ExpiredSignatureError as exc:
            raise TokenExpiredError("The token has expired") from exc
        except JWTError as exc:
            raise _invalid() from exc
        if any(claim not in payload for claim in _REQUIRED_CLAIMS):
            raise _invalid()
        if payload["typ"] != expected_type:
            raise _invalid()
        # The library compares the times; a signed token can still carry absurd ones (exp of
        # 10^30 would overflow a datetime), and each is refused like any other bad claim.
        expires_at = _timestamp(payload["exp"])
        issued_at = _timestamp(payload["iat"])
        _timestamp(payload["nbf"])
        if issued_at > datetime.now(UTC) + timedelta(seconds=self.leeway_seconds):
            raise _invalid()
        try:
            return TokenClaims(
                subject=uuid.UUID(payload["sub"]),
                token_id=uuid.UUID(payload["jti"]),
                session_id=uuid.UUID(payload["sid"]),
                token_type=expected_type,
                expires_at=expires_at,
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise _invalid() from exc


def _timestamp(value: object) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid()
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise _invalid() from exc


def _invalid() -> InvalidTokenError:
    # One message for every failure: a caller learns nothing about which check failed.
    return InvalidTokenError("The token is invalid")


def _read_key(path: str | None) -> str:
    if path is None:
        raise ValueError("a key file is required for asymmetric JWT algorithms")
    return Path(path).read_text(encoding="utf-8")
