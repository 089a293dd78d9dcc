"""``pipeline-<repo>-<env>``: one repository's pipeline of one environment, in the central account.

An administrator applies it once; from then on the pipeline plans it with the rest of its
stacks and its apply build applies it, once sealed (and approved, where the environment
requires approval), with the apply role, which may change nothing but this stack's own
resources: the pipeline, its test and plan builds, its topic and notification rules.
"""

from __future__ import annotations

from datalake_cdktf.config.model import DeploymentConfig, Environment, Repository
from datalake_cdktf.constructs.pipeline import Pipeline
from datalake_cdktf.engine import Construct
from datalake_cdktf.naming import pipeline_stack_id
from datalake_cdktf.stack import DeploymentStack

from stacks.environment_bootstrap import pipeline_config


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
            role_arn=None,  # the administrator once, then the pipeline's apply role
        )
        self.pipeline = Pipeline(self, "pipeline", config=pipeline_config(config, environment, repository))
