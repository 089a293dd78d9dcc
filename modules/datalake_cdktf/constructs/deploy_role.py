"""A repository's deploy role in one data-lake account, and the boundary that caps it."""

from __future__ import annotations

from datalake_cdktf.engine import Construct
from datalake_cdktf.engine.aws import iam_policy, iam_role, iam_role_policy, iam_role_policy_attachment
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
    plan role ``...-plan`` and drift role ``...-drift`` with their policies, as
    :class:`~datalake_cdktf.iam.deploy.scope.DeployAccess` describes them.

    ``depends_on``: resources that must exist first (the trusted central roles: IAM
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

        # The read-only twins under the same boundary: the plan role (the repository's code
        # plans through it and reads nothing live) and the drift role (the administrator's
        # drift check reads the live configuration through it).
        self.plan_role = self._reader(
            "plan",
            access.plan_role_name,
            trust=access.plan_trust(),
            permissions=access.plan_permissions(),
            what=f"Read-only plans of {access.repository}'s code for this environment",
            depends_on=depends_on,
        )
        self.drift_role = self._reader(
            "drift",
            access.drift_role_name,
            trust=access.drift_trust(),
            permissions=access.drift_permissions(),
            what=f"The administrator's drift check of {access.repository} in this environment",
            depends_on=depends_on,
        )

    def _reader(self, construct_id: str, name: str, *, trust, permissions, what: str, depends_on) -> iam_role.IamRole:
        """A role ``name`` (``<id>-role``) with its one policy inline (``<id>``): the boundary's
        denial of every IAM action on the role covers it, with no policy ARN of its own."""
        role = iam_role.IamRole(
            self,
            f"{construct_id}-role",
            name=name,
            description=what,
            max_session_duration=MAX_SESSION_SECONDS,
            permissions_boundary=self.boundary.arn,
            assume_role_policy=document(trust),
            depends_on=depends_on,
        )
        iam_role_policy.IamRolePolicy(self, construct_id, role=role.id, name=name, policy=document(*permissions))
        return role

    @property
    def role_arn(self) -> str:
        return self.role.arn

    @property
    def boundary_arn(self) -> str:
        return self.boundary.arn
