"""Password hashing: argon2id for new hashes, old bcrypt hashes accepted and upgraded."""

from collections.abc import Iterator

import bcrypt
import pytest

from {{ cookiecutter.package_name }}.core.passwords import PasswordHasher


@pytest.fixture(scope="module")
def passwords() -> Iterator[PasswordHasher]:
    """The cost production uses: these tests are about the real parameters."""
    hasher = PasswordHasher("standard")
    yield hasher
    hasher.close()


async def test_new_hashes_are_argon2id_with_the_standard_cost_and_salted(
    passwords: PasswordHasher,
) -> None:
    first = await passwords.hash("a passphrase to remember")
    second = await passwords.hash("a passphrase to remember")
    assert first.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert first != second


async def test_the_right_password_verifies_and_a_wrong_one_does_not(
    passwords: PasswordHasher,
) -> None:
    hashed = await passwords.hash("a passphrase to remember")
    assert await passwords.verify("a passphrase to remember", hashed) == (True, None)
    assert await passwords.verify("a passphrase to forget", hashed) == (False, None)


async def test_a_bcrypt_hash_verifies_and_gets_an_argon2_replacement(
    passwords: PasswordHasher,
) -> None:
    legacy = bcrypt.hashpw(b"from the old system", bcrypt.gensalt(rounds=4)).decode()
    verified, replacement = await passwords.verify("from the old system", legacy)
    assert verified
    assert replacement is not None
    assert replacement.startswith("$argon2id$")
    assert await passwords.verify("from the old system", replacement) == (True, None)


async def test_a_hash_made_with_a_weaker_cost_is_replaced_on_the_next_verification(
    passwords: PasswordHasher,
) -> None:
    fast = PasswordHasher("fast")
    try:
        weak = await fast.hash("a passphrase to remember")
    finally:
        fast.close()
    verified, replacement = await passwords.verify("a passphrase to remember", weak)
    assert verified
    assert replacement is not None
    assert replacement.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


async def test_the_dummy_verification_accepts_any_password(passwords: PasswordHasher) -> None:
    await passwords.verify_against_dummy("whatever was typed")


async def test_an_over_long_password_against_a_bcrypt_hash_is_just_wrong(
    passwords: PasswordHasher,
) -> None:
    # bcrypt refuses more than 72 bytes; that must read as a mismatch, not crash the login.
    legacy = bcrypt.hashpw(b"short", bcrypt.gensalt(rounds=4)).decode()
    assert await passwords.verify("é" * 40, legacy) == (False, None)


def test_the_fast_cost_is_refused_outside_tests() -> None:
    from {{ cookiecutter.package_name }}.core.config import Settings  # noqa: PLC0415

    with pytest.raises(ValueError, match="PASSWORD_HASH_COST is 'fast'"):
        Settings(_env_file=None, ENVIRONMENT="local", PASSWORD_HASH_COST="fast")
