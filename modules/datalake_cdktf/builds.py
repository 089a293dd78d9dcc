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
from enum import Enum

from datalake_cdktf.config.model import TerraformRelease
from datalake_cdktf.iam.pipeline import Role

__all__ = [
    "BUILDS",
    "CACHE",
    "Build",
    "BuildContext",
    "Trigger",
    "buildspec",
    "run_as",
    "started_by",
    "terraform_install",
]

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

    @property
    def secrets(self) -> dict[str, str]:
        """The Secrets Manager names builds may read, by the variable a build reads them as."""
        return {"PULL_REQUEST_TOKEN": self.pull_request_token} if self.pull_request_token else {}

    def render(self, template: str) -> str:
        """``template`` (a build's description or command) with its ``{environment}``,
        ``{repository}``, ``{pipeline_name}`` and ``{artifact_bucket}`` filled in."""
        return template.format(
            environment=self.environment,
            repository=self.repository,
            pipeline_name=self.pipeline_name,
            artifact_bucket=self.artifact_bucket,
        )


class Trigger(Enum):
    """What starts a build: an action of the pipeline's run (its sources are the run's
    artifacts), the drift schedule (it clones the branch) or a pull request (it clones the
    pull request's commit and reports its status there)."""

    PIPELINE = "pipeline"
    SCHEDULE = "schedule"
    PULL_REQUEST = "pull request"


@dataclass(frozen=True)
class Build:
    """One build of every pipeline: its project is ``<project>-<env>-<repo>-<name>``.

    - ``description``, ``commands``: templates that :meth:`BuildContext.render` fills in;
      ``setup``: what it installs first (``setup``, or ``setup-dev`` with the test tools).
    - ``trigger``: what starts it (:class:`Trigger`); ``stage``: its stage and action in the
      pipeline's run (``Trigger.PIPELINE`` only, and required), in the table's order;
      ``after_approval``: a person approves the run before it, where the environment
      requires approval.
    - ``updates_pipeline``: it applies the pipeline's own stack, so an ETL pipeline runs it
      in the infrastructure repository's checkout (``definitions``), which defines it.
    - ``inputs``: the builds whose artifacts it reads (besides the sources);
      ``artifacts``: the files it hands on (the artifact is named after the build);
      ``exported_variables``: what it hands on in the namespace named after its stage.
    - ``secrets``: the variables it reads from Secrets Manager (:attr:`BuildContext.secrets`;
      one the deployment does not configure is left out).
    - ``role``: the role it runs as (:class:`~datalake_cdktf.iam.pipeline.Role`).
    """

    name: str
    description: str
    setup: str
    commands: tuple[str, ...]
    trigger: Trigger = Trigger.PIPELINE
    stage: str | None = None
    after_approval: bool = False
    updates_pipeline: bool = False
    inputs: tuple[str, ...] = ()
    artifacts: tuple[str, ...] = ()
    exported_variables: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    role: Role = Role.BUILD

    def __post_init__(self):
        if (self.trigger is Trigger.PIPELINE) != (self.stage is not None):
            raise ValueError(
                f"build {self.name}: a build the pipeline's run starts names its stage, and no other build does"
            )

    @property
    def runtimes(self) -> dict[str, str]:
        """The image's runtimes it selects (:data:`TEST_RUNTIMES` with the test tools)."""
        return TEST_RUNTIMES if self.setup == "setup-dev" else RUNTIMES

    def in_definitions(self, context: BuildContext) -> bool:
        """Whether it runs in the infrastructure repository's checkout (``definitions``)."""
        return self.updates_pipeline and context.etl


BUILDS = (
    Build(
        "update",
        "apply pipeline-{repository}-{environment} when it changed (the pipeline updates itself)",
        "setup",
        ("make pipeline-update ENV={environment} REPOSITORY={repository} PIPELINE={pipeline_name}",),
        stage="UpdatePipeline",
        updates_pipeline=True,
    ),
    Build("test", "test {repository}", "setup-dev", ("make test",), stage="Test"),
    Build(
        "plan",
        "saved plans of {repository} in {environment} and their summary",
        "setup",
        (
            "make plan ENV={environment} PUBLISH=s3://{artifact_bucket}/summaries/$CODEBUILD_BUILD_NUMBER.md",
            # the counts become the Plan namespace's variables (the approval request shows them)
            "export $(cat plans/counts.env | xargs)",
        ),
        stage="Plan",
        artifacts=("plans/**/*",),
        exported_variables=PLAN_VARIABLES,
    ),
    Build(
        "apply",
        "apply exactly the saved plans of {repository} in {environment}",
        "setup",
        ("make apply ENV={environment} PLANS=$CODEBUILD_SRC_DIR_plan/plans",),
        stage="Apply",
        after_approval=True,
        inputs=("plan",),
    ),
    Build(
        "drift",
        "compare {environment} with what {repository} declares",
        "setup",
        ("make drift ENV={environment}",),
        trigger=Trigger.SCHEDULE,
    ),
    Build(
        "pr",
        "test a pull request of {repository} and plan it against {environment}, read-only",
        "setup-dev",
        ("make test", "make pr-plan ENV={environment}"),  # the same tests as a push, then the read-only plan
        trigger=Trigger.PULL_REQUEST,
        secrets=("PULL_REQUEST_TOKEN",),
        role=Role.PULL_REQUEST,
    ),
)
"""Every pipeline's builds, in the order of its run; each is a project
``<project>-<env>-<repo>-<name>``. A new kind of build is a new record here."""


def run_as(role: Role) -> tuple[Build, ...]:
    """The builds that run as ``role``."""
    return tuple(b for b in BUILDS if b.role is role)


def started_by(trigger: Trigger) -> tuple[Build, ...]:
    """The builds that ``trigger`` starts, in the table's order."""
    return tuple(b for b in BUILDS if b.trigger is trigger)


def buildspec(build: Build, context: BuildContext) -> str:
    """The buildspec of ``build``: the cache, Terraform, ``make <setup>``, then its commands."""
    checkout = ["cd $CODEBUILD_SRC_DIR_definitions"] if build.in_definitions(context) else []
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
    secrets = {variable: context.secrets[variable] for variable in build.secrets if variable in context.secrets}
    if secrets:
        env["secrets-manager"] = secrets
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
            "build": {"commands": [*checkout, *(context.render(command) for command in build.commands)]},
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
