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
    read_only: bool = False,
) -> tuple[App, list[DeploymentStack]]:
    """Every stack of the deployment: ``central-bootstrap``, then per environment
    ``bootstrap-<env>``, ``datalake-<env>`` and one ``pipeline-<repo>-<env>`` per
    repository, in config order.

    ``outdir`` defaults to the engine's (``$CDKTF_OUTDIR`` under the cdktf CLI, else
    ``cdktf.out``); ``read_only`` makes the data-lake stacks plan through the read-only
    plan roles (pull requests)."""
    app = new_app(outdir)
    stacks: list[DeploymentStack] = [CentralBootstrapStack(app, config=config, local_state=local_bootstrap_state)]
    for environment in config.environments:
        stacks.append(EnvironmentBootstrapStack(app, config=config, environment=environment))
        stacks.append(DataLakeStack(app, config=config, environment=environment, read_only=read_only))
        for repository in config.repositories.all:
            stacks.append(PipelineStack(app, config=config, environment=environment, repository=repository))
    return app, stacks
