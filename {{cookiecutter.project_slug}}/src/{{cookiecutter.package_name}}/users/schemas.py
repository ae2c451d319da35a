import re
import uuid
from datetime import datetime
from typing import Annotated, Self

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StrictBool,
    StringConstraints,
    model_validator,
)

from {{ cookiecutter.package_name }}.core.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from {{ cookiecutter.package_name }}.core.schemas import NoNul, StrictModel, Unclearable
from {{ cookiecutter.package_name }}.users.emails import email_key
from {{ cookiecutter.package_name }}.users.models import EMAIL_LENGTH, FULL_NAME_LENGTH, UserRole

Password = Annotated[str, Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)]
# Checked against the stored hash, so any length a password may have.
CurrentPassword = Annotated[str, Field(max_length=MAX_PASSWORD_LENGTH)]
FullName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=FULL_NAME_LENGTH), NoNul
]


def _has_a_key(address: EmailStr) -> EmailStr:
    email_key(str(address))  # UnusableEmailError is a ValueError: a 422 naming the field
    return address


def _either_case(name: str) -> str:
    return "".join(
        f"[{letter}{letter.upper()}]" if letter.isalpha() else re.escape(letter) for letter in name
    )


# email-validator refuses an address on a special-use domain (RFC 6761: test, invalid, localhost
# and the like), which mail cannot reach. The schema says so too, with a pattern built from the
# library's own list, so a client (or schemathesis) never sends what the server must refuse.
# JSON Schema patterns take no flags: each letter is matched in either case, as domains are.
_SPECIAL_USE = "|".join(map(_either_case, SPECIAL_USE_DOMAIN_NAMES))
NOT_ON_A_SPECIAL_USE_DOMAIN = f"^(?!.*[.@](?:{_SPECIAL_USE})$)"

AccountEmail = Annotated[
    EmailStr,
    Field(
        max_length=EMAIL_LENGTH,
        description="An address mail can reach: one on a special-use domain (RFC 6761: "
        + ", ".join(f".{name}" for name in SPECIAL_USE_DOMAIN_NAMES)
        + ") is refused.",
        # Documented only: email-validator does the refusing, with a clearer message.
        json_schema_extra={"pattern": NOT_ON_A_SPECIAL_USE_DOMAIN},
    ),
    AfterValidator(_has_a_key),
]


class UserCreate(StrictModel):
    email: AccountEmail
    password: Password
    full_name: FullName


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    full_name: str
    role: UserRole
    is_active: bool
    email_verified_at: datetime | None = Field(
        description="When the address was confirmed by a mailed link; null until then."
    )
    created_at: datetime


class UserUpdateMe(StrictModel):
    """What a user may change about themselves; a new password needs the current one."""

    # The schema says it too: a body with `password` also has `current_password`.
    model_config = ConfigDict(
        json_schema_extra={"dependentRequired": {"password": ["current_password"]}}
    )

    full_name: Unclearable[FullName] = None
    password: Unclearable[Password] = None
    current_password: Unclearable[CurrentPassword] = None

    @model_validator(mode="after")
    def _new_password_needs_the_current_one(self) -> Self:
        if self.password is not None and self.current_password is None:
            raise ValueError("current_password is required to set a new password")
        return self


class UserUpdate(StrictModel):
    """What an admin may change about any user."""

    full_name: Unclearable[FullName] = None
    role: Unclearable[UserRole] = None
    # Strict: `true` or `false`, as the schema says; never 0, 1 or "yes" coerced to a boolean.
    is_active: Unclearable[StrictBool] = None
