"""Opaque single-use tokens, the kind mailed in a link.

A token is 32 random bytes (256 bits), URL-safe. It is stored only as its SHA-256 digest: with
that much randomness nobody can guess one from its digest, so a fast hash is enough (a
password needs a slow one because people choose guessable ones).
"""

import hashlib
import secrets

# Longer than any token minted here; the API refuses longer input before hashing it.
MAX_TOKEN_LENGTH = 128


def mint_token() -> tuple[str, str]:
    """A new token and the digest to store for it."""
    token = secrets.token_urlsafe(32)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
