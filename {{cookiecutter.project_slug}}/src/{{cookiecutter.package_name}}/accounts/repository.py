import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, or_, update

from {{ cookiecutter.package_name }}.accounts.models import AccountToken, TokenPurpose
from {{ cookiecutter.package_name }}.core.repository import Repository


class AccountTokenRepository(Repository[AccountToken]):
    model = AccountToken
    noun = "Account token"

    async def claim(
        self, digest: str, *, purposes: Collection[TokenPurpose], now: datetime
    ) -> AccountToken | None:
        """Mark the token used and return it, if it has one of `purposes` and is neither used
        nor expired; None otherwise, whatever the reason, so a caller cannot tell them apart.
        One statement: of two requests presenting one token, PostgreSQL makes the second wait
        for the first, and then it matches nothing."""
        statement = (
            update(AccountToken)
            .where(
                AccountToken.token_hash == digest,
                AccountToken.purpose.in_(purposes),
                AccountToken.used_at.is_(None),
                AccountToken.expires_at > now,
            )
            .values(used_at=now)
            .returning(AccountToken)
        )
        return (await self.db.execute(statement)).scalar_one_or_none()

    async def retire(self, user_id: uuid.UUID, purpose: TokenPurpose, *, now: datetime) -> None:
        """Make the user's unused tokens of `purpose` unusable: a newer one replaces them."""
        statement = (
            update(AccountToken)
            .where(
                AccountToken.user_id == user_id,
                AccountToken.purpose == purpose,
                AccountToken.used_at.is_(None),
            )
            .values(used_at=now)
        )
        await self.db.execute(statement)

    async def delete_spent(self, *, now: datetime) -> int:
        """Delete the tokens that can no longer be used: expired, or used."""
        statement = (
            delete(AccountToken)
            .where(or_(AccountToken.expires_at <= now, AccountToken.used_at.is_not(None)))
            .returning(AccountToken.id)
        )
        return len((await self.db.execute(statement)).all())
