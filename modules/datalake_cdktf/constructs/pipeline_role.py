"""A repository's pipeline role of one environment, in the central account.

It is the only principal the repository's deploy role in that environment trusts, and
it can do no more than deploy there: assume that one deploy role, and read and write
the Terraform state of that repository's stacks of that environment. It lives in
``bootstrap-<env>`` beside the deploy role it assumes, applied by an administrator, so
no pipeline can edit the role it runs as.
"""

from __future__ import annotations

from dataclasses import dataclass

from datalake_cdktf import naming
from datalake_cdktf.constructs.policy import Statement, document
from datalake_cdktf.engine import Construct, TerraformProvider
from datalake_cdktf.engine.aws import iam_role, iam_role_policy

MAX_SESSION_SECONDS = 3600


@dataclass(frozen=True)
class PipelineRoleConfig:
    """- ``role_name``: ``<project>-<env>-<repository>-pipeline`` (naming helper).
    - ``account_id`` / ``region``: the central account.
    - ``build_project_prefix``: CodeBuild projects allowed to run as this role
      (``<project>-<env>-<repository>-``); the pipeline stacks create them.
    - ``deploy_role_arn``: the one role it may assume.
    - ``state_bucket`` / ``state_stacks``: the stacks whose state keys
      (``<stack>/*``) it may read and write; ``state_key_alias``: the key of that state.
    """

    role_name: str
    account_id: str
    region: str
    build_project_prefix: str
    deploy_role_arn: str
    state_bucket: str
    state_stacks: tuple[str, ...]
    state_key_alias: str

    def trust(self) -> Statement:
        return {
            "Sid": "OnlyThisPipelinesBuilds",
            "Effect": "Allow",
            "Principal": {"Service": "codebuild.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": self.account_id},
                "ArnLike": {
                    "aws:SourceArn": naming.arn(
                        "codebuild", self.region, self.account_id, f"project/{self.build_project_prefix}*"
                    )
                },
            },
        }

    def permissions(self) -> list[Statement]:
        bucket = naming.bucket_arn(self.state_bucket, self.region)
        return [
            {
                "Sid": "AssumeOnlyItsDeployRole",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": self.deploy_role_arn,
            },
            {
                # Listing shows key names only; reading and writing stay per stack.
                "Sid": "ListTheStateBucket",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": bucket,
            },
            {
                "Sid": "ItsOwnStacksState",
                "Effect": "Allow",
                "Action": ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
                "Resource": [f"{bucket}/{stack}/*" for stack in self.state_stacks],
            },
            {
                "Sid": "TheStateKeyThroughS3",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                "Resource": naming.arn("kms", self.region, self.account_id, "key/*"),
                "Condition": {
                    "ForAnyValue:StringEquals": {"kms:ResourceAliases": [self.state_key_alias]},
                    "StringEquals": {"kms:ViaService": f"s3.{self.region}.amazonaws.com"},
                },
            },
            {"Sid": "WhoAmI", "Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"},
        ]


class PipelineRole(Construct):
    """The role and its inline policy, created through ``provider`` (the central account's).

    Property: ``role`` (the ``aws_iam_role``), ``config``.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: PipelineRoleConfig, provider: TerraformProvider):
        super().__init__(scope, construct_id)
        self.config = config
        self.role = iam_role.IamRole(
            self,
            "role",
            provider=provider,
            name=config.role_name,
            description="Runs this repository's pipeline builds for one environment",
            max_session_duration=MAX_SESSION_SECONDS,
            assume_role_policy=document(config.trust()),
        )
        iam_role_policy.IamRolePolicy(
            self,
            "permissions",
            provider=provider,
            role=self.role.id,
            name="deploy",
            policy=document(*config.permissions()),
        )
