"""Password hashing: argon2id for new hashes, old bcrypt hashes accepted and upgraded."""

import bcrypt

from {{ cookiecutter.package_name }}.core import passwords


async def test_new_hashes_are_argon2id_and_salted() -> None:
    first = await passwords.hash_password("a passphrase to remember")
    second = await passwords.hash_password("a passphrase to remember")
    assert first.startswith("$argon2id$")
    assert first != second


async def test_the_right_password_verifies_and_a_wrong_one_does_not() -> None:
    hashed = await passwords.hash_password("a passphrase to remember")
    assert await passwords.verify_password("a passphrase to remember", hashed) == (True, None)
    assert await passwords.verify_password("a passphrase to forget", hashed) == (False, None)


async def test_a_bcrypt_hash_verifies_and_gets_an_argon2_replacement() -> None:
    legacy = bcrypt.hashpw(b"from the old system", bcrypt.gensalt(rounds=4)).decode()
    verified, replacement = await passwords.verify_password("from the old system", legacy)
    assert verified
    assert replacement is not None
    assert replacement.startswith("$argon2id$")
    assert await passwords.verify_password("from the old system", replacement) == (True, None)


async def test_the_dummy_verification_accepts_any_password() -> None:
    await passwords.verify_against_dummy("whatever was typed")


async def test_an_over_long_password_against_a_bcrypt_hash_is_just_wrong() -> None:
    # bcrypt refuses more than 72 bytes; that must read as a mismatch, not crash the login.
    legacy = bcrypt.hashpw(b"short", bcrypt.gensalt(rounds=4)).decode()
    assert await passwords.verify_password("é" * 40, legacy) == (False, None)
