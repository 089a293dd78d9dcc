"""A repository's pipeline of one environment, as the central account knows it before the
pipeline exists: its artifact bucket and its three roles (see
:mod:`datalake_cdktf.pipeline_access`)."""

from __future__ import annotations

from datalake_cdktf.constructs.secure_bucket import SecureBucket, SecureBucketConfig
from datalake_cdktf.engine import Construct, TerraformProvider
from datalake_cdktf.engine.aws import iam_role, iam_role_policy
from datalake_cdktf.iam.statements import document
from datalake_cdktf.naming import kms_alias_arn
from datalake_cdktf.pipeline_access import PipelineAccess, Role, role_policies

__all__ = [
    "ARTIFACT_DAYS",
    "MAX_SESSION_SECONDS",
    "PipelineIdentities",
]

MAX_SESSION_SECONDS = 3600
"""How long a session of the pipeline's roles may last (one hour, IAM's default)."""
ARTIFACT_DAYS = 90
"""Days the pipeline's artifacts, and their older versions, stay in its bucket (sources
and plans are rebuilt from Git)."""


class PipelineIdentities(Construct):
    """Created through ``provider`` (the central account's), all named from ``access``:

    - the artifact bucket ``<project>-<env>-<repo>-ci-<account>``: encrypted with the
      central artifact key, logged into ``access_log_bucket`` (a bucket name), expired
      after 90 days, emptied on destroy;
    - the build role, the CodePipeline role and the pull-request role.

    Properties: ``roles`` (:class:`~datalake_cdktf.iam.pipeline.Role` -> ``aws_iam_role``),
    the same as ``build_role``, ``codepipeline_role``, ``pull_request_role``; ``artifact_bucket``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        access: PipelineAccess,
        access_log_bucket: str,
        provider: TerraformProvider,
    ):
        super().__init__(scope, construct_id)
        self.access = access
        self.artifact_bucket = SecureBucket(
            self,
            "artifacts",
            config=SecureBucketConfig(
                bucket_name=access.artifact_bucket,
                kms_key_arn=kms_alias_arn(
                    account_id=access.account_id, region=access.region, alias=access.artifact_key_alias
                ),
                access_log_bucket=access_log_bucket,
                noncurrent_version_days=ARTIFACT_DAYS,
                expiration_days=ARTIFACT_DAYS,
                protect=False,
            ),
            provider=provider,
        )
        self.roles = {
            role: self._role(role, trust, permissions, provider)
            for role, (trust, permissions) in role_policies(access).items()
        }
        self.build_role = self.roles[Role.BUILD]
        self.codepipeline_role = self.roles[Role.CODEPIPELINE]
        self.pull_request_role = self.roles[Role.PULL_REQUEST]

    def _role(self, which: Role, trust, permissions, provider) -> iam_role.IamRole:
        construct_id = which.value
        role = iam_role.IamRole(
            self,
            f"{construct_id}-role",
            provider=provider,
            name=self.access.role_name(which),
            max_session_duration=MAX_SESSION_SECONDS,
            assume_role_policy=document(*trust),
        )
        iam_role_policy.IamRolePolicy(
            self,
            f"{construct_id}-permissions",
            provider=provider,
            role=role.id,
            name="pipeline",
            policy=document(*permissions),
        )
        return role
