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
constructs they use, each given the repository's
:class:`~datalake_cdktf.context.RepositoryContext` as ``context=``:
``stack.config.repository_context(stack.environment, stack.repository)``).
"""

from __future__ import annotations

import warnings
from pathlib import Path

from datalake_cdktf.config import ConfigError, DeploymentConfig, load_deployment
from datalake_cdktf.config.etl import ETL_FILE, EtlConfig, LambdaFunction, Workflow, load_etl_config, repository_of
from datalake_cdktf.config.loader import ConfigProblem
from datalake_cdktf.constructs.asset_folder import AssetFolder
from datalake_cdktf.constructs.datalake_contract import DataLakeContract
from datalake_cdktf.constructs.etl_workflow import EtlWorkflow, EtlWorkflowConfig
from datalake_cdktf.constructs.glue_job import GlueJob, GlueJobConfig, job_files
from datalake_cdktf.constructs.lambda_function import PythonFunction, PythonFunctionConfig
from datalake_cdktf.emulator import load_emulator_profile
from datalake_cdktf.engine import App, Construct, new_app
from datalake_cdktf.iam.etl_roles import arriving_objects
from datalake_cdktf.iam.statements import Statement
from datalake_cdktf.stack import READ_ONLY_DEPRECATED, EtlStack

__all__ = ["EtlRepository", "build_etl_app"]


class EtlRepository(Construct):
    """The jobs of ``etl`` (read from the folder ``root``) in ``stack``'s environment.

    Properties: ``context`` (:class:`~datalake_cdktf.context.RepositoryContext`: the
    repository in the environment), ``contract`` (:class:`DataLakeContract`), ``files``
    (:class:`AssetFolder`: the jobs' scripts and modules), ``jobs`` (name ->
    :class:`GlueJob`, in run order), ``functions`` (name -> :class:`PythonFunction`),
    ``workflow`` (:class:`EtlWorkflow`)."""

    def __init__(self, stack: EtlStack, construct_id: str, *, etl: EtlConfig, root: Path, build_dir: Path):
        super().__init__(stack, construct_id)
        environment = stack.environment
        self.context = context = stack.config.repository_context(environment, stack.repository)
        self.contract = DataLakeContract(self, "contract", label=context.label)
        jobs = etl.run_order()
        self.files = AssetFolder(
            self,
            "files",
            files={key: path for job in jobs for key, path in job_files(job, root).items()},
            staging=build_dir / "files",
        )
        # Created by datalake-<env> for each ETL repository (contract version 3).
        connections = tuple(context.glue_connection(availability_zone=z) for z in environment.availability_zones)
        self.jobs: dict[str, GlueJob] = {}
        for job in jobs:
            config = GlueJobConfig(
                job=job,
                root=root,
                files=self.files,
                security_configuration=self.contract.value("glue/security-configuration/name"),
                kms_key_arn=self.contract.kms_key_arn,
                connections=connections,
            )
            self.jobs[job.name] = GlueJob(self, f"job-{job.name}", context=context, config=config)
        self.functions: dict[str, PythonFunction] = {}
        for function in etl.lambdas:
            config = PythonFunctionConfig(
                function=function,
                root=root,
                build_dir=build_dir,
                kms_key_arn=self.contract.kms_key_arn,
                protect=environment.protect_data,
                statements=self._granted(etl.workflow, function),
            )
            self.functions[function.name] = PythonFunction(
                self, f"lambda-{function.name}", context=context, config=config
            )
        self.workflow = EtlWorkflow(self, "workflow", context=context, config=self._workflow(etl.workflow))

    def _granted(self, workflow: Workflow, function: LambdaFunction) -> tuple[Statement, ...]:
        """What ``function``'s role may do beyond its own: the validator reads what arrives."""
        created = workflow.on_object_created
        if function.name != workflow.validate_with or created is None:
            return ()
        return tuple(arriving_objects(self.context, zone=created.zone, prefix=created.prefix))

    def _workflow(self, workflow: Workflow) -> EtlWorkflowConfig:
        """The workflow over the jobs (in run order) and helpers built above."""
        return EtlWorkflowConfig(
            workflow=workflow,
            jobs=tuple(job.name for job in self.jobs.values()),
            validator=self.functions[workflow.validate_with].name if workflow.validate_with else None,
            functions=tuple(f.name for f in self.functions.values()),
            kms_key_arn=self.contract.kms_key_arn,
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
    repositories. ``read_only``: deprecated since 0.8.0, changes nothing (the stacks name
    the profile ``<project>-<env>-<repository>``, which the build that plans maps to the
    read-only plan role).
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
    if read_only:
        warnings.warn(READ_ONLY_DEPRECATED, DeprecationWarning, stacklevel=2)
    owner = repository_of(etl, deployment, etl_file)
    load_emulator_profile()  # a bad profile stops here too, before the engine starts
    app = new_app(outdir)
    build_dir = Path(app.outdir) / "build"  # Lambda packages and job files, before the stacks copy them
    stacks = []
    for environment in deployment.environments:
        stack = EtlStack(app, config=deployment, environment=environment, repository=owner)
        EtlRepository(stack, "etl", etl=etl, root=etl_file.parent, build_dir=build_dir)
        stacks.append(stack)
    return app, stacks
