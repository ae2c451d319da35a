"""Write the summary table of docs/options.md from cookiecutter.json, so the option reference
cannot fall behind the questions the template asks.

    uv run python scripts/option_reference.py           # rewrite the table
    uv run python scripts/option_reference.py --check   # exit 1 if the table is out of date

The table sits between the `<!-- options:begin -->` and `<!-- options:end -->` lines. Each
option's own section below it is prose, written by hand; tests/test_docs.py checks that it
exists.
"""

import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONTEXT_FILE = ROOT / "cookiecutter.json"
REFERENCE = ROOT / "docs" / "options.md"
BEGIN, END = "<!-- options:begin -->", "<!-- options:end -->"
# The values a free-text option accepts, as the pre-generation hook checks them. A new text
# option must be described here: the table cannot be written without it.
TEXT_VALUES = {
    "project_name": "any non-blank text",
    "project_slug": "lowercase letters, digits and hyphens, 40 at most ([validation](#validation))",
    "package_name": "a Python identifier, 32 at most ([validation](#validation))",
    "description": "any text",
    "author_name": "any text",
    "author_email": "an email address",
}
# Beyond this many paths, the table points at the option's section instead of listing them.
MAX_PATHS_LISTED = 3
_DERIVED_FROM = re.compile(r"cookiecutter\.(\w+)")


def _code(values: list[str]) -> str:
    return ", ".join(f"`{value}`" for value in values)


def _owned(option: str, owned_paths: dict[str, dict[str, list[str]]]) -> str:
    parts = []
    for value, paths in owned_paths.get(option, {}).items():
        if len(paths) > MAX_PATHS_LISTED:
            listed = f"{len(paths)} paths ([below](#{option}))"
        else:
            listed = _code(paths)
        parts.append(f"`{value}`: {listed}")
    return "; ".join(parts) or "—"


def _row(option: str, default: Any, context: dict[str, Any]) -> str:
    prompts = context.get("__prompts__", {})
    prompt = prompts.get(option, option)
    question = prompt["__prompt__"] if isinstance(prompt, dict) else prompt
    if isinstance(default, list):
        values, first = _code(default), f"`{default[0]}`"
    elif option in TEXT_VALUES:
        derived = _DERIVED_FROM.search(str(default))
        values = TEXT_VALUES[option]
        first = f"derived from `{derived.group(1)}`" if derived else f"`{default}`"
    else:
        raise SystemExit(f"{option}: describe its values in TEXT_VALUES ({Path(__file__).name})")
    owned = _owned(option, context.get("_owned_paths", {}))
    return f"| `{option}` | {question} | {values} | {first} | {owned} |"


def render_table(context: dict[str, Any]) -> str:
    rows = [
        _row(option, default, context)
        for option, default in context.items()
        if not option.startswith("_")
    ]
    header = [
        "| option | question | allowed values | default | owns files |",
        "|---|---|---|---|---|",
    ]
    return "\n".join([*header, *rows])


def rewritten(reference: str, table: str) -> str:
    before, rest = reference.split(BEGIN, 1)
    _, after = rest.split(END, 1)
    return f"{before}{BEGIN}\n{table}\n{END}{after}"


def main(argv: list[str]) -> int:
    context = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))
    reference = REFERENCE.read_text(encoding="utf-8")
    updated = rewritten(reference, render_table(context))
    if updated == reference:
        return 0
    if "--check" in argv:
        sys.stderr.write(
            "docs/options.md is out of date: run `uv run python scripts/option_reference.py`\n"
        )
        return 1
    REFERENCE.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
