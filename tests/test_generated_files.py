"""Generated files pass the linters their ecosystems use, for every variant that changes them:
ruff on the Python (including the longest allowed names), hadolint on the Dockerfile,
the JSON schemas and zizmor on workflows and compose."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.baking import OPTIONS, TEMPLATE, bake

LONGEST_PACKAGE = "a_package_name_of_32_characters_"[:31] + "x"
LONGEST_SLUG = "a-project-slug-of-forty-characters-long"[:39] + "x"
# The newest Kubernetes release kubernetes-validate has schemas for.
KUBERNETES_VERSION = "1.37"


def tool(name: str) -> str:
    found = shutil.which(name)
    assert found is not None, f"{name} is a dev dependency of the template; run `uv sync`"
    return found


def run(*command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


@pytest.mark.parametrize(
    "answers",
    [{"python_version": version} for version in OPTIONS["python_version"]]
    + [
        {"project_slug": LONGEST_SLUG, "package_name": LONGEST_PACKAGE},
        {"project_slug": LONGEST_SLUG, "package_name": LONGEST_PACKAGE, "observability": "full"},
        {"project_name": "Zebra Zoo", "package_name": "zz"},
    ],
    ids=lambda answers: "-".join(answers.values()),
)
def test_generated_python_is_ruff_clean(tmp_path: Path, answers: dict[str, str]) -> None:
    assert len(LONGEST_PACKAGE) == 32 and len(LONGEST_SLUG) == 40
    project = bake(tmp_path, **answers)
    # The project's own ruff configuration applies (ruff reads its pyproject.toml).
    lint = run(tool("ruff"), "check", "--no-cache", ".", cwd=project)
    assert lint.returncode == 0, lint.stdout
    formatting = run(tool("ruff"), "format", "--no-cache", "--check", "--diff", ".", cwd=project)
    assert formatting.returncode == 0, formatting.stdout


def test_the_dockerfile_passes_hadolint(tmp_path: Path) -> None:
    project = bake(tmp_path, use_docker="yes")
    result = run(tool("hadolint"), "--failure-threshold", "style", "Dockerfile", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_compose_file_matches_the_compose_spec(tmp_path: Path) -> None:
    project = bake(tmp_path, use_docker="yes")
    result = run(
        tool("check-jsonschema"),
        "--builtin-schema",
        "vendor.compose-spec",
        "compose.yaml",
        cwd=project,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Only `migrate` connects as the role that owns the schema; the database creates the
    # application role the others connect as.
    services = yaml.safe_load((project / "compose.yaml").read_text())["services"]
    environments = {name: service.get("environment", {}) for name, service in services.items()}
    assert [name for name, env in environments.items() if "MIGRATION_DATABASE_URL" in env] == [
        "migrate"
    ]
    for name in ("migrate", "app", "worker"):
        assert environments[name]["DATABASE_URL"].startswith("postgresql://app_user:")
    init = services["db"]["configs"][0]["target"]
    assert init.startswith("/docker-entrypoint-initdb.d/")


@pytest.mark.parametrize(
    "answers",
    [{}, {"project_slug": LONGEST_SLUG, "package_name": LONGEST_PACKAGE}],
    ids=["default", "longest-names"],
)
def test_the_kubernetes_manifests_pass_strict_schema_validation(
    tmp_path: Path, answers: dict[str, str]
) -> None:
    project = bake(tmp_path, deploy="kubernetes", **answers)
    manifests = sorted((project / "deploy" / "kubernetes").glob("*.yaml"))
    # kustomization.yaml is kustomize's own file, not a Kubernetes object.
    objects = [path.name for path in manifests if path.name != "kustomization.yaml"]
    assert len(objects) == 9, objects
    result = run(
        tool("kubernetes-validate"),
        "--strict",
        "--kubernetes-version",
        KUBERNETES_VERSION,
        *objects,
        cwd=project / "deploy" / "kubernetes",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    directory = project / "deploy" / "kubernetes"
    resources = {name: list(yaml.safe_load_all((directory / name).read_text())) for name in objects}
    count = sum(len(documents) for documents in resources.values())
    assert result.stdout.count(" passed for resource ") == count, result.stdout
    # Only the migration Job holds the credentials of the role that owns the schema.
    secrets = {document["metadata"]["name"] for document in resources["secret.example.yaml"]}
    migrations_secret = f"{project.name}-migrations"
    assert migrations_secret in secrets
    readers = [name for name in objects if migrations_secret in (directory / name).read_text()]
    assert readers == ["migrate-job.yaml", "secret.example.yaml"]

    # kubectl apply -k: every listed resource exists, and the Job runs the Deployment's image.
    kustomization = yaml.safe_load((project / "deploy/kubernetes/kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(
        name for name in objects if name not in {"migrate-job.yaml", "secret.example.yaml"}
    )
    image = kustomization["images"][0]
    job = yaml.safe_load((project / "deploy/kubernetes/migrate-job.yaml").read_text())
    job_image = job["spec"]["template"]["spec"]["containers"][0]["image"]
    assert job_image == f"{image['newName']}:{image['newTag']}"


def assert_workflow_is_valid(root: Path) -> None:
    workflow = ".github/workflows/ci.yml"
    schema = run(
        tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", workflow, cwd=root
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr
    audit = run(tool("zizmor"), "--offline", workflow, cwd=root)
    assert audit.returncode == 0, audit.stdout + audit.stderr


@pytest.mark.parametrize("version", OPTIONS["python_version"])
def test_the_generated_workflow_is_valid_and_zizmor_clean(tmp_path: Path, version: str) -> None:
    assert_workflow_is_valid(bake(tmp_path, ci="github", python_version=version))


def test_the_templates_own_workflow_is_valid_and_zizmor_clean() -> None:
    assert_workflow_is_valid(TEMPLATE)
