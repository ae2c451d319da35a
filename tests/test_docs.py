"""The documentation site holds together: mkdocs.yml's nav and the files under docs/ agree, and
no relative link in the docs (or in the README) points at a file that does not exist."""

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import yaml

from scripts.option_reference import render_table

ROOT = Path(__file__).resolve().parents[1]
MKDOCS_FILE = ROOT / "mkdocs.yml"
DOCS = ROOT / "docs"
README = ROOT / "README.md"

# [text](target), ![alt](target) and [text](<target> "title").
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
# [label]: target
REFERENCE_LINK = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?", re.MULTILINE)
# Code shows links as text; they are not links.
FENCED_CODE = re.compile(r"^ {0,3}(`{3,}|~{3,}).*?^ {0,3}\1", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`+[^`\n]*`+")
# http:, https:, mailto: and any other scheme: not checked here.
HAS_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def load_config() -> dict[str, Any]:
    # safe_load: the config must stay plain YAML (no !!python/name tags) to be checked here.
    config = yaml.safe_load(MKDOCS_FILE.read_text(encoding="utf-8"))
    assert isinstance(config, dict), "mkdocs.yml is not a mapping"
    return config


def nav_entries(nav: object) -> Iterator[str]:
    """Every page path in a nav, at any depth; external links are left out."""
    if isinstance(nav, str):
        if not HAS_SCHEME.match(nav):
            yield nav
    elif isinstance(nav, list):
        for item in nav:
            yield from nav_entries(item)
    elif isinstance(nav, dict):
        for value in nav.values():
            yield from nav_entries(value)


def nav_pages() -> list[str]:
    return list(nav_entries(load_config().get("nav", [])))


def relative_links(markdown: str) -> list[str]:
    """The link targets in `markdown` that point at a file, without any #anchor or ?query."""
    prose = INLINE_CODE.sub("", FENCED_CODE.sub("", markdown))
    targets = INLINE_LINK.findall(prose) + REFERENCE_LINK.findall(prose)
    links = []
    for target in targets:
        if not target or HAS_SCHEME.match(target):
            continue
        path = unquote(re.split(r"[#?]", target, maxsplit=1)[0])
        if path:  # an empty path is an anchor in the same page
            links.append(path)
    return links


def markdown_files() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def test_mkdocs_config_names_the_site_and_its_docs_dir() -> None:
    config = load_config()
    assert config.get("site_name") == "Keel"
    assert config.get("docs_dir", "docs") == DOCS.name
    assert config.get("strict") is True
    assert nav_pages(), "mkdocs.yml has no nav"


def test_every_page_in_the_nav_exists() -> None:
    missing = [page for page in nav_pages() if not (DOCS / page).is_file()]
    assert not missing, f"in mkdocs.yml's nav but not under docs/: {missing}"


def test_every_page_is_in_the_nav_once() -> None:
    pages = nav_pages()
    repeated = sorted({page for page in pages if pages.count(page) > 1})
    assert not repeated, f"listed more than once in mkdocs.yml's nav: {repeated}"


def test_every_markdown_file_under_docs_is_in_the_nav() -> None:
    listed = set(nav_pages())
    files = {path.relative_to(DOCS).as_posix() for path in markdown_files()}
    assert files, "docs/ holds no markdown files"
    missing = sorted(files - listed)
    assert not missing, f"under docs/ but missing from mkdocs.yml's nav: {missing}"


@pytest.mark.parametrize(
    "page", markdown_files(), ids=lambda path: path.relative_to(DOCS).as_posix()
)
def test_links_in_a_docs_page_point_to_files_inside_docs(page: Path) -> None:
    broken = []
    for link in relative_links(page.read_text(encoding="utf-8")):
        if link.startswith("/"):
            broken.append(f"{link} (absolute; use a path relative to the page)")
            continue
        target = (page.parent / link).resolve()
        if not target.is_relative_to(DOCS):
            # MkDocs only builds what is under docs/; name other repository files as code.
            broken.append(f"{link} (outside docs/)")
        elif not target.is_file():
            broken.append(f"{link} (no such file)")
    assert not broken, f"{page.relative_to(ROOT)}: {broken}"


def test_links_in_the_readme_point_to_existing_files() -> None:
    if not README.exists():
        pytest.skip("the template has no README.md yet")
    broken = [
        link
        for link in relative_links(README.read_text(encoding="utf-8"))
        if not (ROOT / link.lstrip("/")).resolve().exists()
    ]
    assert not broken, f"README.md links to files that do not exist: {broken}"


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("[a](options.md) and ![b](img/x.png)", ["options.md", "img/x.png"]),
        ("[a](architecture.md#errors) [b](#local) [c](?q=1)", ["architecture.md"]),
        ("[a](https://example.com/x.md) <https://example.com> [m](mailto:a@b.c)", []),
        ('[a](<decisions/README.md> "Decisions")', ["decisions/README.md"]),
        ("[label]: getting-started.md\n", ["getting-started.md"]),
        ("`[not](a-link.md)`\n```\n[not](a-link.md)\n```\n", []),
        ("[a](my%20page.md)", ["my page.md"]),
    ],
)
def test_relative_links_are_found_and_others_ignored(markdown: str, expected: list[str]) -> None:
    assert relative_links(markdown) == expected


def test_the_site_builds_in_strict_mode(tmp_path: Path) -> None:
    # MkDocs' own strict build also checks anchors, which the tests above do not.
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_every_option_is_documented_with_its_values() -> None:
    """The option reference cannot fall behind cookiecutter.json: each prompt has a row in the
    summary table naming every allowed value, and a section of its own."""
    context: dict[str, Any] = json.loads((ROOT / "cookiecutter.json").read_text(encoding="utf-8"))
    reference = (DOCS / "options.md").read_text(encoding="utf-8")
    summary = reference.split("## Summary", 1)[1].split("\n## ", 1)[0]
    rows = {
        line.split("|")[1].strip().strip("`"): line
        for line in summary.splitlines()
        if line.startswith("| `")
    }
    for option, default in context.items():
        if option.startswith("_"):
            continue
        assert option in rows, f"{option} has no row in docs/options.md"
        assert f"`{option}`" in reference.split("## The options", 1)[1], f"{option}: no section"
        for value in default if isinstance(default, list) else []:
            assert f"`{value}`" in rows[option], f"{option}: value {value} undocumented"


MERMAID_BLOCK = re.compile(r"^```mermaid\n(.*?)^```$", re.MULTILINE | re.DOTALL)
MERMAID_KINDS = ("flowchart ", "sequenceDiagram", "stateDiagram-v2", "erDiagram")


def test_diagrams_are_mermaid_blocks_the_site_draws() -> None:
    """The architecture page has its diagrams; each names a diagram type Mermaid knows, and
    the script that draws them on the site exists and is loaded as a module."""
    blocks = [
        block
        for page in DOCS.rglob("*.md")
        for block in MERMAID_BLOCK.findall(page.read_text(encoding="utf-8"))
    ]
    architecture = (DOCS / "architecture.md").read_text(encoding="utf-8")
    assert len(MERMAID_BLOCK.findall(architecture)) >= 3
    for block in blocks:
        assert block.startswith(MERMAID_KINDS), block.splitlines()[0]
    scripts = load_config().get("extra_javascript", [])
    assert {"path": "js/mermaid-init.js", "type": "module"} in scripts
    assert (DOCS / "js" / "mermaid-init.js").exists()


def test_the_option_table_is_written_from_cookiecutter_json() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "option_reference.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_a_new_text_option_cannot_be_left_undescribed() -> None:
    context = {"team_name": "Platform", "__prompts__": {}}
    with pytest.raises(SystemExit, match="team_name: describe its values in TEXT_VALUES"):
        render_table(context)
