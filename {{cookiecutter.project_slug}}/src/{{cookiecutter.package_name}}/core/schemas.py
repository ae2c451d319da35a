"""Building blocks for request schemas."""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict


class StrictModel(BaseModel):
    """The base of every request schema: a field the schema does not know is an error (422),
    never silently dropped, so a misspelt field cannot look accepted."""

    model_config = ConfigDict(extra="forbid")


def _without_nul(value: str) -> str:
    # PostgreSQL cannot store U+0000 in text: refuse it here, as a 422 naming the field,
    # instead of letting the INSERT (or a search) fail with a 500.
    if "\x00" in value:
        raise ValueError("must not contain NUL (U+0000) characters")
    return value


# Put it after any constraints: Annotated[str, StringConstraints(...), NoNul].
NoNul = AfterValidator(_without_nul)
Text = Annotated[str, NoNul]


def refuse_nulls(model: BaseModel, *fields: str) -> None:
    """For partial updates: leaving a field out keeps it, but `null` for a field that cannot be
    empty is an error (instead of a database error, or a silent no-op)."""
    for name in fields:
        if name in model.model_fields_set and getattr(model, name) is None:
            raise ValueError(f"{name} cannot be null; leave it out to keep it")
