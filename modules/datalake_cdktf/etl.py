"""An ETL repository's app: everything its ``etl.yaml`` declares, in every environment.

A repository that builds on the library needs three lines in its ``main.py``::

    from datalake_cdktf.etl import build_etl_app

    app, stacks = build_etl_app("etl.yaml")  # etl.yaml names the repository: `repository: sales`
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

import warnings
from pathlib import Path

from datalake_cdktf.config import ConfigError, DeploymentConfig, load_deployment
from datalake_cdktf.config.etl import ETL_FILE, EtlConfig, load_etl_config, repository_of
from datalake_cdktf.config.loader import ConfigProblem
from datalake_cdktf.constructs.asset_folder import AssetFolder
from datalake_cdktf.constructs.datalake_contract import DataLakeContract
from datalake_cdktf.constructs.etl_workflow import EtlWorkflow, EtlWorkflowConfig
from datalake_cdktf.constructs.glue_job import GlueJob, GlueJobConfig, job_files
from datalake_cdktf.constructs.lambda_function import PythonFunction, PythonFunctionConfig
from datalake_cdktf.emulator import load_emulator_profile
from datalake_cdktf.engine import App, Construct, new_app
from datalake_cdktf.iam.statements import allow, objects_use_key
from datalake_cdktf.naming import bucket_arn
from datalake_cdktf.stack import EtlStack

__all__ = ["EtlRepository", "build_etl_app"]


class EtlRepository(Construct):
    """The jobs of ``etl`` (read from the folder ``root``) in ``stack``'s environment.

    Properties: ``contract`` (:class:`DataLakeContract`), ``files`` (:class:`AssetFolder`:
    the jobs' scripts and modules), ``jobs`` (name -> :class:`GlueJob`,
    in run order), ``functions`` (name -> :class:`PythonFunction`), ``workflow``
    (:class:`EtlWorkflow`)."""

    def __init__(self, stack: EtlStack, construct_id: str, *, etl: EtlConfig, root: Path, build_dir: Path):
        super().__init__(stack, construct_id)
        environment, repository, label = stack.environment, stack.repository, stack.label
        boundary = stack.config.boundary_arn(environment, repository)
        self.contract = DataLakeContract(self, "contract", label=label)
        jobs = etl.run_order()
        self.files = AssetFolder(
            self,
            "files",
            files={key: path for job in jobs for key, path in job_files(job, root).items()},
            staging=build_dir / "files",
        )
        # Created by datalake-<env> for each ETL repository (contract version 3).
        connections = tuple(label.glue_connection(repository.name, z) for z in environment.availability_zones)
        self.jobs: dict[str, GlueJob] = {}
        for job in jobs:
            self.jobs[job.name] = GlueJob(
                self,
                f"job-{job.name}",
                config=GlueJobConfig(
                    job=job,
                    root=root,
                    files=self.files,
                    label=stack.label,
                    repository=repository.name,
                    account_id=environment.account_id,
                    region=environment.region,
                    boundary_arn=stack.config.boundary_arn(environment, repository),
                    security_configuration=self.contract.value("glue/security-configuration/name"),
                    kms_key_arn=self.contract.kms_key_arn,
                    connections=connections,
                ),
            )
        workflow = etl.workflow
        arrivals: list = []
        if workflow.on_object_created:  # the validator reads what arrives, nothing else
            created = workflow.on_object_created
            bucket = bucket_arn(
                label.bucket(created.zone, environment.account_id, environment.region), environment.region
            )
            arrivals = [
                allow("ReadArrivingObjects", ["s3:GetObject"], f"{bucket}/{created.prefix}*"),
                # ... which are SSE-KMS with the data key: decrypted through S3, for this bucket only.
                objects_use_key(
                    "DecryptArrivingObjects",
                    ["kms:Decrypt"],
                    environment.region,
                    environment.account_id,
                    label.kms_alias("data"),
                    bucket,
                ),
            ]
        self.functions: dict[str, PythonFunction] = {}
        for function in etl.lambdas:
            self.functions[function.name] = PythonFunction(
                self,
                f"lambda-{function.name}",
                config=PythonFunctionConfig(
                    function=function,
                    root=root,
                    build_dir=build_dir,
                    label=label,
                    repository=repository.name,
                    account_id=environment.account_id,
                    region=environment.region,
                    boundary_arn=boundary,
                    kms_key_arn=self.contract.kms_key_arn,
                    protect=environment.protect_data,
                    statements=tuple(arrivals) if function.name == workflow.validate_with else (),
                ),
            )
        self.workflow = EtlWorkflow(
            self,
            "workflow",
            config=EtlWorkflowConfig(
                workflow=workflow,
                jobs=tuple(job.name for job in self.jobs.values()),
                validator=self.functions[workflow.validate_with].name if workflow.validate_with else None,
                functions=tuple(f.name for f in self.functions.values()),
                label=label,
                repository=repository.name,
                account_id=environment.account_id,
                region=environment.region,
                boundary_arn=boundary,
                kms_key_arn=self.contract.kms_key_arn,
            ),
        )


def build_etl_app(
    etl_file: Path | str = ETL_FILE,
    *,
    deployment: DeploymentConfig | None = None,
    outdir: str | Path | None = None,
    read_only: bool = False,
    repository: str | None = None,
) -> tuple[App, list[EtlStack]]:
    """One ``etl-<repository>-<env>`` stack per environment of the deployment (default:
    :func:`~datalake_cdktf.config.load_deployment`), for the repository ``etl_file`` names
    in ``repository:``.

    Both configs are validated first (a :class:`~datalake_cdktf.config.ConfigError`
    names the file, field and fix); the repository must be one of the deployment's ETL
    repositories. ``read_only``: plan through the repository's plan roles (pull requests).
    ``repository``: deprecated since 0.7.0 (name the repository in ``etl.yaml``); still
    accepted for an ``etl.yaml`` without ``repository:`` or naming the same one."""
    etl_file = Path(etl_file)
    etl = load_etl_config(etl_file)
    deployment = deployment or load_deployment()
    if repository is not None:
        warnings.warn(
            "build_etl_app(repository=...) is deprecated: name the repository in etl.yaml "
            f"('repository: {repository}') and drop the argument",
            DeprecationWarning,
            stacklevel=2,
        )
        if etl.repository not in (None, repository):
            fix = f"build_etl_app was given repository={repository!r}: drop the argument (this file names it)"
            raise ConfigError([ConfigProblem(etl_file, "repository", etl.repository, fix)], "ETL config")
        etl = etl.model_copy(update={"repository": repository})
    owner = repository_of(etl, deployment, etl_file)
    load_emulator_profile()  # a bad profile stops here too, before the engine starts
    app = new_app(outdir)
    build_dir = Path(app.outdir) / "build"  # Lambda packages and job files, before the stacks copy them
    stacks = []
    for environment in deployment.environments:
        stack = EtlStack(app, config=deployment, environment=environment, repository=owner, read_only=read_only)
        EtlRepository(stack, "etl", etl=etl, root=etl_file.parent, build_dir=build_dir)
        stacks.append(stack)
    return app, stacks
