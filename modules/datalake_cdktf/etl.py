"""An ETL repository's app: everything its ``etl.yaml`` declares, in every environment.

A repository that builds on the library needs three lines in its ``main.py``::

    from datalake_cdktf.etl import build_etl_app

    app, stacks = build_etl_app("etl.yaml", repository="sales")
    app.synth()

:func:`build_etl_app` reads the deployment from the single source of truth
(:func:`~datalake_cdktf.config.load_deployment`), validates ``etl.yaml``
(:func:`~datalake_cdktf.config.etl.load_etl_config`) before the engine starts, and
builds one ``etl-<repo>-<env>`` stack per environment, each holding an
:class:`EtlRepository`. A repository with needs of its own builds its stacks itself
from :class:`~datalake_cdktf.stack.EtlStack` and :class:`EtlRepository` (or the
constructs they use).
"""

from __future__ import annotations

from pathlib import Path

from datalake_cdktf.config import DeploymentConfig, load_deployment
from datalake_cdktf.config.etl import ETL_FILE, EtlConfig, load_etl_config
from datalake_cdktf.constructs.datalake_contract import DataLakeContract
from datalake_cdktf.constructs.glue_job import GlueJob, GlueJobConfig
from datalake_cdktf.engine import App, Construct, new_app
from datalake_cdktf.stack import EtlStack

__all__ = ["EtlRepository", "build_etl_app"]


class EtlRepository(Construct):
    """The jobs of ``etl`` (read from the folder ``root``) in ``stack``'s environment.

    Properties: ``contract`` (:class:`DataLakeContract`), ``jobs`` (name -> :class:`GlueJob`,
    in run order)."""

    def __init__(self, stack: EtlStack, construct_id: str, *, etl: EtlConfig, root: Path):
        super().__init__(stack, construct_id)
        environment, repository = stack.environment, stack.repository
        self.contract = DataLakeContract(self, "contract", label=stack.label)
        self.jobs: dict[str, GlueJob] = {}
        for job in etl.run_order():
            self.jobs[job.name] = GlueJob(
                self,
                f"job-{job.name}",
                config=GlueJobConfig(
                    job=job,
                    root=root,
                    label=stack.label,
                    repository=repository.name,
                    account_id=environment.account_id,
                    region=environment.region,
                    boundary_arn=stack.config.boundary_arn(environment, repository),
                    security_configuration=self.contract.value("glue/security-configuration/name"),
                    kms_key_arn=self.contract.kms_key_arn,
                ),
            )


def build_etl_app(
    etl_file: Path | str = ETL_FILE,
    *,
    repository: str,
    deployment: DeploymentConfig | None = None,
    outdir: str | Path | None = None,
    read_only: bool = False,
) -> tuple[App, list[EtlStack]]:
    """One ``etl-<repository>-<env>`` stack per environment of the deployment.

    Both configs are validated first (a :class:`~datalake_cdktf.config.ConfigError`
    names the file, field and fix); ``repository`` must be one of the deployment's ETL
    repositories. ``read_only``: plan through the repository's plan roles (pull requests)."""
    etl_file = Path(etl_file)
    etl = load_etl_config(etl_file)
    deployment = deployment or load_deployment()
    app = new_app(outdir)
    stacks = []
    for environment in deployment.environments:
        stack = EtlStack(app, config=deployment, environment=environment, repository=repository, read_only=read_only)
        EtlRepository(stack, "etl", etl=etl, root=etl_file.parent)
        stacks.append(stack)
    return app, stacks
