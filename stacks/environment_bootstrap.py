"""``bootstrap-<env>``: the deploy role of one data-lake account.

Applied once by an administrator of that account (assuming ``admin_role_name`` from
the environment's config); from then on only that environment's pipelines deploy.
"""

from __future__ import annotations

from engine import Construct
from envs.model import DeploymentConfig, Environment
from envs.naming import account_root_arn, role_arn
from modules.deploy_role import DeployRole, DeployRoleConfig
from stacks.base import DeploymentStack


def stack_id(environment: Environment) -> str:
    return f"bootstrap-{environment.name}"


class EnvironmentBootstrapStack(DeploymentStack):
    """Property: ``deploy_role`` (:class:`DeployRole`)."""

    def __init__(self, scope: Construct, *, config: DeploymentConfig, environment: Environment):
        label = config.label(environment)
        super().__init__(
            scope,
            stack_id(environment),
            config=config,
            label=label,
            account_id=environment.account_id,
            region=environment.region,
            role_arn=role_arn(environment.account_id, environment.admin_role_name, environment.region),
        )
        central = config.central
        self.deploy_role = DeployRole(
            self,
            "deploy-role",
            config=DeployRoleConfig(
                role_name=label.deploy_role(),
                boundary_name=label.boundary_policy(),
                policy_name=label.policy("deploy"),
                account_id=environment.account_id,
                region=environment.region,
                trusted_account_root=account_root_arn(central.account_id, central.region),
                trusted_principal_arns=config.pipeline_role_arns(environment),
                name_prefix=label.name() + "-",
                protect_data=environment.protect_data,
            ),
        )
