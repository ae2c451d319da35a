"""Email addresses as identities: the one place that decides when two addresses are one account.

`email_key` is the form an address is known by: registration stores it under a unique index,
and login, throttling and lookups all go through it. It is the address after PRECIS's
UsernameCaseMapped profile (RFC 8265, as implemented by `precis-i18n`): full-width letters
become ASCII, letters are lower-cased the Unicode way, and the result is in NFC. So
`Ivan@Example.com`, the same in full-width letters (U+FF41 and on) and a decomposed `é` all
name one account, and `İvan@example.com` logs in exactly as it registered. Spaces, symbols
and emoji have no key.

`lookalike_key` goes one step further, for refusing look-alikes: each character that is not
ASCII but looks like an ASCII one (the Cyrillic a, U+0430; the dotless i, U+0131) becomes that
ASCII character, per Unicode's confusables data (TS #39) as `confusable-homoglyphs` ships it.
Plain ASCII is left alone, so `amie` and `arnie` never collide.

The address itself is kept as it was given: mail is delivered to it, and its local part may be
case-sensitive (RFC 5321).
"""

from functools import cache

from confusable_homoglyphs import confusables
from precis_i18n import get_profile

_PROFILE = get_profile("UsernameCaseMapped")


class UnusableEmailError(ValueError):
    """An address with characters no account name may have (spaces, symbols, emoji)."""


def email_key(address: str) -> str:
    """The key an address is known by; `UnusableEmailError` if it cannot have one."""
    try:
        key: str = _PROFILE.enforce(address)
    except UnicodeEncodeError as exc:
        raise UnusableEmailError(
            "the address has a character an account name cannot have, such as a space, a "
            "symbol or an emoji"
        ) from exc
    return key


def lookalike_key(key: str) -> str:
    """`key` with every non-ASCII character that looks like an ASCII one replaced by it."""
    return "".join(
        character if character.isascii() else _ascii_twin(character) for character in key
    )


@cache
def _ascii_twin(character: str) -> str:
    for match in confusables.is_confusable(character, greedy=True) or ():
        for homoglyph in match["homoglyphs"]:
            twin = str(homoglyph["c"])
            if len(twin) == 1 and twin.isascii():
                return twin
    return character
