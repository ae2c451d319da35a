"""Architecture rules the type checker cannot see, checked on the source (run by `make lint`).
Import rules between packages (layers, no web framework below the routers) are import-linter
contracts in pyproject.toml instead: they follow indirect imports too.

    uv run python scripts/check_architecture.py [paths...]

Each violation prints `path:line: RULE message`; the exit status is 1 if there is any.
"""

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "src" / "{{ cookiecutter.package_name }}"
# The one place a transaction is committed: the unit of work.
COMMIT_ALLOWED = PACKAGE / "core" / "db.py"


@dataclass(frozen=True)
class Violation:
    path: Path
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule} {self.message}"


def imported_modules(node: ast.Import | ast.ImportFrom) -> list[str]:
    """Every module the statement may import: `from a import b` may import `a.b` too."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not node.module:
        return []
    return [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]


def check_file(path: Path) -> Iterator[Violation]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_router = path.name == "router.py"
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "commit"
            and path.resolve() != COMMIT_ALLOWED.resolve()
        ):
            yield Violation(
                path, node.lineno, "ARCH001", "commits outside core/db.py (one unit of work)"
            )
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        for module in imported_modules(node):
            if is_router and (module.startswith("sqlalchemy") or module.endswith(".repository")):
                yield Violation(
                    path,
                    node.lineno,
                    "ARCH002",
                    f"router imports {module}: queries belong in repositories, behind a service",
                )


def main(paths: list[str]) -> int:
    files = [Path(path) for path in paths] or sorted(PACKAGE.rglob("*.py"))
    violations = [violation for file in files for violation in check_file(file)]
    for violation in violations:
        print(violation)  # noqa: T201
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
