"""The role pipelines assume in a data-lake account, and the boundary that caps it."""

from __future__ import annotations

from dataclasses import dataclass

from engine import Construct
from engine.aws import iam_policy, iam_role, iam_role_policy_attachment
from envs import naming
from modules.policy import Statement, document

REGIONAL_SERVICES = (
    "cloudwatch",
    "ec2",
    "events",
    "glue",
    "kms",
    "lambda",
    "logs",
    "secretsmanager",
    "sns",
    "sqs",
    "ssm",
    "states",
)
"""Services the data-lake and ETL stacks deploy; allowed only in the environment's region."""

IAM_ACTIONS = (
    "iam:AttachRolePolicy",
    "iam:CreatePolicy",
    "iam:CreatePolicyVersion",
    "iam:CreateRole",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:ListPolicyTags",
    "iam:ListPolicyVersions",
    "iam:ListRolePolicies",
    "iam:ListRoleTags",
    "iam:PassRole",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:TagPolicy",
    "iam:TagRole",
    "iam:UntagPolicy",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
)
"""What Terraform needs to manage the stacks' own roles and policies: no users, no keys."""

MAX_SESSION_SECONDS = 3600


@dataclass(frozen=True)
class DeployRoleConfig:
    """- ``role_name`` / ``boundary_name`` / ``policy_name``: from the naming helper.
    - ``trusted_principal_arns``: the only roles that may assume this one (the
      central account's pipeline roles of this environment); ``trusted_account_root``
      is their account.
    - ``name_prefix``: ``<project>-<env>-``; the role may manage only buckets, roles
      and policies whose names start with it.
    - ``protect_data``: also deny deleting buckets, KMS keys and Glue databases.
    """

    role_name: str
    boundary_name: str
    policy_name: str
    account_id: str
    region: str
    trusted_account_root: str
    trusted_principal_arns: tuple[str, ...]
    name_prefix: str
    protect_data: bool = True


class DeployRole(Construct):
    """Properties: ``role_arn``, ``boundary_arn``."""

    def __init__(self, scope: Construct, construct_id: str, *, config: DeployRoleConfig):
        super().__init__(scope, construct_id)
        self.config = config
        self.boundary = iam_policy.IamPolicy(
            self,
            "boundary",
            name=config.boundary_name,
            description="Ceiling of the deploy role and of every role it creates",
            policy=document(*self.boundary_statements()),
        )
        self.role = iam_role.IamRole(
            self,
            "role",
            name=config.role_name,
            description="Assumed by this environment's pipelines in the central account",
            max_session_duration=MAX_SESSION_SECONDS,
            permissions_boundary=self.boundary.arn,
            assume_role_policy=document(self.trust_statement()),
        )
        permissions = iam_policy.IamPolicy(
            self,
            "permissions",
            name=config.policy_name,
            description="What the pipelines may deploy into this data-lake account",
            policy=document(*self.permission_statements()),
        )
        iam_role_policy_attachment.IamRolePolicyAttachment(
            self, "permissions-attachment", role=self.role.name, policy_arn=permissions.arn
        )

    # The three documents are methods so tests and the IAM linter can read them.

    def trust_statement(self) -> Statement:
        config = self.config
        return {
            "Sid": "OnlyThisEnvironmentsPipelines",
            "Effect": "Allow",
            "Principal": {"AWS": config.trusted_account_root},
            "Action": "sts:AssumeRole",
            "Condition": {"ArnEquals": {"aws:PrincipalArn": sorted(config.trusted_principal_arns)}},
        }

    def permission_statements(self) -> list[Statement]:
        config, prefix = self.config, self.config.name_prefix
        return [
            {
                "Sid": "DataLakeServicesInOwnRegion",
                "Effect": "Allow",
                "Action": [f"{service}:*" for service in REGIONAL_SERVICES],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": config.region}},
            },
            {
                "Sid": "OwnBuckets",
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": [
                    naming.bucket_arn(f"{prefix}*", config.region),
                    naming.bucket_arn(f"{prefix}*/*", config.region),
                ],
            },
            {
                "Sid": "OwnRolesAndPolicies",
                "Effect": "Allow",
                "Action": list(IAM_ACTIONS),
                "Resource": [
                    naming.role_arn(config.account_id, f"{prefix}*", config.region),
                    naming.policy_arn(config.account_id, f"{prefix}*", config.region),
                ],
            },
            {
                "Sid": "WhoAmI",
                "Effect": "Allow",
                "Action": "sts:GetCallerIdentity",
                "Resource": "*",
            },
        ]

    def boundary_statements(self) -> list[Statement]:
        config = self.config
        boundary_arn = naming.policy_arn(config.account_id, config.boundary_name, config.region)
        deploy_role_arn = naming.role_arn(config.account_id, config.role_name, config.region)
        statements: list[Statement] = [
            {
                "Sid": "Ceiling",
                "Effect": "Allow",
                "Action": sorted(
                    {*(f"{s}:*" for s in (*REGIONAL_SERVICES, "s3")), *IAM_ACTIONS, "sts:GetCallerIdentity"}
                ),
                "Resource": "*",
            },
            {
                "Sid": "NoLongLivedCredentials",
                "Effect": "Deny",
                "Action": [
                    "iam:CreateAccessKey",
                    "iam:CreateLoginProfile",
                    "iam:CreateUser",
                    "iam:UpdateLoginProfile",
                ],
                "Resource": "*",
            },
            {
                "Sid": "BoundaryIsImmutable",
                "Effect": "Deny",
                "Action": [
                    "iam:CreatePolicyVersion",
                    "iam:DeletePolicy",
                    "iam:DeletePolicyVersion",
                    "iam:SetDefaultPolicyVersion",
                ],
                "Resource": boundary_arn,
            },
            {
                "Sid": "DeployRoleIsImmutable",
                "Effect": "Deny",
                "Action": [
                    "iam:AttachRolePolicy",
                    "iam:DeleteRole",
                    "iam:DeleteRolePermissionsBoundary",
                    "iam:DeleteRolePolicy",
                    "iam:DetachRolePolicy",
                    "iam:PutRolePermissionsBoundary",
                    "iam:PutRolePolicy",
                    "iam:UpdateAssumeRolePolicy",
                    "iam:UpdateRole",
                ],
                "Resource": deploy_role_arn,
            },
            {
                "Sid": "NewRolesCarryTheBoundary",
                "Effect": "Deny",
                "Action": ["iam:CreateRole", "iam:PutRolePermissionsBoundary"],
                "Resource": "*",
                "Condition": {"StringNotEquals": {"iam:PermissionsBoundary": boundary_arn}},
            },
            {
                "Sid": "BoundaryStaysOnRoles",
                "Effect": "Deny",
                "Action": "iam:DeleteRolePermissionsBoundary",
                "Resource": "*",
            },
        ]
        if config.protect_data:
            statements.append(
                {
                    "Sid": "DataIsNotDestroyed",
                    "Effect": "Deny",
                    "Action": [
                        "glue:DeleteDatabase",
                        "kms:DisableKey",
                        "kms:ScheduleKeyDeletion",
                        "s3:DeleteBucket",
                    ],
                    "Resource": "*",
                }
            )
        return statements

    @property
    def role_arn(self) -> str:
        return self.role.arn

    @property
    def boundary_arn(self) -> str:
        return self.boundary.arn
