"""``bootstrap-<env>``: both ends of one environment's trust, applied once by an administrator.

In the central account, per repository: the pipeline's artifact bucket, its roles, and
the administrator's builds (the gate's seal, apply, drift and comment builds, the pull
request's build, and what starts each outside a run); in the environment's account, per
repository, the deploy role (trusted only by that repository's apply build), the
read-only plan and drift roles, their permissions boundary; and the account-wide S3
public access block. From then on only the pipelines deploy into the environment, each
through its own apply build and deploy role, and no pipeline can change what here it runs.

The administrator runs it with central-account credentials (the provider ``central``
and the state) that may assume ``admin_role_name`` in the environment's account.
"""

from __future__ import annotations

from datalake_cdktf.builds import BUILDS
from datalake_cdktf.config.model import DeploymentConfig, Environment, Repository
from datalake_cdktf.constructs.deploy_role import DeployRole
from datalake_cdktf.constructs.pipeline import AdministeredBuilds, PipelineConfig
from datalake_cdktf.constructs.pipeline_identities import PipelineIdentities
from datalake_cdktf.engine import Construct
from datalake_cdktf.engine.aws import s3_account_public_access_block
from datalake_cdktf.iam.deploy.scope import DeployAccess
from datalake_cdktf.naming import bootstrap_stack_id, pipeline_stack_id, role_arn
from datalake_cdktf.pipeline_access import PipelineAccess
from datalake_cdktf.stack import DeploymentStack


class EnvironmentBootstrapStack(DeploymentStack):
    """Properties: ``deploy_roles``, ``pipelines`` and ``builds`` (repository name -> construct)."""

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
        self.builds: dict[str, AdministeredBuilds] = {}
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
            self.builds[repository.name] = AdministeredBuilds(
                self,
                f"{repository.name}-builds",
                config=pipeline_config(config, environment, repository),
                provider=central,
            )
            self.deploy_roles[repository.name] = DeployRole(
                self,
                f"{repository.name}-deploy",
                access=deploy_access(config, environment, repository),
                depends_on=list(pipeline.roles.values()),
            )


def deploy_access(config: DeploymentConfig, environment: Environment, repository: Repository) -> DeployAccess:
    """What ``repository``'s deploy role may do in ``environment``'s account."""
    return DeployAccess(
        label=config.label(environment),
        account_id=environment.account_id,
        region=environment.region,
        repository=repository.name,
        infrastructure=config.is_infrastructure(repository),
        apply_role_arn=config.apply_role_arn(environment, repository),
        code_role_arns=(
            config.pipeline_role_arn(environment, repository),
            config.pull_request_role_arn(environment, repository),
        ),
        review_role_arn=config.review_role_arn(environment, repository),
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
        drift_role_arn=config.drift_role_arn(environment, repository),
        state_bucket=config.state_bucket,
        state_key_alias=config.state_key_alias,
        deployed_stacks=config.deployed_stacks(environment, repository),
        pipeline_stack=pipeline_stack_id(repository.name, environment.name),
        artifact_key_alias=config.artifact_key_alias,
        notification_key_alias=config.notification_key_alias,
        source_repositories=sources,
        codecommit=not config.source.uses_connection,
        pull_request_token=pull_request_token(config, repository),
        pipeline_builds=tuple(build.name for build in BUILDS if not build.administered),
        builds=tuple(build.name for build in BUILDS),
    )


def pull_request_token(config: DeploymentConfig, repository: Repository) -> str | None:
    """The Secrets Manager name of ``repository``'s comment token, where its pull requests
    get comments (None elsewhere)."""
    if config.pipelines.pull_request_comments and config.source.host.comments:
        return repository.pull_request_token
    return None


def pipeline_config(config: DeploymentConfig, environment: Environment, repository: Repository) -> PipelineConfig:
    """Everything about ``repository``'s pipeline of ``environment``: what the pipeline
    stack and the administrator's builds in ``bootstrap-<env>`` are both made from."""
    infrastructure = config.repositories.infrastructure
    pipelines = config.pipelines
    access = pipeline_access(config, environment, repository)
    return PipelineConfig(
        access=access,
        environment=environment.name,
        branch=environment.branch,
        repository_id=repository.full_repository_id,
        definitions_id=None if repository == infrastructure else infrastructure.full_repository_id,
        source_provider=config.source.provider,
        connection_name=config.source_connection_name,
        approval=environment.approval_required,
        build_image=pipelines.build_image,
        drift_schedule=pipelines.drift_schedule,
        log_retention_days=pipelines.log_retention_days,
        terraform=pipelines.terraform,
        package_index=pipelines.package_index,
        pull_request_authors=pipelines.pull_request_authors,
    )
