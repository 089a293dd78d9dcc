"""The stacks of a deployment, and :func:`build_app` that wires them from config."""

from __future__ import annotations

from pathlib import Path

from datalake_cdktf.config.model import DeploymentConfig
from datalake_cdktf.engine import App, new_app
from datalake_cdktf.stack import DeploymentStack

from stacks.central_bootstrap import CentralBootstrapStack
from stacks.datalake import DataLakeStack
from stacks.environment_bootstrap import EnvironmentBootstrapStack
from stacks.pipeline import PipelineStack

__all__ = [
    "CentralBootstrapStack",
    "DataLakeStack",
    "DeploymentStack",
    "EnvironmentBootstrapStack",
    "PipelineStack",
    "build_app",
]


def build_app(
    config: DeploymentConfig,
    outdir: str | Path | None = None,
    *,
    local_bootstrap_state: bool = False,
) -> tuple[App, list[DeploymentStack]]:
    """Every stack of the deployment: ``central-bootstrap``, then per environment
    ``bootstrap-<env>``, ``datalake-<env>`` and one ``pipeline-<repo>-<env>`` per
    repository, in config order.

    Each stack declares what must be applied before it, the order of the bootstrap
    runbook, so ``cdktf deploy`` orders any selection of them: ``bootstrap-<env>`` after
    ``central-bootstrap`` (the state bucket and key); each ``pipeline-<repo>-<env>`` after
    ``bootstrap-<env>`` (the deploy roles its role assumes); ``datalake-<env>`` after the
    infrastructure repository's ``pipeline-<repo>-<env>`` (its deploy role trusts only
    that pipeline's role).

    ``outdir`` defaults to the engine's (``$CDKTF_OUTDIR`` under the cdktf CLI, else
    ``cdktf.out``)."""
    app = new_app(outdir)
    central = CentralBootstrapStack(app, config=config, local_state=local_bootstrap_state)
    stacks: list[DeploymentStack] = [central]
    for environment in config.environments:
        bootstrap = EnvironmentBootstrapStack(app, config=config, environment=environment)
        bootstrap.add_dependency(central)
        datalake = DataLakeStack(app, config=config, environment=environment)
        stacks += [bootstrap, datalake]
        for repository in config.repositories.all:
            pipeline = PipelineStack(app, config=config, environment=environment, repository=repository)
            pipeline.add_dependency(bootstrap)
            if repository == config.repositories.infrastructure:
                datalake.add_dependency(pipeline)
            stacks.append(pipeline)
    return app, stacks
