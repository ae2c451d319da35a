"""Building blocks for request and read schemas."""

import re
import uuid
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
)
from pydantic.config import JsonDict
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

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


_WITHOUT_NUL = r"^[^\x00]*$"
# What pydantic strips: Unicode's White_Space characters (not Python's `\s`, which has four more).
_WHITE_SPACE = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_NOT_BLANK = rf"^[^\x00]*[^\x00{_WHITE_SPACE}][^\x00]*$"


class _NoNul:
    """Refuses NUL where it is validated, and says so in the field's JSON schema (a pattern),
    so the document does not offer what the server refuses."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_after_validator_function(_without_nul, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        inner = schema.get("schema", {})
        # A stripped string must hold something that is not whitespace: "   " strips to "",
        # which its minLength then refuses, so the pattern says so too.
        stripped = isinstance(inner, dict) and inner.get("strip_whitespace", False)
        json_schema.setdefault("pattern", _NOT_BLANK if stripped else _WITHOUT_NUL)
        return json_schema


# Put it after any constraints: Annotated[str, StringConstraints(...), NoNul].
NoNul = _NoNul()
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


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date_text(value: object) -> object:
    # Pydantic also reads a date from a number of seconds ("0" is 1970-01-01); the schema
    # says `format: date` (YYYY-MM-DD), and that is all the server reads.
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date as YYYY-MM-DD")
    return value


# A calendar day, as `format: date` has it: YYYY-MM-DD, and nothing else.
IsoDate = Annotated[date, BeforeValidator(_iso_date_text)]


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
