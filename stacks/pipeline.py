"""``pipeline-<repo>-<env>``: one repository's pipeline of one environment, in the central account.

An administrator applies it once; from then on the pipeline's UpdatePipeline build
applies it (with the pipeline's own build role, which may change nothing but this stack).
"""

from __future__ import annotations

from datalake_cdktf.config.model import DeploymentConfig, Environment, Repository
from datalake_cdktf.constructs.pipeline import Pipeline, PipelineConfig
from datalake_cdktf.engine import Construct
from datalake_cdktf.naming import pipeline_stack_id
from datalake_cdktf.stack import DeploymentStack

from stacks.environment_bootstrap import pipeline_access


class PipelineStack(DeploymentStack):
    """Property: ``pipeline`` (:class:`~datalake_cdktf.constructs.pipeline.Pipeline`)."""

    def __init__(self, scope: Construct, *, config: DeploymentConfig, environment: Environment, repository: Repository):
        central = config.central
        super().__init__(
            scope,
            pipeline_stack_id(repository.name, environment.name),
            config=config,
            label=config.label(environment),
            repository=repository.name,
            account_id=central.account_id,
            region=central.region,
            role_arn=None,  # the administrator once, then the pipeline's own build role
        )
        infrastructure = config.repositories.infrastructure
        access = pipeline_access(config, environment, repository)
        self.pipeline = Pipeline(
            self,
            "pipeline",
            config=PipelineConfig(
                access=access,
                environment=environment.name,
                branch=environment.branch,
                repository_id=repository.full_repository_id,
                definitions_id=None if repository == infrastructure else infrastructure.full_repository_id,
                source_provider=config.source.provider,
                connection_name=config.source_connection_name,
                approval=environment.approval_required,
                build_image=config.pipelines.build_image,
                drift_schedule=config.pipelines.drift_schedule,
                log_retention_days=config.pipelines.log_retention_days,
                terraform=config.pipelines.terraform,
                package_index=config.pipelines.package_index,
                pull_request_token=access.pull_request_token,
                pull_request_authors=config.pipelines.pull_request_authors,
            ),
        )
