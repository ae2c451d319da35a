from typing import Annotated

from pydantic import BaseModel, Field

from {{ cookiecutter.package_name }}.accounts.tokens import MAX_TOKEN_LENGTH
from {{ cookiecutter.package_name }}.core.passwords import MAX_PASSWORD_LENGTH
from {{ cookiecutter.package_name }}.core.schemas import StrictModel
from {{ cookiecutter.package_name }}.users.schemas import AccountEmail, Password

# What `mint_token` makes: URL-safe base64. Anything else cannot be a token.
AccountToken = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_TOKEN_LENGTH,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The token from the link in the mail (its `token` query parameter).",
    ),
]


class EmailVerification(StrictModel):
    token: AccountToken


class AddressRequest(StrictModel):
    """An address to mail; the answer is the same whether it has an account or not."""

    email: AccountEmail


class PasswordReset(StrictModel):
    token: AccountToken
    new_password: Password


class EmailChange(StrictModel):
    new_email: AccountEmail
    current_password: str = Field(max_length=MAX_PASSWORD_LENGTH)


class Accepted(BaseModel):
    """The request was taken; what happens next arrives by mail."""

    detail: str = Field(examples=["If the address can be registered, a link is on its way."])
