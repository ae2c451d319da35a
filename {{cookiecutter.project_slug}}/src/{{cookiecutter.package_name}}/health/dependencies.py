from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.errors import DatabaseUnavailableError, raises
from {{ cookiecutter.package_name }}.web.dependencies import SharedState


@raises(DatabaseUnavailableError)
async def get_readiness_db(state: SharedState) -> AsyncIterator[AsyncSession]:
    """A session on the readiness engine's own connection: it does not queue behind requests,
    so a probe measures whether the database answers, not how busy the pool is."""
    async with AsyncSession(state.readiness_engine) as db:
        yield db


ReadinessDb = Annotated[AsyncSession, Depends(get_readiness_db)]
