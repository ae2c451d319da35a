"""Settings parse what operators write, and production refuses unsafe values by name."""

import logging
from email.utils import parseaddr

import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.core.config import (
    DEFAULT_SECRET_KEY,
    SERVICE_NAME,
    Settings,
    SmtpSecurity,
)
from {{ cookiecutter.package_name }}.core.db import resolve_database_url, resolve_migration_url

PRODUCTION_DB = "postgresql://app:pw@db.internal:5432/app"
PRODUCTION_ASYNCPG_DB = "postgresql+asyncpg://app:pw@db.internal:5432/app"
STRONG_SECRET = "k" * 48


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests describe the defaults: the developer's own environment must not leak in."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)


def production(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "ENVIRONMENT": "production",
        "DATABASE_URL": PRODUCTION_DB,
        "SECRET_KEY": STRONG_SECRET,
        "SMTP_HOST": "smtp.example.com",
        "MAIL_FROM": "no-reply@example.com",
        "FRONTEND_URL": "https://app.example.com",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_a_safe_production_configuration_is_accepted() -> None:
    settings = production(CORS_ORIGINS="https://app.example.com")
    assert settings.is_production
    assert settings.CORS_ORIGINS == ["https://app.example.com"]


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"SECRET_KEY": DEFAULT_SECRET_KEY}, "SECRET_KEY is the shipped default"),
        ({"SECRET_KEY": "short-secret"}, "SECRET_KEY is 12 characters"),
        ({"CORS_ORIGINS": "*"}, "CORS_ORIGINS contains '*'"),
        ({"DATABASE_URL": None}, "DATABASE_URL is not set"),
        ({"SMTP_HOST": None}, "SMTP_HOST is not set"),
        ({"SMTP_HOST": " "}, "SMTP_HOST is not set"),
        ({"MAIL_FROM": None}, "MAIL_FROM is not set"),
        ({"FRONTEND_URL": "http://app.example.com"}, "FRONTEND_URL is 'http://app.example.com'"),
    ],
)
def test_production_refuses_unsafe_settings_naming_the_setting(
    overrides: dict[str, object], named: str
) -> None:
    with pytest.raises(ValidationError, match=named):
        production(**overrides)


@pytest.mark.parametrize("url", ["app.example.com", "ftp://app.example.com", "https://", "/x"])
def test_frontend_url_must_be_a_web_address(url: str) -> None:
    with pytest.raises(ValidationError, match="FRONTEND_URL must be an http"):
        Settings(_env_file=None, FRONTEND_URL=url)


def test_links_are_built_on_the_frontend_url_without_its_trailing_slash() -> None:
    assert Settings(_env_file=None, FRONTEND_URL="https://app.example.com/").FRONTEND_URL == (
        "https://app.example.com"
    )


@pytest.mark.parametrize(("security", "port"), [("none", 25), ("starttls", 587), ("tls", 465)])
def test_the_smtp_port_follows_the_security_unless_it_is_set(
    security: SmtpSecurity, port: int
) -> None:
    assert Settings(_env_file=None, SMTP_SECURITY=security).smtp_port == port
    assert Settings(_env_file=None, SMTP_SECURITY=security, SMTP_PORT=2525).smtp_port == 2525


def test_mail_comes_from_the_service_until_a_sender_is_set() -> None:
    # Quoted as a header needs, whatever the service's name holds (commas, dots).
    assert parseaddr(Settings(_env_file=None).mail_from) == (SERVICE_NAME, "no-reply@localhost")
    assert Settings(_env_file=None, MAIL_FROM="a@b.example").mail_from == "a@b.example"


def test_local_development_accepts_the_defaults() -> None:
    settings = Settings(_env_file=None)
    assert settings.ENVIRONMENT == "local"
    assert settings.DATABASE_URL is None
    assert settings.ACCESS_TOKEN_EXPIRE_MINUTES == 15


def test_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("ACCESS_TOKEN_EXPIRE_MINUTES", "5")
    settings = Settings(_env_file=None)
    assert settings.CORS_ORIGINS == ["https://a.example", "https://b.example"]
    assert settings.ACCESS_TOKEN_EXPIRE_MINUTES == 5


def test_cors_origins_also_accept_a_json_list() -> None:
    settings = Settings(_env_file=None, CORS_ORIGINS='["https://a.example"]')  # type: ignore[arg-type]
    assert settings.CORS_ORIGINS == ["https://a.example"]


@pytest.mark.parametrize("name", ["DATABASE_URL", "MIGRATION_DATABASE_URL"])
@pytest.mark.parametrize(
    "url", ["postgres://u:p@h/db", "postgresql://u:p@h/db", "postgresql+asyncpg://u:p@h/db"]
)
def test_database_urls_are_normalised_to_asyncpg(name: str, url: str) -> None:
    settings = Settings(_env_file=None, **{name: url})  # type: ignore[arg-type]
    assert getattr(settings, name) == "postgresql+asyncpg://u:p@h/db"


@pytest.mark.parametrize("name", ["DATABASE_URL", "MIGRATION_DATABASE_URL"])
def test_a_non_postgresql_database_url_is_refused(name: str) -> None:
    with pytest.raises(ValidationError, match=f"{name} must be a postgresql:// URL"):
        Settings(_env_file=None, **{name: "sqlite:///app.db"})  # type: ignore[arg-type]


def test_the_migrations_run_as_their_own_role_when_one_is_given(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = production(MIGRATION_DATABASE_URL="postgresql://owner:p@h/db")
    with caplog.at_level(logging.WARNING):
        assert resolve_migration_url(settings) == "postgresql+asyncpg://owner:p@h/db"
    assert resolve_database_url(settings) == PRODUCTION_ASYNCPG_DB
    assert caplog.records == []


def test_one_role_for_both_works_and_production_warns_about_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        assert resolve_migration_url(production()) == PRODUCTION_ASYNCPG_DB
    assert "MIGRATION_DATABASE_URL is not set" in caplog.text
    caplog.clear()
    local = Settings(_env_file=None, DATABASE_URL="postgresql://u:p@h/db")
    with caplog.at_level(logging.WARNING):
        assert resolve_migration_url(local) == "postgresql+asyncpg://u:p@h/db"
    assert caplog.records == []


def test_an_empty_database_url_means_unset() -> None:
    assert Settings(_env_file=None, DATABASE_URL="  ").DATABASE_URL is None


def test_the_configured_database_url_wins_over_the_embedded_one() -> None:
    settings = Settings(_env_file=None, DATABASE_URL="postgresql://u:p@h/db")
    assert resolve_database_url(settings) == "postgresql+asyncpg://u:p@h/db"


def test_production_never_starts_the_embedded_database() -> None:
    settings = production().model_copy(update={"DATABASE_URL": None})
    with pytest.raises(RuntimeError, match="DATABASE_URL must be set in production"):
        resolve_database_url(settings)
