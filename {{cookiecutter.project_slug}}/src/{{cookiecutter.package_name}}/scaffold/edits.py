"""The edits a new domain makes to existing modules (mounting the router, registering the
model), and the record of every change, so a failure can undo them all."""

import ast
import json
from pathlib import Path

from {{ cookiecutter.package_name }}.scaffold.names import PACKAGE, DomainNames, ScaffoldError


def _last_import_line(tree: ast.Module) -> int:
    imports = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    if not imports:
        raise ScaffoldError("found no imports to add to")
    return max(node.end_lineno or node.lineno for node in imports)


def _insert_after(text: str, line: int, addition: str) -> str:
    lines = text.splitlines(keepends=True)
    return "".join([*lines[:line], addition, *lines[line:]])


def _assigned_list(tree: ast.Module, name: str, *, missing: str) -> tuple[ast.Assign, ast.List]:
    """The module's `name = [...]` statement and its list; `missing` is the error without one."""
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.List)
            and [ast.unparse(target) for target in node.targets] == [name]
        ):
            return node, node.value
    raise ScaffoldError(missing)


def _declare_tag(text: str, tree: ast.Module, names: DomainNames) -> str:
    """api.py with the router's tag in API_TAGS: before the health probes' tag, which stays
    last, or at the end of the list. An OpenAPI tag an operation uses must be declared."""
    _, tags = _assigned_list(
        tree, "API_TAGS", missing="api.py has no API_TAGS list to describe the router's tag in"
    )
    nouns = names.domain.replace("_", " ")
    # Short enough for one line under ruff's 100 columns at the longest domain name (30).
    description = f"The caller's {nouns}; an admin sees everyone's."
    # A dict of strings in JSON is a Python literal too; ruff format wraps it afterwards.
    entry = f"    {json.dumps({'name': names.url, 'description': description})},\n"
    if not tags.elts:
        raise ScaffoldError("api.py's API_TAGS list is empty; add the existing tags first")
    for element in tags.elts:
        if _tag_name(element) == "health":
            return _insert_after(text, element.lineno - 1, entry)
    last = tags.elts[-1]
    return _insert_after(text, last.end_lineno or last.lineno, entry)


def _tag_name(element: ast.expr) -> object:
    try:
        tag = ast.literal_eval(element)
    except ValueError:  # not a literal: a tag built some other way
        return None
    return tag.get("name") if isinstance(tag, dict) else None


def mount_router(text: str, names: DomainNames) -> str:
    """api.py with the domain's router imported, its tag described in API_TAGS, and the router
    listed last in API_ROUTERS (which main.py includes under /api/v1)."""
    tree = ast.parse(text)
    node, routers = _assigned_list(
        tree, "API_ROUTERS", missing="api.py has no API_ROUTERS list to add the router to"
    )
    alias = f"{names.domain}_router"
    members = [*(ast.unparse(element) for element in routers.elts), alias]
    lines = text.splitlines(keepends=True)
    body = "".join(f"    {member},\n" for member in members)
    end = node.end_lineno or node.lineno
    text = "".join([*lines[: node.lineno - 1], f"API_ROUTERS = [\n{body}]\n", *lines[end:]])
    # The tag list comes before the routers, so the lines it names are still where they were.
    text = _declare_tag(text, tree, names)
    statement = f"from {PACKAGE}.{names.domain}.router import router as {alias}\n"
    return _insert_after(text, _last_import_line(tree), statement)


def register_model(text: str, names: DomainNames) -> str:
    """models.py with the domain's model imported and listed in __all__, for autogenerate."""
    tree = ast.parse(text)
    node, exported = _assigned_list(
        tree, "__all__", missing="models.py has no __all__ list to add the model to"
    )
    members = sorted({*(ast.literal_eval(item) for item in exported.elts), names.model})
    lines = text.splitlines(keepends=True)
    assignment = f"__all__ = {members!r}\n".replace("'", '"')
    end = node.end_lineno or node.lineno
    text = "".join([*lines[: node.lineno - 1], assignment, *lines[end:]])
    statement = f"from {PACKAGE}.{names.domain}.models import {names.model}\n"
    return _insert_after(text, _last_import_line(tree), statement)


def _policies_list(tree: ast.Module) -> tuple[ast.stmt, ast.List]:
    for node in tree.body:
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.value, ast.List)
            and ast.unparse(node.target) == "POLICIES"
        ):
            return node, node.value
    raise ScaffoldError("policies.py has no `POLICIES: list[PGPolicy]` to add the policies to")


def register_policies(text: str, names: DomainNames) -> str:
    """policies.py with the domain's policies imported and added to POLICIES, so autogenerate
    writes them (and the row-level security of their table) into the domain's migration."""
    tree = ast.parse(text)
    node, listed = _policies_list(tree)
    alias = f"{names.domain.upper()}_POLICIES"
    members = [*(ast.unparse(element) for element in listed.elts), f"*{alias}"]
    lines = text.splitlines(keepends=True)
    body = "".join(f"    {member},\n" for member in members)
    assignment = f"POLICIES: list[PGPolicy] = [\n{body}]\n"
    end = node.end_lineno or node.lineno
    text = "".join([*lines[: node.lineno - 1], assignment, *lines[end:]])
    statement = f"from {PACKAGE}.{names.domain}.policies import POLICIES as {alias}\n"
    return _insert_after(text, _last_import_line(tree), statement)


class Changes:
    """The files written so far, so that a failure can put the project back as it was."""

    def __init__(self) -> None:
        self.created: list[Path] = []
        self.created_dirs: list[Path] = []
        self.originals: dict[Path, bytes] = {}

    def create(self, path: Path, text: str) -> None:
        for directory in reversed(path.parents):
            if not directory.exists():
                directory.mkdir()
                self.created_dirs.append(directory)
        path.write_text(text, encoding="utf-8")
        self.created.append(path)

    def keep_original(self, path: Path) -> None:
        self.originals.setdefault(path, path.read_bytes())

    def edit(self, path: Path, text: str) -> None:
        self.keep_original(path)
        path.write_text(text, encoding="utf-8")

    def undo(self) -> None:
        for path in self.created:
            path.unlink(missing_ok=True)
        for path, original in self.originals.items():
            path.write_bytes(original)
        for directory in reversed(self.created_dirs):
            for cache in directory.glob("__pycache__"):
                for compiled in cache.iterdir():
                    compiled.unlink()
                cache.rmdir()
            directory.rmdir()
