"""A pipeline's builds as data: one record per build, rendered into its buildspec by one function.

Two kinds of build, and the line between them is the security of the pipeline:

- **The repository's code** (test, plan, the pull request's build): a fresh checkout of the
  repository in the CodeBuild image ``pipelines.build_image``, running its own project
  commands (the contract every repository of a deployment keeps)::

      make setup          what synth and plan need (no test tools)
      make setup-dev      that and the test tools
      make test | plan ENV=<env> PLANS=<dir>
      make pipeline-plan ENV=<env> REPOSITORY=<repo> PLANS=<dir>   (the infrastructure repository)

  These run as roles that may assume the environment's read-only plan role and nothing
  else, with no secret: whatever the code does, it can change nothing. They hand on the
  plan artifact (each stack's folder and saved plan, ``datalake_cdktf.gate``).
- **The gate** (seal, apply, drift, the pull request's comment): the administrator's
  builds, defined in ``bootstrap-<env>``, which run no repository code. Each carries the
  gate (:mod:`datalake_cdktf.gate`, one standard-library file) inside its own buildspec,
  checked against its SHA-256, and runs it on what the code handed on: seal checks and
  summarizes the plans and computes their digest, apply applies exactly the sealed plans
  of the approved digest, drift reads the live resources back, comment posts the summary.

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
- **Which role the stacks act as**: a stack deployed by a pipeline names the AWS profile
  ``<project>-<env>-<repo>``; each build maps that profile to the one role it may use
  (plan, deploy or drift), so the same saved plan is planned read-only and applied by
  the apply build alone.

Everything a build downloads or installs lives under ``$HOME/.cache`` (pip, pipenv,
npm, the Terraform zip and providers, the virtual environment and node_modules at stable
paths, each marked installed by its lock file's content), which CodeBuild keeps between
builds of the same project (``cache.paths``): a warm build of an unchanged lock installs
nothing. Each project keeps its own.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from datalake_cdktf.config.model import TerraformRelease
from datalake_cdktf.iam.pipeline import APPLIED_PLANS, PLAN_ARTIFACT, PULL_REQUEST_BUILD, SEALED_ARTIFACT, Role

__all__ = [
    "BUILDS",
    "CACHE",
    "GATE",
    "Build",
    "BuildContext",
    "Trigger",
    "buildspec",
    "gate_source",
    "run_as",
    "started_by",
    "terraform_install",
]

CACHE = "$HOME/.cache"
"""Where a build keeps what it downloads; CodeBuild restores it (``/root`` is the image's home)."""
CACHE_PATHS = ("/root/.cache/**/*",)
RUNTIMES = {"python": "3.11", "nodejs": "22"}
"""The image's runtimes the repository's builds select; the test builds add Java for Spark."""
TEST_RUNTIMES = {**RUNTIMES, "java": "corretto17"}
GATE_RUNTIMES = {"python": "3.11"}
"""The gate needs Python alone (and the Terraform the build installs)."""
SEAL_VARIABLES = ("DIGEST", "ADD", "CHANGE", "REPLACE", "DESTROY", "DATA_AT_RISK", "SUMMARY_URL")
"""Variables the seal build exports (namespace ``Seal``) for the approval request and the apply."""
GATE = "$HOME/datalake-gate.py"
"""Where a gate build unpacks the gate it carries."""
PLANS = "plans"
"""The plan artifact's folder in a build's checkout (``datalake_cdktf.gate``)."""

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

    - ``environment``, ``repository``, ``pipeline_name``: whose builds these are;
      ``repository_id``: ``owner/name`` at the Git host (the comment's pull requests).
    - ``artifact_bucket``: where the pull requests' plans are (``pull-requests/``).
    - ``etl``: an ETL repository's pipeline (the deployment comes from ``definitions``).
    - ``terraform``: the Terraform release to install; ``package_index``: the index that
      serves the library to ETL builds (``None``: the repository names its own).
    - ``pull_request_token``: Secrets Manager name of this repository's comment token
      (``None``: no comments).
    - ``profile``: the AWS profile the repository's stacks name; ``roles``: the role in
      the environment each build's profile stands for, by kind (``plan``, ``deploy``,
      ``drift``); ``deployed_stacks``: the stacks in the environment it deploys (the drift
      check's: its pipeline stack is the central account's).
    """

    environment: str
    repository: str
    repository_id: str
    pipeline_name: str
    artifact_bucket: str
    etl: bool
    terraform: TerraformRelease
    package_index: str | None
    pull_request_token: str | None
    profile: str
    roles: Mapping[str, str]
    deployed_stacks: tuple[str, ...] = ()

    @property
    def secrets(self) -> dict[str, str]:
        """The Secrets Manager names builds may read, by the variable a build reads them as."""
        return {"PULL_REQUEST_TOKEN": self.pull_request_token} if self.pull_request_token else {}

    def render(self, template: str) -> str:
        """``template`` (a build's description or command) with its ``{environment}``,
        ``{repository}``, ``{repository_id}``, ``{pipeline_name}``, ``{artifact_bucket}`` and
        ``{stacks}`` (``--stack <name>`` for each of ``deployed_stacks``) filled in."""
        return template.format(
            environment=self.environment,
            repository=self.repository,
            repository_id=self.repository_id,
            pipeline_name=self.pipeline_name,
            artifact_bucket=self.artifact_bucket,
            stacks=" ".join(f"--stack {stack}" for stack in self.deployed_stacks),
        )


class Trigger(Enum):
    """What starts a build: an action of the pipeline's run (its sources are the run's
    artifacts), the drift schedule, a pull request (the build clones its commit and reports
    its status there), or the end of a pull request's build (the comment)."""

    PIPELINE = "pipeline"
    SCHEDULE = "schedule"
    PULL_REQUEST = "pull request"
    PULL_REQUEST_BUILT = "pull request built"


@dataclass(frozen=True)
class Build:
    """One build of every pipeline: its project is ``<project>-<env>-<repo>-<name>``.

    - ``description``, ``commands``: templates that :meth:`BuildContext.render` fills in.
    - ``setup``: what the repository installs first (``setup``, or ``setup-dev`` with the
      test tools), for a build of the repository's code; ``None`` for a gate build, which
      installs nothing of the repository's and runs the gate (``$GATE``).
    - ``definitions``: commands it then runs in the infrastructure repository's checkout,
      which defines the pipeline (``definitions``, set up first, for an ETL repository's
      pipeline; in place for the infrastructure repository's, in one ``make`` with the
      commands, which then synthesizes once).
    - ``trigger``: what starts it (:class:`Trigger`); ``stage``: its stage and action in the
      pipeline's run (``Trigger.PIPELINE`` only, and required), in the table's order;
      ``after_approval``: a person approves the run before it, where the environment
      requires approval.
    - ``inputs``: for a repository build, the builds whose artifacts it reads besides the
      sources; for a gate build, all it reads (never a source: it runs no repository code).
      ``artifacts``: the files it hands on (the artifact is named after the build);
      ``exported_variables``: what it hands on in the namespace named after its stage;
      ``variables``: the action's environment variables (CodePipeline resolves them).
    - ``secrets``: the variables it reads from Secrets Manager (:attr:`BuildContext.secrets`;
      one the deployment does not configure is left out, and so is a build that exists only
      to use it).
    - ``role``: the role it runs as (:class:`~datalake_cdktf.iam.pipeline.Role`);
      ``profile``: the role in the environment its stacks' profile stands for (``plan``,
      ``deploy``, ``drift``; ``None``: it reaches no stack's account).
    """

    name: str
    description: str
    commands: tuple[str, ...]
    setup: str | None = None
    definitions: tuple[str, ...] = ()
    trigger: Trigger = Trigger.PIPELINE
    stage: str | None = None
    after_approval: bool = False
    inputs: tuple[str, ...] = ()
    artifacts: tuple[str, ...] = ()
    exported_variables: tuple[str, ...] = ()
    variables: tuple[tuple[str, str], ...] = ()
    secrets: tuple[str, ...] = ()
    role: Role = Role.BUILD
    profile: str | None = None

    def __post_init__(self):
        if (self.trigger is Trigger.PIPELINE) != (self.stage is not None):
            raise ValueError(
                f"build {self.name}: a build the pipeline's run starts names its stage, and no other build does"
            )

    @property
    def runs_gate(self) -> bool:
        """It runs the gate, and no code of any repository."""
        return self.setup is None

    @property
    def administered(self) -> bool:
        """Defined by the administrator (``bootstrap-<env>``), which no pipeline can change:
        every gate build, and every build the pipeline's run does not start (a webhook, a
        schedule or a rule starts it, and only an administrator may change what starts a
        build). The rest (test, plan) are the pipeline stack's own."""
        return self.runs_gate or self.trigger is not Trigger.PIPELINE

    @property
    def runtimes(self) -> dict[str, str]:
        """The image's runtimes it selects (:data:`TEST_RUNTIMES` with the test tools)."""
        if self.runs_gate:
            return GATE_RUNTIMES
        return TEST_RUNTIMES if self.setup == "setup-dev" else RUNTIMES

    def wanted(self, context: BuildContext) -> bool:
        """Whether this pipeline has the build (one that exists to use a secret the
        deployment does not configure has none)."""
        return all(secret in context.secrets for secret in self.secrets)


_PLANS_OUT = f"PLANS=$CODEBUILD_SRC_DIR/{PLANS}"
_GATE_RUN = f'python3 "{GATE}"'
_APPLIED = f"s3://{{artifact_bucket}}/{APPLIED_PLANS}"
"""Where the apply build keeps the configuration it applied, which the drift build reads."""

BUILDS = (
    Build(
        "test",
        "test {repository}",
        ("make test",),
        setup="setup-dev",
        stage="Test",
    ),
    Build(
        PLAN_ARTIFACT,
        "plans of {repository} in {environment} and of its pipeline, read-only, against the recorded state",
        (f"make plan ENV={{environment}} {_PLANS_OUT}",),
        setup="setup",
        definitions=(f"make pipeline-plan ENV={{environment}} REPOSITORY={{repository}} {_PLANS_OUT}",),
        stage="Plan",
        artifacts=(f"{PLANS}/**/*",),
        profile="plan",
    ),
    Build(
        SEALED_ARTIFACT,
        "check, digest and summarize the plans of {repository} in {environment} (the administrator's gate)",
        (
            f"{_GATE_RUN} seal --plans {PLANS} --out review",
            # the digest and the counts become the Seal namespace's variables (the approval, the apply)
            "export $(cat review/exports.env | xargs)",
        ),
        stage="Seal",
        inputs=(PLAN_ARTIFACT,),
        artifacts=(f"{PLANS}/**/*", "review/**/*"),
        exported_variables=SEAL_VARIABLES,
        role=Role.REVIEW,
    ),
    Build(
        "apply",
        "apply exactly the sealed plans of {repository} in {environment} (the administrator's gate)",
        (f'{_GATE_RUN} apply --plans {PLANS} --digest "$APPROVED_DIGEST" --keep {_APPLIED}',),
        stage="Apply",
        after_approval=True,
        inputs=(SEALED_ARTIFACT,),
        variables=(("APPROVED_DIGEST", "#{Seal.DIGEST}"),),
        role=Role.APPLY,
        profile="deploy",
    ),
    Build(
        "drift",
        "compare {environment}'s live resources with the recorded state of {repository} (the administrator's gate)",
        (f"{_GATE_RUN} drift --applied {_APPLIED} {{stacks}}",),
        trigger=Trigger.SCHEDULE,
        role=Role.REVIEW,
        profile="drift",
    ),
    Build(
        PULL_REQUEST_BUILD,
        "test a pull request of {repository} and plan it against {environment}, read-only",
        ("make test", f"make plan ENV={{environment}} {_PLANS_OUT}"),  # the same tests as a push, then the plan
        setup="setup-dev",
        trigger=Trigger.PULL_REQUEST,
        artifacts=(f"{PLANS}/**/*",),
        role=Role.PULL_REQUEST,
        profile="plan",
    ),
    Build(
        "comment",
        "put the plan summary of a pull request of {repository} on it (the administrator's gate)",
        (
            f'{_GATE_RUN} comment --build "$PULL_REQUEST_BUILD" --project {{pipeline_name}}-pr'
            " --bucket {artifact_bucket} --repository {repository_id}",
        ),
        trigger=Trigger.PULL_REQUEST_BUILT,
        secrets=("PULL_REQUEST_TOKEN",),
        role=Role.COMMENT,
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


def gate_source() -> bytes:
    """The gate as the builds carry it: :mod:`datalake_cdktf.gate`'s file."""
    return (Path(__file__).parent / "gate.py").read_bytes()


def buildspec(build: Build, context: BuildContext) -> str:
    """The buildspec of ``build``: a repository build's cache, Terraform, profile and ``make
    <setup>``, then its commands; a gate build's Terraform, profile and gate, then its commands."""
    variables = {"CI": "true", "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    # The AWS provider's start-ups allocate heavily: Go's collector at 400% saves ~18% of
    # Terraform's CPU for ~190 MB more memory (python benchmarks/terraform_gc.py).
    variables["GOGC"] = "400"
    if build.runs_gate:
        install = [_CACHE_EXPORTS, terraform_install(context.terraform), *_profile(build, context), _unpack_gate()]
        build_phase = [context.render(command) for command in build.commands]
    else:
        variables["PIPENV_VENV_IN_PROJECT"] = "0"
        variables["PIPENV_CUSTOM_VENV_NAME"] = build.name  # a stable path in the cache: nothing re-installed
        if context.etl and context.package_index:
            variables["DATALAKE_INDEX_URL"] = context.package_index
        deployment = ["export DATALAKE_DEPLOYMENT=$CODEBUILD_SRC_DIR_definitions/envs"] if context.etl else []
        install = [
            _CACHE_EXPORTS,
            _node_modules(build.name),
            *deployment,
            terraform_install(context.terraform),
            *_profile(build, context),
            f"make {build.setup}",
        ]
        build_phase = [context.render(command) for command in build.commands]
        if build.definitions:
            definitions = [context.render(command) for command in build.definitions]
            if context.etl:  # the pipeline is defined in the infrastructure repository's checkout
                venv = f"export PIPENV_CUSTOM_VENV_NAME={build.name}-definitions"  # its own packages
                build_phase += ["cd $CODEBUILD_SRC_DIR_definitions", venv, _node_modules(f"{build.name}-definitions")]
                build_phase += ["make setup", *definitions]
            else:  # the same checkout: one make, which synthesizes once for both
                build_phase = [_one_make([*build_phase, *definitions])]
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
            "install": {"runtime-versions": dict(build.runtimes), "commands": install},
            "build": {"commands": build_phase},
        },
        "cache": {"paths": list(CACHE_PATHS)},
    }
    if build.artifacts:
        spec["artifacts"] = {"files": list(build.artifacts)}
    return json.dumps(spec, indent=2) + "\n"  # JSON is YAML; the buildspec is plain text in the plan


def _one_make(commands: list[str]) -> str:
    """``make a X=1`` and ``make b X=1 Y=2`` as ``make a b X=1 Y=2``: make brings a target
    both need (the synth) up to date once, then makes the goals in order."""
    goals: list[str] = []
    variables: dict[str, str] = {}
    for command in commands:
        first, *words = command.split()
        if first != "make":
            raise ValueError(f"not a make command: {command!r}")
        for word in words:
            name, assigned, value = word.partition("=")
            if not assigned:
                goals.append(word)
            elif variables.setdefault(name, value) != value:
                raise ValueError(f"{name} is {variables[name]!r} in one command and {value!r} in another")
    return " ".join(["make", *goals, *(f"{name}={value}" for name, value in variables.items())])


def _node_modules(name: str) -> str:
    """Where the Makefile keeps node_modules (NODE_MODULES_CACHE): in the cache, so a fresh
    checkout with the same package-lock.json installs nothing (the Makefiles link it)."""
    return f"export NODE_MODULES_CACHE={CACHE}/node_modules/{name}"


def _profile(build: Build, context: BuildContext) -> list[str]:
    """The AWS config that maps the stacks' profile to this build's role in the environment
    (from the build's own session: CodeBuild's container credentials)."""
    if build.profile is None:
        return []
    config = (
        f"[profile {context.profile}]\\nrole_arn = {context.roles[build.profile]}\\ncredential_source = EcsContainer\\n"
    )
    return [f"mkdir -p $HOME/.aws && printf '{config}' > $HOME/.aws/config"]


def _packed(data: bytes) -> str:
    """``data`` gzipped (with no timestamp: the same input, the same text) in base64."""
    return base64.b64encode(gzip.compress(data, mtime=0)).decode()


def _unpack_gate() -> str:
    """One command: the gate this buildspec carries, written out and checked against its SHA-256."""
    source = gate_source()
    return (
        f"printf %s {_packed(source)} | base64 -d | gunzip > {GATE}"
        f' && echo "{hashlib.sha256(source).hexdigest()}  {GATE}" | sha256sum -c --quiet -'
    )


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
