"""A repository's deploy role in one data-lake account, and the boundary that caps it."""

from __future__ import annotations

from datalake_cdktf.engine import Construct
from datalake_cdktf.engine.aws import iam_policy, iam_role, iam_role_policy_attachment
from datalake_cdktf.iam.deploy.scope import DeployAccess
from datalake_cdktf.iam.statements import document

__all__ = [
    "MAX_SESSION_SECONDS",
    "DeployRole",
]

MAX_SESSION_SECONDS = 3600
"""How long a session of the roles made here may last (one hour, IAM's default)."""


class DeployRole(Construct):
    """Role ``<project>-<env>-<repository>-deploy``, its managed policies
    (``...-deploy``, then ``...-deploy-2``, ``-3``, ... as IAM's size limit needs), its
    permissions boundary ``<project>-<env>-<repository>-boundary``, and the read-only
    plan role ``...-plan`` with its policy, as
    :class:`~datalake_cdktf.iam.deploy.scope.DeployAccess` describes them.

    ``depends_on``: resources that must exist first (the trusted pipeline role: IAM
    refuses a trust policy that names a role that does not exist yet).

    Properties: ``role_arn``, ``boundary_arn``, ``scope`` (the documents' source).
    """

    def __init__(self, scope: Construct, construct_id: str, *, access: DeployAccess, depends_on: list | None = None):
        super().__init__(scope, construct_id)
        self.scope = access
        self.boundary = iam_policy.IamPolicy(
            self,
            "boundary",
            name=access.boundary_name,
            description=f"Ceiling of the {access.repository} deploy role and of every role it creates",
            policy=document(*access.boundary()),
        )
        self.role = iam_role.IamRole(
            self,
            "role",
            name=access.role_name,
            description=f"Assumed only by the {access.repository} pipeline of this environment",
            max_session_duration=MAX_SESSION_SECONDS,
            permissions_boundary=self.boundary.arn,
            assume_role_policy=document(access.trust()),
            depends_on=depends_on,
        )
        for name, statements in access.permissions().items():
            construct_id = name.removeprefix(access.prefix)  # deploy, deploy-2, ...
            permissions = iam_policy.IamPolicy(
                self,
                construct_id,
                name=name,
                description=f"What the {access.repository} pipeline deploys into this account",
                policy=document(*statements),
            )
            iam_role_policy_attachment.IamRolePolicyAttachment(
                self, f"{construct_id}-attachment", role=self.role.name, policy_arn=permissions.arn
            )

        # The read-only twin for pull-request plans, under the same boundary.
        self.plan_role = iam_role.IamRole(
            self,
            "plan-role",
            name=access.plan_role_name,
            description=f"Read-only plans of {access.repository} pull requests for this environment",
            max_session_duration=MAX_SESSION_SECONDS,
            permissions_boundary=self.boundary.arn,
            assume_role_policy=document(access.plan_trust()),
            depends_on=depends_on,
        )
        plan_policy = iam_policy.IamPolicy(
            self,
            "plan",
            name=access.plan_role_name,
            description=f"What a {access.repository} pull-request plan reads in this account",
            policy=document(*access.plan_permissions()),
        )
        iam_role_policy_attachment.IamRolePolicyAttachment(
            self, "plan-attachment", role=self.plan_role.name, policy_arn=plan_policy.arn
        )

    @property
    def role_arn(self) -> str:
        return self.role.arn

    @property
    def boundary_arn(self) -> str:
        return self.boundary.arn
