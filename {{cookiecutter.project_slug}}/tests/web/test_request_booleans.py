"""A boolean in a JSON request body is `true` or `false`, as the schema says: pydantic's lax
mode would take 0, 1, "yes" or "off" for one, a schema-violating request the server accepts.
(A query string is text: there, `true` and `false` are read from it on purpose.)"""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.params import Form
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ValidationError


def _json_bodies(dependant: Dependant) -> Iterator[type[BaseModel]]:
    for parameter in dependant.body_params:
        if isinstance(parameter.field_info, Form):
            continue
        model = parameter.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            yield model
    for dependency in dependant.dependencies:
        yield from _json_bodies(dependency)


def _boolean_fields(app: FastAPI) -> set[tuple[type[BaseModel], str]]:
    return {
        (model, name)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        for model in _json_bodies(context.original_route.dependant)
        for name, field in model.model_fields.items()
        if "bool" in str(field.annotation)
    }


def test_the_service_has_request_booleans_to_check(app: FastAPI) -> None:
    assert _boolean_fields(app)


@pytest.mark.parametrize("value", [0, 1, "true", "yes", "off"])
def test_no_request_boolean_takes_anything_but_true_or_false(app: FastAPI, value: object) -> None:
    lax = []
    for model, name in sorted(_boolean_fields(app), key=str):
        try:
            model.model_validate({name: value})
        except ValidationError as error:
            if any(problem["loc"][:1] == (name,) for problem in error.errors()):
                continue
        lax.append(f"{model.__name__}.{name}")
    assert lax == []
