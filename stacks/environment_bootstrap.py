"""``bootstrap-<env>``: both ends of one environment's trust, applied once by an administrator.

In the central account, one pipeline role per repository; in the environment's account,
one deploy role per repository (trusted only by that repository's pipeline role), with
its permissions boundary, and the account-wide S3 public access block. From then on only
the pipelines deploy into the environment, each through its own deploy role.

The administrator runs it with central-account credentials (the provider ``central``
and the state) that may assume ``admin_role_name`` in the environment's account.
"""

from __future__ import annotations

from datalake_cdktf.config.model import DeploymentConfig, Environment, Repository
from datalake_cdktf.constructs.deploy_role import DeployRole
from datalake_cdktf.constructs.pipeline_identities import PipelineIdentities
from datalake_cdktf.engine import Construct
from datalake_cdktf.engine.aws import s3_account_public_access_block
from datalake_cdktf.iam.deploy.scope import DeployAccess
from datalake_cdktf.naming import bootstrap_stack_id, pipeline_stack_id, role_arn
from datalake_cdktf.pipeline_access import PipelineAccess
from datalake_cdktf.stack import DeploymentStack


class EnvironmentBootstrapStack(DeploymentStack):
    """Properties: ``deploy_roles`` and ``pipelines`` (repository name -> construct)."""

    def __init__(self, scope: Construct, *, config: DeploymentConfig, environment: Environment):
        super().__init__(
            scope,
            bootstrap_stack_id(environment.name),
            config=config,
            label=config.label(environment),
            repository=config.repositories.infrastructure.name,
            account_id=environment.account_id,
            region=environment.region,
            role_arn=role_arn(
                account_id=environment.account_id, role_name=environment.admin_role_name, region=environment.region
            ),
        )
        central = self.add_provider(
            "central", account_id=config.central.account_id, region=config.central.region, role_arn=None
        )
        # No bucket in the account can be made public, whatever its own settings say.
        s3_account_public_access_block.S3AccountPublicAccessBlock(
            self,
            "account-public-access-block",
            account_id=environment.account_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        self.pipelines: dict[str, PipelineIdentities] = {}
        self.deploy_roles: dict[str, DeployRole] = {}
        for repository in config.repositories.all:
            pipeline = PipelineIdentities(
                self,
                f"{repository.name}-pipeline",
                access=pipeline_access(config, environment, repository),
                access_log_bucket=config.central_bucket("access-logs"),
                provider=central,
            )
            self.pipelines[repository.name] = pipeline
            self.deploy_roles[repository.name] = DeployRole(
                self,
                f"{repository.name}-deploy",
                access=deploy_access(config, environment, repository),
                depends_on=[pipeline.build_role, pipeline.pull_request_role],
            )


def deploy_access(config: DeploymentConfig, environment: Environment, repository: Repository) -> DeployAccess:
    """What ``repository``'s deploy role may do in ``environment``'s account."""
    return DeployAccess(
        label=config.label(environment),
        account_id=environment.account_id,
        region=environment.region,
        repository=repository.name,
        infrastructure=config.is_infrastructure(repository),
        pipeline_role_arn=config.pipeline_role_arn(environment, repository),
        pull_request_role_arn=config.pull_request_role_arn(environment, repository),
        protect_data=environment.protect_data,
    )


def pipeline_access(config: DeploymentConfig, environment: Environment, repository: Repository) -> PipelineAccess:
    """What ``repository``'s pipeline of ``environment`` may do in the central account."""
    central = config.central
    infrastructure = config.repositories.infrastructure
    sources = (repository.full_repository_id,)
    if repository != infrastructure:  # an ETL pipeline reads its definition from there
        sources += (infrastructure.full_repository_id,)
    return PipelineAccess(
        label=config.label(environment),
        repository=repository.name,
        account_id=central.account_id,
        region=central.region,
        deploy_role_arn=config.deploy_role_arn(environment, repository),
        plan_role_arn=config.plan_role_arn(environment, repository),
        state_bucket=config.state_bucket,
        state_key_alias=config.state_key_alias,
        deployed_stacks=config.deployed_stacks(environment, repository),
        pipeline_stack=pipeline_stack_id(repository.name, environment.name),
        artifact_key_alias=config.artifact_key_alias,
        notification_key_alias=config.notification_key_alias,
        source_repositories=sources,
        codecommit=not config.source.uses_connection,
        pull_request_token=config.secrets.get("pull_request_token") if config.pipelines.pull_request_comments else None,
    )
