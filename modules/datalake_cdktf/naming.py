"""Every physical name in the deployment comes from here.

One label (project prefix + stage) flows through every construct, in the spirit of
cloudposse's null-label: ``<prefix>-<stage>-<name>[-<attr>...]``, lower-case, with the
length limit of the AWS service that will hold the name checked when the name is built.
The config model calls the same helpers, so a name that would be too long is a config
error naming the field to shorten, never a failed ``terraform apply``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "CENTRAL_STAGE",
    "DATALAKE_NAMES",
    "DATALAKE_PUBLISHER",
    "GLUE_LOG_GROUPS",
    "JOB_FILES",
    "ZONES",
    "Label",
    "NamingError",
    "account_root_arn",
    "arn",
    "bootstrap_stack_id",
    "bucket_arn",
    "datalake_stack_id",
    "etl_stack_id",
    "kms_alias_arn",
    "partition",
    "pipeline_stack_id",
    "policy_arn",
    "replaceable_code",
    "role_arn",
    "state_key",
]

S3_BUCKET_MAX = 63
IAM_ROLE_MAX = 64
LAMBDA_FUNCTION_MAX = 64
IAM_POLICY_MAX = 128
KMS_ALIAS_MAX = 256
GLUE_DATABASE_MAX = 255

CENTRAL_STAGE = "central"
"""The stage of every name in the central deployment account."""

ZONES = ("raw", "conformed", "purpose-built")
"""The data-lake zones, in the order data flows through them."""

DATALAKE_PUBLISHER = "datalake"
"""``datalake-<env>`` publishes its outputs under ``/<project>/<env>/datalake/``."""

JOB_FILES = "jobs"
"""The folder, under ``<repo>/`` in the assets bucket, of each job's script and modules
(``<repo>/jobs/<job>/...``)."""

GLUE_LOG_GROUPS = "/aws-glue/*"
"""Where Glue writes its jobs' and crawlers' logs (``/aws-glue/jobs/...``,
``/aws-glue/crawlers-role/...``); AWS chooses these names, not the stacks."""

DATALAKE_NAMES = (*ZONES, "access-logs", "assets", "data", "endpoints", "flow-logs", "jobs", DATALAKE_PUBLISHER)
"""First name parts the data-lake stack uses after ``<project>-<env>-`` (buckets, the
data key's alias, roles, SSM paths). An ETL repository's names start with
``<project>-<env>-<repository>-``, so a repository may not be named after one of these:
its deploy role would reach the data lake's own resources."""

_S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")
_IAM_NAME = re.compile(r"^[\w+=,.@-]+$")
_LAMBDA_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")


class NamingError(ValueError):
    """A derived name breaks the rules of the service that holds it (``limit``: the
    service's length limit, when the name is too long)."""

    def __init__(self, message: str, *, limit: int | None = None):
        super().__init__(message)
        self.limit = limit


def _check(name: str, *, kind: str, limit: int, pattern: re.Pattern[str]) -> str:
    if len(name) > limit:
        raise NamingError(f"{kind} name {name!r} is {len(name)} characters; the limit is {limit}", limit=limit)
    if not pattern.match(name):
        raise NamingError(f"{kind} name {name!r} has characters {kind} names do not allow")
    return name


@dataclass(frozen=True)
class Label:
    """The naming context of one stage (an environment, or ``central``).

    ``namespace`` is the project prefix from config; ``stage`` is the environment name
    or :data:`CENTRAL_STAGE`. Every method returns a lower-case name and raises
    :class:`NamingError` if the result breaks the service's length or character rules.
    """

    namespace: str
    stage: str

    def name(self, *attributes: str) -> str:
        """``<namespace>-<stage>[-<attr>...]``: the base of every other name."""
        return "-".join((self.namespace, self.stage, *attributes)).lower()

    def bucket(self, purpose: str, account_id: str, region: str) -> str:
        """S3 bucket ``<ns>-<stage>-<purpose>-<account>-<region>`` (at most 63 characters).

        Account and region make the name globally unique without a random suffix, so it
        is known before the bucket exists (SSM contract, policies in other stacks).
        """
        return _check(
            self.name(purpose, account_id, region),
            kind="S3 bucket",
            limit=S3_BUCKET_MAX,
            pattern=_S3_BUCKET,
        )

    def pipeline_bucket(self, repository: str, account_id: str) -> str:
        """``<ns>-<stage>-<repository>-ci-<account>``: one pipeline's artifacts, in the central
        account (one region, so the account alone makes the name unique; at most 63)."""
        return _check(
            self.name(repository, "ci", account_id), kind="S3 bucket", limit=S3_BUCKET_MAX, pattern=_S3_BUCKET
        )

    def role(self, *attributes: str) -> str:
        """IAM role ``<ns>-<stage>-<attr>...`` (at most 64 characters)."""
        return _check(self.name(*attributes), kind="IAM role", limit=IAM_ROLE_MAX, pattern=_IAM_NAME)

    def policy(self, *attributes: str) -> str:
        """IAM managed policy ``<ns>-<stage>-<attr>...`` (at most 128 characters)."""
        return _check(
            self.name(*attributes),
            kind="IAM policy",
            limit=IAM_POLICY_MAX,
            pattern=_IAM_NAME,
        )

    def function(self, repository: str, name: str) -> str:
        """Lambda function ``<ns>-<stage>-<repository>-<name>`` (at most 64 characters)."""
        return _check(
            self.name(repository, name), kind="Lambda function", limit=LAMBDA_FUNCTION_MAX, pattern=_LAMBDA_NAME
        )

    def kms_alias(self, *attributes: str) -> str:
        """KMS alias ``alias/<ns>-<stage>-<attr>...``."""
        return "alias/" + self.name(*attributes)

    def glue_database(self, zone: str) -> str:
        """Glue database ``<ns>_<stage>_<zone>``: underscores, as Athena and Spark SQL want."""
        return self.name(zone).replace("-", "_")

    def ssm_path(self, *parts: str) -> str:
        """SSM parameter ``/<ns>/<stage>/<part>/...``: the outputs contract's path scheme."""
        return "/" + "/".join((self.namespace, self.stage, *parts))

    def log_group_path(self, repository: str) -> str:
        """``/<ns>/<stage>/<repository>/``: where a repository's CloudWatch log groups live."""
        return self.ssm_path(repository) + "/"

    def secret_path(self, repository: str) -> str:
        """``<ns>/<stage>/<repository>/``: the Secrets Manager names a repository's jobs may read."""
        return f"{self.namespace}/{self.stage}/{repository}/"

    def job_security_group(self, repository: str) -> str:
        """``<ns>-<stage>-<repository>-glue-jobs``: the security group a repository's Glue
        jobs run in, created by the data lake in its VPC."""
        return self.name(repository, "glue-jobs")

    def glue_connection(self, repository: str, availability_zone: str) -> str:
        """``<ns>-<stage>-<repository>-<zone>``, e.g. ``datalake-dev-sales-eu-west-1a``: the
        Glue NETWORK connection through which a repository's jobs run in the data lake's
        private subnet of that availability zone (created by the data lake)."""
        return self.name(repository, availability_zone)

    def flow_log_group(self) -> str:
        """``/aws/vpc/<ns>-<stage>/flow-logs``: the log group of the VPC's flow logs."""
        return f"/aws/vpc/{self.name()}/flow-logs"

    # Identities that cross accounts: both sides of a trust must agree on these names.
    # Each repository has its own per stage, so no pipeline can act for another.

    def repository_prefix(self, repository: str) -> str:
        """``<ns>-<stage>-<repository>-``: the start of every name ``repository`` owns here."""
        return self.name(repository) + "-"

    def deploy_role(self, repository: str) -> str:
        """Role ``repository``'s apply build assumes in this account: ``<ns>-<env>-<repository>-deploy``."""
        return self.role(repository, "deploy")

    def deploy_policy(self, repository: str, *part: str) -> str:
        """A managed policy of the deploy role: ``<ns>-<env>-<repository>-deploy[-<part>]``."""
        return self.policy(repository, "deploy", *part)

    def boundary_policy(self, repository: str) -> str:
        """Permissions boundary of ``repository``'s deploy role and of every role it creates."""
        return self.policy(repository, "boundary")

    def plan_role(self, repository: str) -> str:
        """Role ``repository``'s code plans through here (its pipeline's plan build and its pull
        requests), which reads nothing live: ``<ns>-<env>-<repository>-plan``."""
        return self.role(repository, "plan")

    def drift_role(self, repository: str) -> str:
        """Role the administrator's drift check reads ``repository``'s live resources through
        here, which reads configuration only: ``<ns>-<env>-<repository>-drift``."""
        return self.role(repository, "drift")

    def profile(self, repository: str) -> str:
        """``<ns>-<env>-<repository>``: the AWS profile ``repository``'s stacks here name. Each
        build maps it to the one role it may use (plan, deploy or drift); a person to theirs."""
        return self.name(repository)

    def pull_request_role(self, repository: str) -> str:
        """Central-account role of ``repository``'s pull-request builds: ``<ns>-<env>-<repository>-pr``."""
        return self.role(repository, "pr")

    def codepipeline_role(self, repository: str) -> str:
        """Central-account role CodePipeline runs ``repository``'s pipeline as (the longest role name)."""
        return self.role(repository, "codepipeline")

    def pipeline_role(self, repository: str) -> str:
        """Central-account role of the builds of ``repository``'s pipeline that run its code
        (test, plan): ``<ns>-<env>-<repository>-pipeline``. One per repository per
        environment; it can assume nothing but the read-only plan role."""
        return self.role(repository, "pipeline")

    def apply_role(self, repository: str) -> str:
        """Central-account role of the apply build, the only one that may assume
        ``repository``'s deploy role here: ``<ns>-<env>-<repository>-apply``."""
        return self.role(repository, "apply")

    def review_role(self, repository: str) -> str:
        """Central-account role of the administrator's builds that read a plan or the live
        resources and change nothing (seal, drift): ``<ns>-<env>-<repository>-review``."""
        return self.role(repository, "review")

    def comment_role(self, repository: str) -> str:
        """Central-account role of the administrator's comment build, the one that reads
        ``repository``'s comment token: ``<ns>-<env>-<repository>-comment``."""
        return self.role(repository, "comment")


def bootstrap_stack_id(environment: str) -> str:
    """``bootstrap-<env>``: both ends of one environment's trust, applied by an administrator."""
    return f"bootstrap-{environment}"


def datalake_stack_id(environment: str) -> str:
    """``datalake-<env>``: the infrastructure repository's stack in one environment."""
    return f"datalake-{environment}"


def etl_stack_id(repository: str, environment: str) -> str:
    """``etl-<repository>-<env>``: an ETL repository's stack in one environment."""
    return f"etl-{repository}-{environment}"


def pipeline_stack_id(repository: str, environment: str) -> str:
    """``pipeline-<repository>-<env>``: one repository's pipeline of one environment (central account)."""
    return f"pipeline-{repository}-{environment}"


def state_key(stack_id: str) -> str:
    """S3 backend key of a stack in the central state bucket: ``<stack>/terraform.tfstate``."""
    return f"{stack_id}/terraform.tfstate"


def replaceable_code(repository: str = "*") -> str:
    """Keys in the assets bucket of code that pipelines replace: ``repository``'s job
    scripts and modules, ``<repo>/jobs/*`` (by default every repository's). Their old
    versions may be deleted even where data is protected, so that removing a job works
    there too (Terraform deletes every version of an object it removes)."""
    return f"{repository}/{JOB_FILES}/*"


def partition(region: str) -> str:
    """ARN partition of a region: ``aws``, ``aws-us-gov`` or ``aws-cn``."""
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws"


def arn(*, service: str, region: str, account_id: str, resource: str) -> str:
    """``arn:<partition>:<service>:<region>:<account>:<resource>`` (global services: ``region=""``).

    The partition comes from ``region``; pass the region even for a global service's
    ARN by using :func:`role_arn` and friends, which know which fields stay empty."""
    return f"arn:{partition(region)}:{service}:{region}:{account_id}:{resource}"


def role_arn(*, account_id: str, role_name: str, region: str) -> str:
    """ARN of a role without a path, in ``region``'s partition."""
    return f"arn:{partition(region)}:iam::{account_id}:role/{role_name}"


def bucket_arn(*, bucket_name: str, region: str) -> str:
    """ARN of an S3 bucket (names may end in ``*`` to match a prefix)."""
    return f"arn:{partition(region)}:s3:::{bucket_name}"


def policy_arn(*, account_id: str, policy_name: str, region: str) -> str:
    """ARN of a customer-managed policy without a path, in ``region``'s partition."""
    return f"arn:{partition(region)}:iam::{account_id}:policy/{policy_name}"


def kms_alias_arn(*, account_id: str, region: str, alias: str) -> str:
    """ARN of a KMS alias (``alias/...``): names a key before the key's id is known."""
    return f"arn:{partition(region)}:kms:{region}:{account_id}:{alias}"


def account_root_arn(*, account_id: str, region: str) -> str:
    """The account principal: delegates to the account's IAM policies."""
    return f"arn:{partition(region)}:iam::{account_id}:root"
