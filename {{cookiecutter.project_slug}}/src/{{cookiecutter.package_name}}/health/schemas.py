from typing import Literal

from pydantic import BaseModel, ConfigDict


class HealthRead(BaseModel):
    # Every answer has `status`: the document says it is required, not merely defaulted.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    status: Literal["ok"] = "ok"
