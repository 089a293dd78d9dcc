"""The deployment config: one validated, immutable model of every global value.

This is the only description of accounts, regions, CIDRs, names, branches, approval
rules, tags and secret *names*. Stacks and constructs receive these typed objects and
never read files or environment variables themselves.

Every rule that involves more than one field is a function of
:mod:`datalake_cdktf.config.rules`, which the model runs after its fields are valid; all
their problems are raised as one :class:`ConfigRuleError`, which carries the location of
each so the loader can name the file and field; used from Python, its message reads on
its own.
"""

from __future__ import annotations

import functools
import importlib.util
import ipaddress
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, field_validator, model_validator

from datalake_cdktf import tags
from datalake_cdktf.config.problems import ConfigRuleError, Problem
from datalake_cdktf.config.rules import CROSS_FIELD_RULES
from datalake_cdktf.context import RepositoryContext
from datalake_cdktf.git_hosts import GitHost, git_host
from datalake_cdktf.naming import (
    CENTRAL_STAGE,
    Label,
    datalake_stack_id,
    etl_stack_id,
    kms_alias_arn,
    role_arn,
)

__all__ = [
    "TERRAFORM_RELEASES",
    "AccountId",
    "BranchName",
    "CentralAccount",
    "ConfigRuleError",
    "Days",
    "DeploymentConfig",
    "Environment",
    "EnvironmentName",
    "Flag",
    "Pipelines",
    "Problem",
    "Project",
    "ProjectName",
    "PullRequestAuthor",
    "Region",
    "Repositories",
    "Repository",
    "RepositoryName",
    "Retention",
    "SecretName",
    "Source",
    "SourceProvider",
    "StrictModel",
    "TerraformRelease",
    "known_regions",
]

AccountId = Annotated[
    str,
    Field(
        pattern=r"^\d{12}$",
        description="AWS account id: exactly 12 digits, quoted in YAML (e.g. '111111111111').",
        examples=["111111111111"],
    ),
]
"""An AWS account id (12 digits)."""


@functools.cache
def known_regions() -> frozenset[str]:
    """Every region of every AWS partition, from botocore's endpoint data (kept current
    by AWS with each botocore release), not from a list typed here.

    The file is read directly: importing botocore's loader for it costs a fifth of a
    second on every synth. If a botocore release ships it otherwise, its loader reads it."""
    (package,) = importlib.util.find_spec("botocore").submodule_search_locations
    endpoints = Path(package, "data", "endpoints.json")
    if endpoints.is_file():
        partitions = json.loads(endpoints.read_text())["partitions"]
    else:
        from botocore.loaders import Loader  # only when a config is validated

        partitions = Loader().load_data("endpoints")["partitions"]
    return frozenset(region for partition in partitions for region in partition["regions"])


def _known_region(region: str) -> str:
    if region not in known_regions():
        distance, nearest = min((_typing_distance(region, known), known) for known in known_regions())
        hint = f"did you mean {nearest!r}?" if distance <= 3 else "use a region code such as 'eu-west-1'"
        raise ValueError(f"is not an AWS region: {hint} (regions known to botocore)")
    return region


def _typing_distance(a: str, b: str) -> int:
    """Edits between two strings, a swap of neighbours counting as one (a typo's distance)."""
    rows = [list(range(len(b) + 1))] + [[i] + [0] * len(b) for i in range(1, len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
    return rows[len(a)][len(b)]


Region = Annotated[
    str,
    Field(
        pattern=r"^[a-z]{2}(-[a-z]+)+-\d$",
        description="AWS region code, e.g. 'eu-west-1' or 'us-east-1'.",
        examples=["eu-west-1"],
    ),
    AfterValidator(_known_region),
]
"""An AWS region that botocore knows."""

# Physical names are built as <prefix>-<env>-...; keep both parts short, lower-case,
# and free of characters that S3, IAM or Glue reject.
ProjectName = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9-]{0,14}[a-z0-9]$",
        description=(
            "Prefix of every physical name: 2-16 characters, lower-case letters, digits "
            "and '-', starting with a letter."
        ),
        examples=["datalake"],
    ),
]
"""The project's prefix of every physical name."""
EnvironmentName = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9]{1,9}$",
        description="Environment name: 2-10 lower-case letters and digits, starting with a letter.",
        examples=["dev"],
    ),
]
"""An environment's name (its file's name)."""
RepositoryName = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9-]{0,22}[a-z0-9]$",
        description=(
            "Short repository name used in pipeline and role names: 2-24 characters, "
            "lower-case letters, digits and '-'."
        ),
        examples=["datalake-infra"],
    ),
]
"""A repository's short name in pipeline and role names."""
BranchName = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9]([A-Za-z0-9_-]|[./][A-Za-z0-9_-]){0,99}$",
        description="Git branch that deploys this environment, e.g. 'main'.",
        examples=["main"],
    ),
]
"""A Git branch name."""
PullRequestAuthor = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9:/_+=,.@-]{0,255}$",
        description=(
            "Who may have a pull request built: a GitHub, GitLab or Bitbucket account id (CodeBuild's "
            "ACTOR_ACCOUNT_ID, e.g. GitHub's numeric user id), or on CodeCommit an IAM principal's ARN "
            "(the event's callerUserArn)."
        ),
        examples=["1001", "arn:aws:iam::111111111111:user/alice"],
    ),
]
"""One author whose pull requests are built."""
SecretName = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9/_+=.@-]{1,512}$",
        description=("Name of a Secrets Manager secret (never its value), e.g. 'datalake/github-token'."),
        examples=["datalake/github-token"],
    ),
]
"""The name (never the value) of a Secrets Manager secret."""

_RFC1918 = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
# Strings that are secret *values*, not names: a pasted token must never be accepted.
_SECRET_VALUE = re.compile(r"(AKIA|ASIA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_|xox[abpr]-|-----BEGIN")
_RESERVED_TAGS = tags.RESERVED


Days = Annotated[int, Strict()]
"""A number of days, strictly an integer: a quoted "90" is a typo to report, not a number to guess."""
Flag = Annotated[bool, Strict()]
"""A yes/no setting, strictly a boolean: YAML's 'yes' or a quoted "true" is a typo here, not a boolean."""


class StrictModel(BaseModel):
    """Unknown keys are errors and loaded config never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Project(StrictModel):
    """The project: its name prefixes every physical name."""

    name: ProjectName


class CentralAccount(StrictModel):
    """The deployment account: Terraform state, artifacts and every pipeline."""

    account_id: AccountId
    region: Region


class Retention(StrictModel):
    """How long each bucket keeps data. ``null`` days keep current objects forever.

    Days are strict integers: a quoted "90" is a typo to report, not a number to guess.
    """

    raw_days: Days | None = Field(default=None, ge=1, description="Expire raw objects after N days (default: keep).")
    conformed_days: Days | None = Field(
        default=None, ge=1, description="Expire conformed objects after N days (default: keep)."
    )
    purpose_built_days: Days | None = Field(
        default=None, ge=1, description="Expire purpose-built objects after N days (default: keep)."
    )
    noncurrent_version_days: Days = Field(
        default=90, ge=1, description="Delete non-current object versions after N days (default 90)."
    )
    access_log_days: Days = Field(default=365, ge=1, description="Expire S3 access logs after N days (default 365).")

    def days_for(self, zone: str) -> int | None:
        """Current-object expiry of a zone bucket (``None``: keep forever)."""
        return getattr(self, zone.replace("-", "_") + "_days")


class Environment(StrictModel):
    """One data-lake account, deployed from one branch. Defaults are stated per field."""

    name: EnvironmentName
    account_id: AccountId
    region: Region
    branch: BranchName
    vpc_cidr: ipaddress.IPv4Network = Field(
        description=(
            "Private (RFC 1918) IPv4 range of the data-lake VPC, /16 to /24, not overlapping "
            "any other environment, e.g. '10.10.0.0/16'."
        ),
        examples=["10.10.0.0/16"],
    )
    availability_zones: tuple[str, ...] = Field(
        min_length=2,
        max_length=4,
        description=(
            "2-4 availability zone names of the region, one private subnet in each, "
            "e.g. [eu-west-1a, eu-west-1b]. Named, not looked up, so a zone AWS adds or "
            "takes out of service never moves a subnet."
        ),
        examples=[["eu-west-1a", "eu-west-1b"]],
    )
    approval_required: Flag = Field(
        default=False,
        description="A person approves the plan before it is applied (default false; prod must be true).",
    )
    production: Flag = Field(
        default=False,
        description=(
            "Marks a production environment: approval becomes mandatory (default false; implied by the name 'prod')."
        ),
    )
    protect_data: Flag = Field(
        default=True,
        description="Terraform refuses to destroy buckets, keys and catalog databases (default true).",
    )
    retention: Retention = Field(default_factory=Retention)
    admin_role_name: str = Field(
        default="OrganizationAccountAccessRole",
        pattern=r"^[\w+=,.@-]{1,64}$",
        description=(
            "Role an administrator assumes to apply bootstrap-<env> once (default OrganizationAccountAccessRole)."
        ),
    )

    @property
    def is_production(self) -> bool:
        return self.production or self.name in ("prod", "production")

    @field_validator("vpc_cidr", mode="before")
    @classmethod
    def _no_host_bits(cls, value: Any) -> Any:
        # pydantic only says "not a valid IPv4 network" for 10.20.0.1/16; name the cause.
        if isinstance(value, str):
            try:
                ipaddress.IPv4Network(value)
            except ValueError:
                try:
                    network = ipaddress.IPv4Network(value, strict=False)
                except ValueError:
                    return value  # not a network at all: pydantic's own error says so
                raise ValueError(f"has host bits set: a range starts at its network address, write {network}") from None
        return value

    @field_validator("vpc_cidr", mode="after")
    @classmethod
    def _private_and_sized(cls, cidr: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        if not any(cidr.subnet_of(block) for block in _RFC1918):
            raise ValueError("must be a private RFC 1918 range (inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)")
        if not 16 <= cidr.prefixlen <= 24:
            raise ValueError(
                "prefix must be /16 to /24: AWS allows /16 at most, and /24 is the "
                "smallest that leaves room for a private subnet per AZ"
            )
        return cidr

    @model_validator(mode="after")
    def _zones_in_region(self) -> Environment:
        problems = [
            Problem(
                ("availability_zones", i),
                zone,
                f"is not a zone of region {self.region}: use {self.region} plus a letter, e.g. {self.region}a",
            )
            for i, zone in enumerate(self.availability_zones)
            if not re.fullmatch(re.escape(self.region) + r"[a-z]", zone)
        ]
        if len(set(self.availability_zones)) != len(self.availability_zones):
            problems.append(
                Problem(
                    ("availability_zones",), list(self.availability_zones), "lists a zone twice: name distinct zones"
                )
            )
        if problems:
            raise ConfigRuleError(problems)
        return self

    @model_validator(mode="after")
    def _production_needs_approval(self) -> Environment:
        if self.is_production and not self.approval_required:
            raise ConfigRuleError(
                [
                    Problem(
                        ("approval_required",),
                        self.approval_required,
                        f"environment {self.name!r} is production: set approval_required: true",
                    )
                ]
            )
        return self

    def label(self, project: str) -> Label:
        return Label(project, self.name)


class Repository(StrictModel):
    """A repository of the deployment: its short name, where its Git host keeps it, and the
    token that comments on its pull requests."""

    name: RepositoryName
    full_repository_id: str = Field(
        pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$",
        description="'owner/name' of the repository at its Git host.",
        examples=["example-org/datalake-infrastructure"],
    )
    pull_request_token: SecretName | None = Field(
        default=None,
        description=(
            "Name (never the value) of the Secrets Manager secret, in the central account, holding a "
            "token that may comment on this repository's pull requests and nothing else (e.g. a GitHub "
            "fine-grained token for this one repository, pull requests: write). Only the administrator's "
            "comment build reads it; no build that runs the repository's code can. Default: none "
            "(needed while pipelines.pull_request_comments is true)."
        ),
    )

    @field_validator("pull_request_token", mode="before")
    @classmethod
    def _a_name_not_a_value(cls, value: Any) -> Any:
        if isinstance(value, str) and _SECRET_VALUE.search(value):
            raise ValueError(
                "looks like a secret value, not a name. Remove it from the repository, rotate it, "
                "store it in Secrets Manager and put the secret's name here"
            )
        return value


class Repositories(StrictModel):
    """One infrastructure repository and one or more ETL repositories."""

    infrastructure: Repository
    etl: tuple[Repository, ...] = Field(min_length=1)

    @property
    def all(self) -> tuple[Repository, ...]:
        return (self.infrastructure, *self.etl)


SourceProvider = Literal["GitHub", "GitLab", "Bitbucket", "CodeCommit"]
"""The Git hosts the pipelines can take their sources from."""


class Source(StrictModel):
    """Where the repositories are and how the pipelines reach them."""

    provider: SourceProvider = Field(
        default="GitHub",
        description=(
            "Git host of every repository (default GitHub). GitHub, GitLab and Bitbucket are reached "
            "through one AWS CodeConnections connection that central-bootstrap creates "
            "(an administrator completes its handshake once in the console); CodeCommit needs none."
        ),
    )

    @property
    def host(self) -> GitHost:
        return git_host(self.provider)

    @property
    def uses_connection(self) -> bool:
        return self.host.through_connection


TERRAFORM_RELEASES = {
    "1.11.4": {
        "linux_amd64": "1ce994251c00281d6845f0f268637ba50c0005657eb3cf096b92f753b42ef4dc",
        "linux_arm64": "a43d1d0da9b9bab214a8305a39db0e40869572594ccf50c416a7756499143633",
    }
}
"""SHA-256 of HashiCorp's release zips (``terraform_<version>_SHA256SUMS``) of the default version."""


class TerraformRelease(StrictModel):
    """The Terraform CLI every build installs: a HashiCorp release, checked before use."""

    version: str = Field(
        default="1.11.4",
        pattern=r"^1\.(1[0-9]|[2-9][0-9])\.\d+$",
        description="Terraform release (>= 1.10, for S3-native state locking; default 1.11.4).",
    )
    sha256: dict[Literal["linux_amd64", "linux_arm64"], Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]] = Field(
        default_factory=lambda: dict(TERRAFORM_RELEASES["1.11.4"]),
        description=(
            "SHA-256 of terraform_<version>_<platform>.zip, from HashiCorp's signed "
            "terraform_<version>_SHA256SUMS (defaults given for 1.11.4). A build refuses a download that differs."
        ),
    )
    download_url: str = Field(
        default="https://releases.hashicorp.com/terraform",
        pattern=r"^https?://[^\s'\"$`\\]+[^/\s'\"$`\\]$",
        description="Where <version>/terraform_<version>_<platform>.zip is downloaded from (a mirror of HashiCorp's).",
    )

    @model_validator(mode="after")
    def _checksums_for_the_version(self) -> TerraformRelease:
        known = TERRAFORM_RELEASES.get(self.version)
        if self.sha256 == TERRAFORM_RELEASES["1.11.4"] and self.version != "1.11.4":
            raise ConfigRuleError(
                [
                    Problem(
                        ("sha256",),
                        "(the checksums of 1.11.4)",
                        f"give the SHA-256 of terraform_{self.version}_linux_amd64.zip (and _linux_arm64.zip) "
                        f"from https://releases.hashicorp.com/terraform/{self.version}/"
                        f"terraform_{self.version}_SHA256SUMS",
                    )
                ]
            )
        if known and any(self.sha256.get(platform) not in (None, value) for platform, value in known.items()):
            raise ConfigRuleError(
                [
                    Problem(
                        ("sha256",),
                        dict(self.sha256),
                        f"differs from HashiCorp's published checksums of {self.version}: remove it or correct it",
                    )
                ]
            )
        return self


class Pipelines(StrictModel):
    """How every pipeline builds. Defaults are stated per field."""

    build_image: str = Field(
        default="aws/codebuild/amazonlinux-x86_64-standard:5.0",
        pattern=r"^aws/codebuild/[a-z0-9._-]+:[0-9][0-9.]*$",
        description="CodeBuild image, pinned to a version (default aws/codebuild/amazonlinux-x86_64-standard:5.0).",
    )
    drift_schedule: str = Field(
        default="cron(0 6 * * ? *)",
        pattern=r"^(cron|rate)\(.+\)$",
        description="When each environment is checked for drift (EventBridge expression, default daily 06:00 UTC).",
    )
    log_retention_days: Literal[
        30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653
    ] = Field(default=365, description="Days build logs are kept (a CloudWatch Logs retention, default 365).")
    pull_request_comments: Flag = Field(
        default=True,
        description=(
            "Post each pull request's plan summary as a comment (default true); needs each repository's "
            "own token (repositories.*.pull_request_token)."
        ),
    )
    pull_request_authors: tuple[PullRequestAuthor, ...] = Field(
        default=(),
        description=(
            "The accounts whose pull requests are built and planned (default: none, so no pull "
            "request builds). A pull request by anyone else, from a fork or not, starts nothing: a "
            "listed person reviews it and opens it again from a branch of the repository."
        ),
    )
    terraform: TerraformRelease = Field(default_factory=TerraformRelease)
    package_index: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s@'\"$`\\]+$",
        description=(
            "Simple-API URL of the package index that serves datalake-cdktf to the ETL repositories' "
            "builds (their DATALAKE_INDEX_URL), e.g. https://pypi.example.org/simple/. No credentials "
            "in it (default: none; the ETL repositories name their index themselves)."
        ),
    )


class DeploymentConfig(StrictModel):
    """The whole deployment: the central account, every environment, every repository."""

    project: Project
    central: CentralAccount
    environments: tuple[Environment, ...] = Field(min_length=1)
    repositories: Repositories
    source: Source = Field(default_factory=Source)
    pipelines: Pipelines = Field(default_factory=Pipelines)
    tags: dict[str, str] = Field(
        default_factory=dict,
        description="Tags on every resource (project, environment, managed-by and repository are added).",
    )
    secrets: dict[str, SecretName] = Field(
        default_factory=dict,
        description="Secrets Manager secret names by purpose. Names only: values never enter the repo.",
    )

    @property
    def central_label(self) -> Label:
        return Label(self.project.name, CENTRAL_STAGE)

    def central_bucket(self, purpose: str) -> str:
        """Name of a central-account bucket: ``tfstate``, ``artifacts`` or ``access-logs``."""
        return self.central_label.bucket(purpose, self.central.account_id, self.central.region)

    @property
    def state_bucket(self) -> str:
        """The bucket that holds every stack's Terraform state."""
        return self.central_bucket("tfstate")

    @property
    def source_connection_name(self) -> str:
        """``<project>-central-source``: the CodeConnections connection (names take 32 characters)."""
        return self.central_label.name("source")

    @property
    def artifact_key_alias(self) -> str:
        """``alias/<project>-central-artifacts``: encrypts every pipeline's artifacts."""
        return self.central_label.kms_alias("artifacts")

    def artifact_key_alias_arn(self) -> str:
        return kms_alias_arn(
            account_id=self.central.account_id, region=self.central.region, alias=self.artifact_key_alias
        )

    @property
    def notification_key_alias(self) -> str:
        """``alias/<project>-central-notifications``: encrypts the pipelines' SNS topics."""
        return self.central_label.kms_alias("notifications")

    @property
    def state_key_alias(self) -> str:
        """Alias of the KMS key that encrypts every state file: ``alias/<project>-central-tfstate``."""
        return self.central_label.kms_alias("tfstate")

    @property
    def state_key_alias_arn(self) -> str:
        return kms_alias_arn(account_id=self.central.account_id, region=self.central.region, alias=self.state_key_alias)

    def label(self, environment: Environment) -> Label:
        return environment.label(self.project.name)

    def repository_context(self, environment: Environment, repository: Repository) -> RepositoryContext:
        """``repository`` in ``environment``: the names, ARNs and tags its constructs use."""
        label, name = self.label(environment), repository.name
        own_tags = tags.resource_tags(self.tags, project=self.project.name, stage=label.stage, repository=name)
        return RepositoryContext(
            label=label, repository=name, account_id=environment.account_id, region=environment.region, tags=own_tags
        )

    # ARNs both sides of a cross-account trust must agree on, derived in one place.

    def deploy_role_arn(self, environment: Environment, repository: Repository) -> str:
        """The role ``repository``'s apply build assumes in ``environment``'s account (its context's)."""
        return self.repository_context(environment, repository).deploy_role_arn

    def boundary_arn(self, environment: Environment, repository: Repository) -> str:
        """The permissions boundary of ``repository``'s deploy role and of every role it creates."""
        return self.repository_context(environment, repository).boundary_arn

    def _central_role_arn(self, name: str) -> str:
        central = self.central
        return role_arn(account_id=central.account_id, role_name=name, region=central.region)

    def pipeline_role_arn(self, environment: Environment, repository: Repository) -> str:
        """The central-account role of ``repository``'s pipeline builds of ``environment``
        that run its code (test, plan)."""
        return self._central_role_arn(self.label(environment).pipeline_role(repository.name))

    def pull_request_role_arn(self, environment: Environment, repository: Repository) -> str:
        """The central-account role of ``repository``'s pull-request builds for ``environment``."""
        return self._central_role_arn(self.label(environment).pull_request_role(repository.name))

    def apply_role_arn(self, environment: Environment, repository: Repository) -> str:
        """The central-account role of ``repository``'s apply build of ``environment``: the
        only one that may assume its deploy role."""
        return self._central_role_arn(self.label(environment).apply_role(repository.name))

    def review_role_arn(self, environment: Environment, repository: Repository) -> str:
        """The central-account role of the administrator's seal and drift builds."""
        return self._central_role_arn(self.label(environment).review_role(repository.name))

    def comment_role_arn(self, environment: Environment, repository: Repository) -> str:
        """The central-account role of the administrator's comment build (it reads the token)."""
        return self._central_role_arn(self.label(environment).comment_role(repository.name))

    def plan_role_arn(self, environment: Environment, repository: Repository) -> str:
        """The read-only role ``repository``'s code plans through in ``environment``."""
        return self.repository_context(environment, repository).plan_role_arn

    def drift_role_arn(self, environment: Environment, repository: Repository) -> str:
        """The role the drift check of ``repository`` reads ``environment``'s live resources through."""
        return self.repository_context(environment, repository).drift_role_arn

    def is_infrastructure(self, repository: Repository) -> bool:
        return repository == self.repositories.infrastructure

    def deployed_stacks(self, environment: Environment, repository: Repository) -> tuple[str, ...]:
        """The stacks ``repository``'s pipeline applies in ``environment`` (and whose state it owns)."""
        if self.is_infrastructure(repository):
            return (datalake_stack_id(environment.name),)
        return (etl_stack_id(repository.name, environment.name),)

    def etl_repository(self, name: str) -> Repository:
        for repository in self.repositories.etl:
            if repository.name == name:
                return repository
        raise KeyError(f"no ETL repository named {name!r}; known: {[r.name for r in self.repositories.etl]}")

    def environment(self, name: str) -> Environment:
        for env in self.environments:
            if env.name == name:
                return env
        raise KeyError(f"no environment named {name!r}; known: {[e.name for e in self.environments]}")

    @field_validator("tags", mode="after")
    @classmethod
    def _valid_tags(cls, tags: dict[str, str]) -> dict[str, str]:
        for key, value in tags.items():
            if key.lower().startswith("aws:") or key in _RESERVED_TAGS:
                raise ValueError(
                    f"tag {key!r} is reserved (aws:* belongs to AWS; {sorted(_RESERVED_TAGS)} "
                    "are set by this project): rename it"
                )
            if not 1 <= len(key) <= 128 or len(value) > 256:
                raise ValueError(f"tag {key!r}: keys are 1-128 characters, values at most 256")
        return tags

    @field_validator("secrets", mode="before")
    @classmethod
    def _names_not_values(cls, secrets: Any) -> Any:
        # Before the name pattern: a pasted PEM key breaks the pattern too, and the
        # pattern's error would print the key. The value is never repeated here.
        if not isinstance(secrets, dict):
            return secrets
        problems = [
            Problem(
                (purpose,),
                "(hidden)",
                "looks like a secret value, not a name. Remove it from the repository, "
                "rotate it, store it in Secrets Manager and put the secret's name here",
            )
            for purpose, name in secrets.items()
            if isinstance(name, str) and _SECRET_VALUE.search(name)
        ]
        if problems:
            raise ConfigRuleError(problems)
        return secrets

    @model_validator(mode="after")
    def _cross_field_rules(self) -> DeploymentConfig:
        problems = [problem for rule in CROSS_FIELD_RULES for problem in rule(self)]
        if problems:
            raise ConfigRuleError(problems)
        return self
