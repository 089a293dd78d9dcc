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

S3_BUCKET_MAX = 63
IAM_ROLE_MAX = 64
IAM_POLICY_MAX = 128
KMS_ALIAS_MAX = 256
GLUE_DATABASE_MAX = 255

CENTRAL_STAGE = "central"
"""The stage of every name in the central deployment account."""

ZONES = ("raw", "conformed", "purpose-built")
"""The data-lake zones, in the order data flows through them."""

_S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")
_IAM_NAME = re.compile(r"^[\w+=,.@-]+$")


class NamingError(ValueError):
    """A derived name breaks the rules of the service that holds it."""


def _check(name: str, *, kind: str, limit: int, pattern: re.Pattern[str]) -> str:
    if len(name) > limit:
        raise NamingError(f"{kind} name {name!r} is {len(name)} characters; the limit is {limit}")
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

    def kms_alias(self, *attributes: str) -> str:
        """KMS alias ``alias/<ns>-<stage>-<attr>...``."""
        return "alias/" + self.name(*attributes)

    def glue_database(self, zone: str) -> str:
        """Glue database ``<ns>_<stage>_<zone>``: underscores, as Athena and Spark SQL want."""
        return self.name(zone).replace("-", "_")

    def ssm_path(self, *parts: str) -> str:
        """SSM parameter ``/<ns>/<stage>/<part>/...``: the outputs contract's path scheme."""
        return "/" + "/".join((self.namespace, self.stage, *parts))

    # Roles that cross accounts: both sides of a trust must agree on these names.

    def deploy_role(self) -> str:
        """The role each data-lake account's pipelines assume: ``<ns>-<env>-deploy``."""
        return self.role("deploy")

    def boundary_policy(self) -> str:
        """The permissions boundary of the deploy role and of every role it creates."""
        return self.policy("boundary")

    def pipeline_role(self, repository: str) -> str:
        """Central-account role that plans/applies ``repository`` into this stage.

        ``<ns>-<env>-<repository>-pipeline``: one per repository per environment, so
        the test pipeline of a repository can never assume the prod deploy role.
        """
        return self.role(repository, "pipeline")


def state_key(stack_id: str) -> str:
    """S3 backend key of a stack in the central state bucket: ``<stack>/terraform.tfstate``."""
    return f"{stack_id}/terraform.tfstate"


def partition(region: str) -> str:
    """ARN partition of a region: ``aws``, ``aws-us-gov`` or ``aws-cn``."""
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws"


def role_arn(account_id: str, role_name: str, region: str) -> str:
    """ARN of a role without a path, in ``region``'s partition."""
    return f"arn:{partition(region)}:iam::{account_id}:role/{role_name}"


def bucket_arn(bucket_name: str, region: str) -> str:
    """ARN of an S3 bucket (names may end in ``*`` to match a prefix)."""
    return f"arn:{partition(region)}:s3:::{bucket_name}"


def policy_arn(account_id: str, policy_name: str, region: str) -> str:
    """ARN of a customer-managed policy without a path, in ``region``'s partition."""
    return f"arn:{partition(region)}:iam::{account_id}:policy/{policy_name}"


def kms_alias_arn(account_id: str, region: str, alias: str) -> str:
    """ARN of a KMS alias (``alias/...``): names a key before the key's id is known."""
    return f"arn:{partition(region)}:kms:{region}:{account_id}:{alias}"


def account_root_arn(account_id: str, region: str) -> str:
    """The account principal: delegates to the account's IAM policies."""
    return f"arn:{partition(region)}:iam::{account_id}:root"
