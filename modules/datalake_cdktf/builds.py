"""A pipeline's builds as data: one record per build, rendered into its buildspec by one function.

Every build starts in a fresh checkout of the repository it builds, in the CodeBuild
image ``pipelines.build_image``, and runs the repository's own project commands (the
contract every repository of a deployment keeps)::

    make setup          what synth, plan, apply and drift need (no test tools)
    make setup-dev      that and the test tools
    make test | plan ENV=<env> [PUBLISH=s3://...] | apply ENV=<env> PLANS=<dir> | drift ENV=<env> | pr-plan ENV=<env>
    make pipeline-update ENV=<env> REPOSITORY=<repo> PIPELINE=<name>   (the infrastructure repository)

What a repository cannot bring itself comes from the build's definition, never from a
path that exists only in the infrastructure repository:

- **Terraform**: the release ``pipelines.terraform`` names, downloaded from HashiCorp (or
  the mirror it names) and checked against the pinned SHA-256 before it is unpacked; a
  Terraform of that version already on the image's ``PATH`` is used as the image's
  other tools are (CodeBuild's images carry none).
- **The deployment** (an ETL repository's builds): the infrastructure repository's branch
  of the same environment, the second source ``definitions``; ``DATALAKE_DEPLOYMENT``
  names its ``envs/``. No copy of it is committed anywhere else.
- **The library** (an ETL repository): from the package index ``pipelines.package_index``
  (``DATALAKE_INDEX_URL``), as the repository's Pipfile names it.

Everything a build downloads or installs lives under ``$HOME/.cache`` (pip, pipenv,
npm, the Terraform zip and providers, the virtual environment at a stable path), which
CodeBuild keeps between builds of the same project (``cache.paths``): a warm build
installs nothing it already has.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from datalake_cdktf.config.model import TerraformRelease

__all__ = ["BUILDS", "CACHE", "Build", "BuildContext", "Identity", "Start", "builds", "buildspec", "terraform_install"]

BUILDS = ("update", "test", "plan", "apply", "drift", "pr")
"""The build projects of a pipeline: ``<project>-<env>-<repo>-<build>``."""

CACHE = "$HOME/.cache"
"""Where a build keeps what it downloads; CodeBuild restores it (``/root`` is the image's home)."""
CACHE_PATHS = ("/root/.cache/**/*",)
RUNTIMES = {"python": "3.11", "nodejs": "22"}
"""The image's runtimes every build selects; the test builds add Java for Spark."""
TEST_RUNTIMES = {**RUNTIMES, "java": "corretto17"}
PLAN_VARIABLES = ("ADD", "CHANGE", "REPLACE", "DESTROY", "DATA_AT_RISK", "SUMMARY_URL")
"""Variables the plan build exports (namespace ``Plan``) for the approval request."""

# Where each tool keeps its downloads and installs: one cached folder. (No "${" in a
# buildspec: Terraform would interpolate it.)
_CACHE_EXPORTS = (
    f"export PIP_CACHE_DIR={CACHE}/pip PIPENV_CACHE_DIR={CACHE}/pipenv npm_config_cache={CACHE}/npm"
    f" TF_PLUGIN_CACHE_DIR={CACHE}/terraform-plugins WORKON_HOME={CACHE}/venvs TOOLS={CACHE}/tools"
    f' && mkdir -p "$TF_PLUGIN_CACHE_DIR"'
)


@dataclass(frozen=True)
class BuildContext:
    """What the builds of one pipeline need to know.

    - ``environment``, ``repository``, ``pipeline_name``: whose builds these are.
    - ``artifact_bucket``: where the plan build publishes the summary.
    - ``etl``: an ETL repository's pipeline (the deployment comes from ``definitions``).
    - ``terraform``: the Terraform release to install; ``package_index``: the index that
      serves the library to ETL builds (``None``: the repository names its own).
    - ``pull_request_token``: Secrets Manager name of the comment token (``None``: no comments).
    """

    environment: str
    repository: str
    pipeline_name: str
    artifact_bucket: str
    etl: bool
    terraform: TerraformRelease
    package_index: str | None
    pull_request_token: str | None


Start = Literal["pipeline", "schedule", "pull request"]
"""What starts a build: an action of the pipeline's run (its sources are the run's
artifacts), the drift schedule (it clones the branch) or a pull request (it clones the
pull request's commit and reports its status there)."""
Identity = Literal["pipeline", "pull request"]
"""The role a build runs as: the pipeline's build role, or the pull-request role (read-only)."""


@dataclass(frozen=True)
class Build:
    """One build: what it installs (``setup``: ``setup`` or ``setup-dev``), the commands it
    runs, in which checkout (``in_definitions``: the infrastructure repository's), what it
    hands on (``exported_variables``, ``artifacts``) or reads (``secrets``), what starts it
    (``started_by``) and as whom it runs (``identity``)."""

    name: str
    description: str
    setup: str
    commands: tuple[str, ...]
    in_definitions: bool = False
    exported_variables: tuple[str, ...] = ()
    artifacts: tuple[str, ...] = ()
    secrets: tuple[tuple[str, str], ...] = ()
    started_by: Start = "pipeline"
    identity: Identity = "pipeline"

    @property
    def runtimes(self) -> dict[str, str]:
        return TEST_RUNTIMES if self.setup == "setup-dev" else RUNTIMES


def builds(context: BuildContext) -> dict[str, Build]:
    """The six builds of one pipeline, by name (:data:`BUILDS`)."""
    env, repository = context.environment, context.repository
    summary = f"s3://{context.artifact_bucket}/summaries/$CODEBUILD_BUILD_NUMBER.md"
    secrets = (("PULL_REQUEST_TOKEN", context.pull_request_token),) if context.pull_request_token else ()
    table = (
        Build(
            "update",
            f"apply pipeline-{repository}-{env} when it changed (the pipeline updates itself)",
            "setup",
            (f"make pipeline-update ENV={env} REPOSITORY={repository} PIPELINE={context.pipeline_name}",),
            # The pipeline stacks are defined in the infrastructure repository: an ETL
            # pipeline updates itself from its second source.
            in_definitions=context.etl,
        ),
        Build("test", f"test {repository}", "setup-dev", ("make test",)),
        Build(
            "plan",
            f"saved plans of {repository} in {env} and their summary",
            "setup",
            (
                f"make plan ENV={env} PUBLISH={summary}",
                # the counts become the Plan namespace's variables (the approval request shows them)
                "export $(cat plans/counts.env | xargs)",
            ),
            exported_variables=PLAN_VARIABLES,
            artifacts=("plans/**/*",),
        ),
        Build(
            "apply",
            f"apply exactly the saved plans of {repository} in {env}",
            "setup",
            (f"make apply ENV={env} PLANS=$CODEBUILD_SRC_DIR_plan/plans",),
        ),
        Build(
            "drift",
            f"compare {env} with what {repository} declares",
            "setup",
            (f"make drift ENV={env}",),
            started_by="schedule",
        ),
        Build(
            "pr",
            f"test a pull request of {repository} and plan it against {env}, read-only",
            "setup-dev",
            ("make test", f"make pr-plan ENV={env}"),  # the same tests as a push, then the read-only plan
            secrets=secrets,
            started_by="pull request",
            identity="pull request",
        ),
    )
    return {build.name: build for build in table}


def buildspec(build: Build, context: BuildContext) -> str:
    """The buildspec of ``build``: the cache, Terraform, ``make <setup>``, then its commands."""
    checkout = ["cd $CODEBUILD_SRC_DIR_definitions"] if build.in_definitions else []
    deployment = ["export DATALAKE_DEPLOYMENT=$CODEBUILD_SRC_DIR_definitions/envs"] if context.etl else []
    variables = {"CI": "true", "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "PIPENV_VENV_IN_PROJECT": "0"}
    # The AWS provider's start-ups allocate heavily: Go's collector at 400% saves ~18% of
    # Terraform's CPU for ~190 MB more memory (python benchmarks/terraform_gc.py).
    variables["GOGC"] = "400"
    variables["PIPENV_CUSTOM_VENV_NAME"] = build.name  # a stable path in the cache: a warm build re-installs nothing
    if context.etl and context.package_index:
        variables["DATALAKE_INDEX_URL"] = context.package_index
    env: dict = {"shell": "bash", "variables": variables}
    if build.exported_variables:
        env["exported-variables"] = list(build.exported_variables)
    if build.secrets:
        env["secrets-manager"] = dict(build.secrets)
    spec: dict = {
        "version": 0.2,
        "env": env,
        "phases": {
            "install": {
                "runtime-versions": dict(build.runtimes),
                "commands": [
                    _CACHE_EXPORTS,
                    *deployment,
                    terraform_install(context.terraform),
                    *checkout,
                    f"make {build.setup}",
                ],
            },
            "build": {"commands": [*checkout, *build.commands]},
        },
        "cache": {"paths": list(CACHE_PATHS)},
    }
    if build.artifacts:
        spec["artifacts"] = {"files": list(build.artifacts)}
    return json.dumps(spec, indent=2) + "\n"  # JSON is YAML; the buildspec is plain text in the plan


MACHINES = {"linux_amd64": "x86_64", "linux_arm64": "aarch64|arm64"}
"""What ``uname -m`` prints on each platform HashiCorp builds Terraform for."""


def terraform_install(release: TerraformRelease) -> str:
    """One shell command: the pinned Terraform on ``PATH``, its zip checked before it is unpacked.

    A Terraform of that version already on the image's ``PATH`` is kept. Otherwise the zip
    for the build's platform is taken from the cache or downloaded, its SHA-256 compared
    with the pinned one (a mismatch deletes it and fails the build), and the binary
    unpacked into ``$HOME/.local/bin``."""
    version = release.version
    platforms = " ".join(
        f"{MACHINES[platform]}) platform={platform} sum={digest} ;;"
        for platform, digest in sorted(release.sha256.items())
    )
    zip_name = f"terraform_{version}_$platform.zip"
    return "\n".join(
        (
            f'if ! terraform version 2>/dev/null | head -n 1 | grep -qx "Terraform v{version}"; then',
            f'  case "$(uname -m)" in {platforms} *) echo "no pinned checksum of Terraform {version} for'
            ' $(uname -m): add it to pipelines.terraform.sha256" >&2; exit 1 ;; esac',
            f'  zip="{CACHE}/terraform/{zip_name}"; mkdir -p "$(dirname "$zip")"',
            f'  [ -f "$zip" ] || curl -fsSL --retry 3 -o "$zip" "{release.download_url}/{version}/{zip_name}"'
            ' || { rm -f "$zip"; exit 1; }',
            '  echo "$sum  $zip" | sha256sum -c --quiet - || { rm -f "$zip"; echo "refused: $zip does not have'
            ' the pinned SHA-256" >&2; exit 1; }',
            '  mkdir -p "$HOME/.local/bin" && unzip -o -q "$zip" terraform -d "$HOME/.local/bin"'
            ' && export PATH="$HOME/.local/bin:$PATH"',
            "fi",
            "terraform version | head -n 1",
        )
    )
