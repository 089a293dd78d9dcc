"""A repository's pipeline of one environment, as the central account knows it before the
pipeline exists: its artifact bucket and its three roles (see
:mod:`datalake_cdktf.pipeline_access`)."""

from __future__ import annotations

from datalake_cdktf.constructs.secure_bucket import SecureBucket, SecureBucketConfig
from datalake_cdktf.engine import Construct, TerraformProvider
from datalake_cdktf.engine.aws import iam_role, iam_role_policy
from datalake_cdktf.iam.statements import document
from datalake_cdktf.naming import kms_alias_arn
from datalake_cdktf.pipeline_access import BUILDS, PipelineAccess

__all__ = [
    "ARTIFACT_DAYS",
    "MAX_SESSION_SECONDS",
    "PipelineIdentities",
]

MAX_SESSION_SECONDS = 3600
"""How long a session of the pipeline's roles may last (one hour, IAM's default)."""
ARTIFACT_DAYS = 90
"""Days the pipeline's artifacts, and their older versions, stay in its bucket."""
"""Pipeline artifacts (sources, plans) are rebuilt from Git; keep them 90 days."""


class PipelineIdentities(Construct):
    """Created through ``provider`` (the central account's), all named from ``access``:

    - the artifact bucket ``<project>-<env>-<repo>-ci-<account>``: encrypted with the
      central artifact key, logged into ``access_log_bucket`` (a bucket name), expired
      after 90 days, emptied on destroy;
    - the build role, the CodePipeline role and the pull-request role.

    Properties: ``build_role``, ``codepipeline_role``, ``pull_request_role`` (the
    ``aws_iam_role`` resources), ``artifact_bucket``.
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
                kms_key_arn=kms_alias_arn(access.account_id, access.region, access.artifact_key_alias),
                access_log_bucket=access_log_bucket,
                noncurrent_version_days=ARTIFACT_DAYS,
                expiration_days=ARTIFACT_DAYS,
                protect=False,
            ),
            provider=provider,
        )
        builds = tuple(access.project(b) for b in BUILDS if b != "pr")
        self.build_role = self._role(
            "build", access.build_role, access.build_trust(builds), access.build_permissions(), provider
        )
        self.codepipeline_role = self._role(
            "codepipeline",
            access.codepipeline_role,
            access.codepipeline_trust(),
            access.codepipeline_permissions(),
            provider,
        )
        self.pull_request_role = self._role(
            "pr",
            access.pull_request_role,
            access.build_trust((access.project("pr"),)),
            access.pull_request_permissions(),
            provider,
        )

    def _role(self, construct_id: str, name: str, trust, permissions, provider) -> iam_role.IamRole:
        role = iam_role.IamRole(
            self,
            f"{construct_id}-role",
            provider=provider,
            name=name,
            max_session_duration=MAX_SESSION_SECONDS,
            assume_role_policy=document(trust),
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
