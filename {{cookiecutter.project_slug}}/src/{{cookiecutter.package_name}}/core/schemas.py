"""Building blocks for request and read schemas."""

import uuid
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, GetJsonSchemaHandler
from pydantic.config import JsonDict
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

T = TypeVar("T")


class StrictModel(BaseModel):
    """The base of every request schema: a field the schema does not know is an error (422),
    never silently dropped, so a misspelt field cannot look accepted."""

    model_config = ConfigDict(extra="forbid")


class VersionedRead(BaseModel):
    """The read model of a resource updated under optimistic locking: its `version` is its
    ETag, sent with every response that carries it (a create included), so a client can send
    `If-Match` on its first update without reading the resource again."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    version: int


def _without_nul(value: str) -> str:
    # PostgreSQL cannot store U+0000 in text: refuse it here, as a 422 naming the field,
    # instead of letting the INSERT (or a search) fail with a 500.
    if "\x00" in value:
        raise ValueError("must not contain NUL (U+0000) characters")
    return value


# Put it after any constraints: Annotated[str, StringConstraints(...), NoNul].
NoNul = AfterValidator(_without_nul)
Text = Annotated[str, NoNul]


def _not_null(value: object) -> object:
    # Runs only for a value that was sent: a left-out field keeps its default without this.
    if value is None:
        raise ValueError("cannot be null; leave the field out to keep its value")
    return value


def _sent_as_a_value(schema: JsonDict) -> None:
    # The document says what the server accepts: a value, or nothing at all. "string or
    # null" would invite clients to send a null that is then refused.
    options = schema.get("anyOf")
    if isinstance(options, list):
        present = [option for option in options if option != {"type": "null"}]
        if len(present) == 1 and isinstance(present[0], dict):
            del schema["anyOf"]
            schema.update(present[0])
    schema.pop("default", None)


# A field of a partial update that may be left out (and then keeps its value) but never cleared:
# `name: Unclearable[Name] = None`. An explicit `null` is a 422 naming the field, not a
# database error or a silent no-op, and the OpenAPI schema does not offer null.
Unclearable = Annotated[
    T | None, AfterValidator(_not_null), Field(json_schema_extra=_sent_as_a_value)
]


class NamedChoice(StrEnum):
    """A choice whose values are not identifiers (`-created_at`): its schema names each value
    after its member (`x-enum-varnames`), so generated clients read `TaskSort.CREATED_AT_DESC`
    rather than `VALUE_1`."""

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema: dict[str, Any] = handler.resolve_ref_schema(handler(core_schema))
        schema["x-enum-varnames"] = [member.name for member in cls]
        return schema
