"""Validate the answers before anything is written; fail with one sentence naming the answer.

Cookiecutter renders this file with Jinja, so the answers arrive as a JSON literal.
"""

import json
import keyword
import re
import sys

ANSWERS = json.loads(r"""{{ cookiecutter | jsonify }}""")

SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
PACKAGE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Long names push generated lines past the 100-character limit the generated project lints.
MAX_SLUG_LENGTH = 40
MAX_PACKAGE_LENGTH = 32
PYTHON_VERSIONS = ("3.11", "3.12", "3.13")
# Importing the service must not shadow the standard library or a dependency.
RESERVED_PACKAGES = frozenset(sys.stdlib_module_names) | {
    "alembic", "asyncpg", "fastapi", "httpx", "pydantic", "pydantic_settings", "pytest",
    "sqlalchemy", "starlette", "tests", "uvicorn",
}  # fmt: skip
CHOICES = {
    "include_example_domain": ("yes", "no"),
    "observability": ("basic", "full"),
    "use_docker": ("yes", "no"),
    "ci": ("github", "none"),
    "deploy": ("none", "kubernetes"),
    "license": ("MIT", "Apache-2.0", "BSD-3-Clause", "Proprietary"),
    "run_tests_after_generation": ("yes", "no"),
}


def problems(answers: dict[str, str]) -> list[str]:
    found = []
    if not answers["project_name"].strip():
        found.append("project_name is empty; give the service a name, e.g. 'Billing API'.")
    slug = answers["project_slug"]
    if not SLUG.fullmatch(slug) or len(slug) > MAX_SLUG_LENGTH:
        found.append(
            f"project_slug {slug!r} is not allowed: use lowercase letters, digits and single "
            f"hyphens, starting with a letter, at most {MAX_SLUG_LENGTH} characters "
            "(e.g. 'billing-api')."
        )
    package = answers["package_name"]
    if not PACKAGE.fullmatch(package) or len(package) > MAX_PACKAGE_LENGTH:
        found.append(
            f"package_name {package!r} is not a valid package name: use lowercase letters, digits "
            f"and single underscores, starting with a letter, at most {MAX_PACKAGE_LENGTH} "
            "characters (e.g. 'billing_api')."
        )
    elif keyword.iskeyword(package) or package in RESERVED_PACKAGES:
        found.append(
            f"package_name {package!r} would shadow Python's or a dependency's own module; "
            "choose another name (e.g. 'billing_api')."
        )
    if not EMAIL.fullmatch(answers["author_email"]):
        found.append(f"author_email {answers['author_email']!r} is not an email address.")
    if answers["python_version"] not in PYTHON_VERSIONS:
        found.append(
            f"python_version {answers['python_version']!r} is not supported; "
            f"choose one of {', '.join(PYTHON_VERSIONS)}."
        )
    for option, allowed in CHOICES.items():
        if answers[option] not in allowed:
            choices = ", ".join(allowed)
            found.append(f"{option} {answers[option]!r} is not an option; choose one of {choices}.")
    if answers["deploy"] == "kubernetes" and answers["use_docker"] != "yes":
        found.append(
            "deploy 'kubernetes' runs the image the Dockerfile builds; "
            "answer use_docker=yes, or deploy=none."
        )
    return found


def main() -> int:
    found = problems(ANSWERS)
    if not found:
        return 0
    # One sentence: the first problem. A bad slug also spoils the package name derived from it.
    print(f"keel: {found[0]}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
