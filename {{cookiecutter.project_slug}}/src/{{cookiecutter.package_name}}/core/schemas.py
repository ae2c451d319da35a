"""Building blocks for request schemas."""

from typing import Annotated

from pydantic import AfterValidator


def _without_nul(value: str) -> str:
    # PostgreSQL cannot store U+0000 in text: refuse it here, as a 422 naming the field,
    # instead of letting the INSERT (or a search) fail with a 500.
    if "\x00" in value:
        raise ValueError("must not contain NUL (U+0000) characters")
    return value


# Put it after any constraints: Annotated[str, StringConstraints(...), NoNul].
NoNul = AfterValidator(_without_nul)
Text = Annotated[str, NoNul]
