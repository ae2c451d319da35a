"""If-Match parsing (strong comparison, lists, `*`, the optional requirement) and the version
check services make with what it parsed."""

import pytest

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.versioning import (
    PreconditionFailedError,
    PreconditionRequiredError,
    check_version,
)
from {{ cookiecutter.package_name }}.web.conditional import etag, parse_if_match


@pytest.mark.parametrize(
    ("header", "versions"),
    [
        (None, None),
        ("*", None),
        ('"3"', frozenset({3})),
        ('"3", "5"', frozenset({3, 5})),
        ('W/"3"', frozenset()),
        ("3", frozenset()),
        ('"three"', frozenset()),
        ('"\u00b2"', frozenset()),
        ('"12345678901234567890123"', frozenset()),
    ],
)
async def test_if_match_headers_parse_to_the_versions_they_allow(
    settings: Settings, header: str | None, versions: frozenset[int] | None
) -> None:
    assert await parse_if_match(settings, header) == versions


async def test_a_missing_if_match_is_refused_when_required(settings: Settings) -> None:
    strict = settings.model_copy(update={"REQUIRE_IF_MATCH": True})
    with pytest.raises(PreconditionRequiredError):
        await parse_if_match(strict, None)


def test_a_version_outside_the_expected_ones_fails_the_precondition() -> None:
    check_version(2, frozenset({2}), noun="Task")
    check_version(2, None, noun="Task")
    with pytest.raises(
        PreconditionFailedError, match="Task is at version 2, which If-Match does not name"
    ):
        check_version(2, frozenset({1}), noun="Task")


def test_the_etag_is_the_quoted_version() -> None:
    assert etag(12) == '"12"'
