import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from {{ cookiecutter.package_name }}.core.schemas import StrictModel


class TokenPair(BaseModel):
    # Every answer has `token_type`: the document says it is required, not merely defaulted.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")


class RefreshRequest(StrictModel):
    refresh_token: str = Field(min_length=1, max_length=4096)


class SessionRead(BaseModel):
    id: uuid.UUID
    started_at: datetime
    last_used_at: datetime
    expires_at: datetime
    current: bool = Field(description="Whether this is the session of the calling token.")
