"""Typed settings, read once from the environment (and `.env`)."""

import json
from datetime import timedelta
from email.utils import formataddr
from functools import lru_cache
from typing import Annotated, Literal, Self

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from {{ cookiecutter.package_name }}.core.logging import LogFormat

Environment = Literal["local", "test", "production"]
# The only algorithms a token may be signed with; one is chosen, and nothing else is accepted.
JwtAlgorithm = Literal["HS256", "RS256", "ES256"]
# How the SMTP connection is protected: not at all (a local catcher), upgraded with STARTTLS
# (port 587, the usual submission port), or TLS from the first byte (port 465).
SmtpSecurity = Literal["none", "starttls", "tls"]

# Shipped so `make dev` works out of the box; production refuses to start with it.
DEFAULT_SECRET_KEY = "change-me-local-development-secret-key-not-for-production"  # noqa: S105
MIN_SECRET_KEY_LENGTH = 32
# The service's name as people read it: in mail subjects and senders.
SERVICE_NAME = "{{ cookiecutter.project_name }}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    ENVIRONMENT: Environment = "local"
    # The service and the worker connect with DATABASE_URL, as a role that reads and writes
    # rows and changes no schema; the migrations with MIGRATION_DATABASE_URL, as the role that
    # owns the tables (unset: DATABASE_URL's, which production warns about).
    DATABASE_URL: str | None = None
    MIGRATION_DATABASE_URL: str | None = None
    SECRET_KEY: SecretStr = SecretStr(DEFAULT_SECRET_KEY)
    REDIS_URL: str | None = None
    # Production serves /metrics only to `Authorization: Bearer <METRICS_TOKEN>` (web/metrics.py).
    METRICS_TOKEN: SecretStr | None = None
{%- if cookiecutter.observability == "full" %}
    # Unhandled errors go to Sentry when set (core/tracing.py); tracing reads the OTEL_* variables.
    SENTRY_DSN: SecretStr | None = None
{%- endif %}
    # NoDecode: accept a plain comma-separated list as well as JSON.
    CORS_ORIGINS: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # The proxies (addresses or CIDR ranges) whose X-Forwarded-For and X-Forwarded-Proto
    # `serve` believes. Empty, the peer is the client, whatever headers it sends: otherwise a
    # caller could pick its own throttling key. Behind a load balancer, name the balancer.
    FORWARDED_ALLOW_IPS: Annotated[list[str], NoDecode] = Field(default_factory=list)
    ACCESS_TOKEN_EXPIRE_MINUTES: int = Field(default=15, ge=1, le=24 * 60)
    REFRESH_TOKEN_EXPIRE_DAYS: int = Field(default=14, ge=1, le=365)
    # A refresh token presented again this soon after its rotation (two tabs, a retried request
    # whose answer was lost) gets a new pair of the same session instead of ending the session.
    REFRESH_REUSE_GRACE_SECONDS: int = Field(default=5, ge=0, le=60)
    JWT_ALGORITHM: JwtAlgorithm = "HS256"
    # PEM files for RS256/ES256; HS256 signs with SECRET_KEY.
    JWT_PRIVATE_KEY_FILE: str | None = None
    JWT_PUBLIC_KEY_FILE: str | None = None
    JWT_ISSUER: str = "{{ cookiecutter.project_slug }}"
    JWT_AUDIENCE: str = "{{ cookiecutter.project_slug }}-api"
    JWT_LEEWAY_SECONDS: int = Field(default=10, ge=0, le=300)

    # "<count>/<period>" in the `limits` notation, e.g. "5/minute" or "100/hour".
    LOGIN_RATE_LIMIT_PER_ACCOUNT: str = "5/minute"
    LOGIN_RATE_LIMIT_PER_CLIENT: str = "20/minute"
    REGISTER_RATE_LIMIT_PER_CLIENT: str = "10/hour"
    REGISTER_RATE_LIMIT_PER_ACCOUNT: str = "3/hour"
    REFRESH_RATE_LIMIT_PER_CLIENT: str = "60/minute"
    REFRESH_RATE_LIMIT_PER_ACCOUNT: str = "30/minute"
    # Refuse to register an address that only looks like a registered one (users/emails.py).
    REFUSE_LOOKALIKE_EMAILS: bool = True
    PASSWORD_CHANGE_RATE_LIMIT_PER_ACCOUNT: str = "5/hour"  # noqa: S105 - a rate, not a secret
    # Requests that mail an address (verification again, password reset): per address, charged
    # alike whether it has an account or not, and per client, charged before the body is read.
    ACCOUNT_MAIL_RATE_LIMIT_PER_ADDRESS: str = "3/hour"
    ACCOUNT_MAIL_RATE_LIMIT_PER_CLIENT: str = "10/hour"
    # Presenting a mailed token (verify, reset): per client; tokens are far too long to guess,
    # but a reset hashes the new password.
    ACCOUNT_TOKEN_RATE_LIMIT_PER_CLIENT: str = "30/hour"  # noqa: S105 - a rate, not a secret
    # "fast" makes hashing cheap for test suites (core/passwords.py); refused outside "test".
    PASSWORD_HASH_COST: Literal["standard", "fast"] = "standard"  # noqa: S105 - not a secret
{%- if cookiecutter.include_example_domain == "yes" %}

    # How long a stored Idempotency-Key response is replayed before the key can be reused.
    IDEMPOTENCY_KEY_TTL_HOURS: int = Field(default=24, ge=1, le=24 * 30)
    # Refuse PATCH and DELETE without If-Match (428) instead of letting the last write win.
    REQUIRE_IF_MATCH: bool = False
{%- endif %}

    # Login refuses an account whose address was never confirmed (403 email_not_verified).
    EMAIL_VERIFICATION_REQUIRED: bool = True
    # How long the link in a verification (or email change) mail and in a reset mail works.
    EMAIL_VERIFICATION_TOKEN_LIFETIME_HOURS: int = Field(default=24, ge=1, le=24 * 7)
    PASSWORD_RESET_TOKEN_LIFETIME_MINUTES: int = Field(default=30, ge=5, le=24 * 60)

    # Outgoing mail (core/mail.py), sent by the job worker. Unset outside production, the
    # worker cannot send; `make dev` points it at a local catcher that prints each mail.
    SMTP_HOST: str | None = None
    # Unset: 25 with SMTP_SECURITY=none, 587 with starttls, 465 with tls.
    SMTP_PORT: int | None = Field(default=None, ge=1, le=65535)
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: SecretStr | None = None
    SMTP_SECURITY: SmtpSecurity = "starttls"
    SMTP_TIMEOUT_SECONDS: float = Field(default=10.0, gt=0)
    # The sender of every mail, e.g. "Billing <no-reply@example.com>" or a bare address.
    MAIL_FROM: str | None = None
    MAIL_SUBJECT_PREFIX: str = f"[{SERVICE_NAME}] "
    # Where the service's web pages are: every link in a mail starts with it, never with the
    # request's Host (which a caller chooses).
    FRONTEND_URL: str = "http://localhost:3000"

    # /docs, /redoc and /openapi.json: unset, they exist everywhere but in production.
    API_DOCS: bool | None = None

    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # json everywhere but `local`, where a person reads the terminal: console lines there.
    LOG_FORMAT: LogFormat | None = None
    MAX_REQUEST_BODY_BYTES: int = Field(default=1_048_576, ge=1024)
    # A JSON body may nest this deep and hold this many items (values in arrays and members of
    # objects, all together); beyond, it is refused before it is parsed (web/middleware.py).
    MAX_REQUEST_JSON_DEPTH: int = Field(default=32, ge=2, le=512)
    MAX_REQUEST_JSON_ITEMS: int = Field(default=1000, ge=10)
    # The request line and headers together (web/server.py): larger requests get 431.
    MAX_REQUEST_HEADER_BYTES: int = Field(default=32_768, ge=4096)
    DB_POOL_SIZE: int = Field(default=10, ge=1)
    DB_MAX_OVERFLOW: int = Field(default=10, ge=0)
    DB_POOL_TIMEOUT_SECONDS: float = Field(default=5.0, gt=0)
    DB_CONNECT_TIMEOUT_SECONDS: float = Field(default=5.0, gt=0)
    DB_STATEMENT_TIMEOUT_MS: int = Field(default=15_000, ge=0)
    # Behind PgBouncer (or another pooler) in transaction mode; see core/db.py.
    DB_TRANSACTION_POOLER: bool = False
    HEALTH_CHECK_TIMEOUT_SECONDS: float = Field(default=2.0, gt=0)
    EMBEDDED_DB_DIR: str = ".keel/pgdata"

    @field_validator("CORS_ORIGINS", "FORWARDED_ALLOW_IPS", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [origin.strip() for origin in text.split(",") if origin.strip()]
        return value

    @field_validator("DATABASE_URL", "MIGRATION_DATABASE_URL")
    @classmethod
    def _use_asyncpg_driver(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or not value.strip():
            return None
        scheme, sep, rest = value.partition("://")
        if not sep or scheme not in {"postgres", "postgresql", "postgresql+asyncpg"}:
            raise ValueError(f"{info.field_name} must be a postgresql:// URL")
        return f"postgresql+asyncpg://{rest}"

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Self:
        if self.ENVIRONMENT != "production":
            return self
        secret = self.SECRET_KEY.get_secret_value()
        if secret == DEFAULT_SECRET_KEY:
            raise ValueError(
                "SECRET_KEY is the shipped default; set a random value in production "
                '(python -c "import secrets; print(secrets.token_urlsafe(48))")'
            )
        if len(secret) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(
                f"SECRET_KEY is {len(secret)} characters; production needs at least "
                f"{MIN_SECRET_KEY_LENGTH} so tokens cannot be brute-forced"
            )
        if "*" in self.CORS_ORIGINS:
            raise ValueError(
                "CORS_ORIGINS contains '*'; production sends credentials with CORS, "
                "so list the exact origins instead"
            )
        if self.DATABASE_URL is None:
            raise ValueError(
                "DATABASE_URL is not set; production never starts the embedded database"
            )
        if self.SMTP_HOST is None:
            raise ValueError("SMTP_HOST is not set; production must be able to send mail")
        if self.MAIL_FROM is None:
            raise ValueError('MAIL_FROM is not set; name the sender, e.g. "no-reply@example.com"')
        if not self.FRONTEND_URL.startswith("https://"):
            raise ValueError(
                f"FRONTEND_URL is {self.FRONTEND_URL!r}; production mails links to it, so it "
                "must be an https:// URL"
            )
        return self

    @field_validator("FRONTEND_URL")
    @classmethod
    def _frontend_url_is_a_base(cls, value: str) -> str:
        scheme, sep, rest = value.partition("://")
        if scheme not in {"http", "https"} or not sep or not rest.strip("/"):
            raise ValueError("FRONTEND_URL must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("SMTP_HOST", "MAIL_FROM", "SMTP_USERNAME", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _fast_hashing_only_in_tests(self) -> Self:
        if self.PASSWORD_HASH_COST == "fast" and self.ENVIRONMENT != "test":  # noqa: S105
            raise ValueError(
                f"PASSWORD_HASH_COST is {self.PASSWORD_HASH_COST!r}, which makes passwords cheap "
                "to guess; it is allowed only with ENVIRONMENT=test"
            )
        return self

    @model_validator(mode="after")
    def _require_key_files_for_asymmetric_jwt(self) -> Self:
        if self.JWT_ALGORITHM != "HS256" and not (
            self.JWT_PRIVATE_KEY_FILE and self.JWT_PUBLIC_KEY_FILE
        ):
            raise ValueError(
                f"JWT_ALGORITHM is {self.JWT_ALGORITHM}; set JWT_PRIVATE_KEY_FILE and "
                "JWT_PUBLIC_KEY_FILE to PEM files"
            )
        return self

    @property
    def is_production(self) -> bool:
        return self.ENVIRONMENT == "production"

    @property
    def log_format(self) -> LogFormat:
        if self.LOG_FORMAT is not None:
            return self.LOG_FORMAT
        return "console" if self.ENVIRONMENT == "local" else "json"

    @property
    def smtp_port(self) -> int:
        if self.SMTP_PORT is not None:
            return self.SMTP_PORT
        return {"none": 25, "starttls": 587, "tls": 465}[self.SMTP_SECURITY]

    @property
    def mail_from(self) -> str:
        """The sender: MAIL_FROM, or (outside production, which requires it) a local one."""
        return self.MAIL_FROM or formataddr((SERVICE_NAME, "no-reply@localhost"))

    @property
    def api_docs_enabled(self) -> bool:
        """Whether the docs pages and /openapi.json are served: `API_DOCS` when set, else
        everywhere but production (where the document is a map for attackers too)."""
        return self.API_DOCS if self.API_DOCS is not None else not self.is_production
{%- if cookiecutter.include_example_domain == "yes" %}

    @property
    def idempotency_key_ttl(self) -> timedelta:
        return timedelta(hours=self.IDEMPOTENCY_KEY_TTL_HOURS)
{%- endif %}

    @property
    def email_verification_token_lifetime(self) -> timedelta:
        return timedelta(hours=self.EMAIL_VERIFICATION_TOKEN_LIFETIME_HOURS)

    @property
    def password_reset_token_lifetime(self) -> timedelta:
        return timedelta(minutes=self.PASSWORD_RESET_TOKEN_LIFETIME_MINUTES)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests build their own `Settings` instead."""
    return Settings()
