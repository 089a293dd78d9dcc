"""What both deploy roles' definitions list: their own roles and policies, who they are,
the denies every boundary holds, and the actions both kinds of repository manage."""

from __future__ import annotations

from typing import TYPE_CHECKING

from datalake_cdktf import tags
from datalake_cdktf.iam.statements import Statement, allow, deny

if TYPE_CHECKING:
    from datalake_cdktf.iam.deploy.scope import DeployAccess

__all__ = [
    "DATA_DESTRUCTION",
    "IAM_POLICY_READ",
    "IAM_POLICY_WRITE",
    "IAM_ROLE_ATTACH",
    "IAM_ROLE_READ",
    "IAM_ROLE_WRITE",
    "KEY_ADMINISTRATION",
    "LOG_GROUP_MANAGEMENT",
    "OWNER_TAG",
    "PARAMETER_MANAGEMENT",
    "deploy_identities_are_immutable",
    "own_roles_and_policies",
    "pass_own_roles",
    "who_am_i",
]

OWNER_TAG = tags.OWNER
"""Default tag of every resource: the repository whose stack creates it (:data:`datalake_cdktf.tags.OWNER`)."""

IAM_ROLE_WRITE = (
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
)
"""What Terraform calls to manage a role and its inline policies."""
IAM_ROLE_ATTACH = ("iam:AttachRolePolicy", "iam:DetachRolePolicy")
"""Attaching managed policies to a role (granted for the repository's own policies only)."""
IAM_ROLE_READ = (
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:ListRolePolicies",
    "iam:ListRoleTags",
)
"""What Terraform reads of a role."""
IAM_POLICY_WRITE = (
    "iam:CreatePolicy",
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:TagPolicy",
    "iam:UntagPolicy",
)
"""What Terraform calls to manage a policy (a new version is created as the default)."""
IAM_POLICY_READ = ("iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyTags", "iam:ListPolicyVersions")
"""What Terraform reads of a managed policy."""

DATA_DESTRUCTION = (
    "glue:DeleteDatabase",
    "kms:DisableKey",
    "kms:ScheduleKeyDeletion",
    "s3:DeleteBucket",
    "s3:DeleteObjectVersion",
)
"""Denied to every deploy role and every role they create where ``protect_data`` is on.
Deleting an object only adds a delete marker in a versioned bucket; its versions stay."""

PARAMETER_MANAGEMENT = (
    "ssm:AddTagsToResource",
    "ssm:DeleteParameter",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:ListTagsForResource",
    "ssm:PutParameter",
    "ssm:RemoveTagsFromResource",
)
"""What Terraform calls to manage SSM parameters (the contract, a repository's own)."""
LOG_GROUP_MANAGEMENT = (
    "logs:AssociateKmsKey",
    "logs:CreateLogGroup",
    "logs:DeleteLogGroup",
    "logs:DeleteRetentionPolicy",
    "logs:DisassociateKmsKey",
    "logs:ListTagsForResource",
    "logs:ListTagsLogGroup",
    "logs:PutRetentionPolicy",
    "logs:TagLogGroup",
    "logs:TagResource",
    "logs:UntagLogGroup",
    "logs:UntagResource",
)
"""What Terraform calls to manage an encrypted log group with a retention."""
KEY_ADMINISTRATION = (
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)
"""What administering a key takes: the deploy role that creates a key is named with these
in the key's own policy (:mod:`datalake_cdktf.constructs.encryption_key`)."""


def own_roles_and_policies(access: DeployAccess) -> list[Statement]:
    """The repository's roles and managed policies (``<prefix>*``), each role with only
    the repository's own policies attached."""
    roles = access.iam_role(access.prefix + "*")
    policies = access.iam_policy(access.prefix + "*")
    return [
        allow("OwnRoles", [*IAM_ROLE_WRITE, *IAM_ROLE_READ], roles),
        allow("OwnPolicies", [*IAM_POLICY_WRITE, *IAM_POLICY_READ], policies),
        allow("AttachOnlyOwnPolicies", list(IAM_ROLE_ATTACH), roles, {"ArnLike": {"iam:PolicyARN": policies}}),
    ]


def pass_own_roles(access: DeployAccess, services: tuple[str, ...]) -> list[Statement]:
    """The repository's roles passed to ``services`` (service principals) and no other."""
    return [
        allow(
            "PassOwnRolesToTheServicesDeployed",
            ["iam:PassRole"],
            access.iam_role(access.prefix + "*"),
            {"StringEquals": {"iam:PassedToService": list(services)}},
        )
    ]


def who_am_i(access: DeployAccess) -> list[Statement]:
    """The caller's identity, which the AWS provider asks for first."""
    return [allow("WhoAmI", ["sts:GetCallerIdentity"], "*")]


def deploy_identities_are_immutable(access: DeployAccess) -> list[Statement]:
    """No pipeline edits its deploy or plan role, their policies or the boundary, creates a
    role without this boundary or takes the boundary off one. No boundary allows users,
    access keys or login profiles at all; these denies hold whatever the allows become."""
    return [
        deny("DeployIdentitiesAreImmutable", ["iam:*"], access.deploy_identities()),
        deny(
            "NewRolesCarryThisBoundary",
            ["iam:CreateRole", "iam:PutRolePermissionsBoundary"],
            "*",
            {"StringNotEquals": {"iam:PermissionsBoundary": access.boundary_arn}},
        ),
        deny("BoundaryStaysOnRoles", ["iam:DeleteRolePermissionsBoundary"], "*"),
    ]
