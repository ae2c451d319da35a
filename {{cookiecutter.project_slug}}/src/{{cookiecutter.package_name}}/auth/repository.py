import uuid
from datetime import datetime

from sqlalchemy import select, update

from {{ cookiecutter.package_name }}.auth.models import RefreshToken
from {{ cookiecutter.package_name }}.core.repository import Repository


class RefreshTokenRepository(Repository[RefreshToken]):
    model = RefreshToken
    noun = "Refresh token"

    async def get_for_update(self, token_id: uuid.UUID) -> RefreshToken | None:
        """Lock the row: two requests presenting the same token are served one after the
        other, so the second one sees the first one's `used_at`."""
        statement = select(RefreshToken).where(RefreshToken.id == token_id).with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def revoke_family(self, family_id: uuid.UUID, *, at: datetime) -> None:
        statement = (
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        await self.session.execute(statement)

    async def revoke_user_families(
        self, user_id: uuid.UUID, *, at: datetime, except_family_id: uuid.UUID | None = None
    ) -> None:
        statement = (
            update(RefreshToken)
            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        if except_family_id is not None:
            statement = statement.where(RefreshToken.family_id != except_family_id)
        await self.session.execute(statement)
