"""One Glue 5.0 Spark job of an ETL repository: its script, its own role, its crawler.

The job is declared in the repository's ``etl.yaml`` (:class:`~datalake_cdktf.config.etl.Job`);
this construct turns it into:

- the script (and extra Python modules) as objects under ``<repo>/jobs/<job>/`` in the
  data lake's assets bucket, encrypted with the data key; a change of a file's content
  changes its hash, and so its object (and nothing else). The files travel in the
  stack's :class:`~datalake_cdktf.constructs.asset_folder.AssetFolder` under the keys
  :func:`job_files` gives;
- a role ``<project>-<env>-<repo>-<job>`` trusted by Glue in this account only, capped by
  the repository's permissions boundary, that may read exactly the prefixes the job
  reads, write exactly those it writes, use the catalog databases of those zones (read
  or write), read its own secrets by name, use the data key, and write Glue's logs;
- the job: Glue 5.0, the environment's security configuration (S3, logs and bookmarks
  encrypted with the data key), bookmarks, metrics and continuous logging on, Spark UI
  off unless asked, one run at a time, the bucket of each zone it uses passed as
  ``--<zone>_bucket`` (``--raw_bucket``, ``--purpose_built_bucket``), its secrets as
  ``--secret-<name>`` holding secret *names*;
- with ``network: true``, the repository's Glue connections (one per private subnet,
  created by the data lake: :mod:`~datalake_cdktf.constructs.job_network`), and a role
  that may read those connections and manage its workers' network interfaces;
- optionally a crawler over what it writes, into the written zone's database, and a
  Glue Data Quality ruleset (DQDL, from the file the job names) for its output.

The names and ARNs come from the repository's
:class:`~datalake_cdktf.context.RepositoryContext` (``context=``), the role's statements
from :func:`datalake_cdktf.iam.etl_roles.glue_job_role`: every ARN in them is derived
from the deployment's names (not read from SSM), so the synthesized policy can be
evaluated without AWS.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from datalake_cdktf.config.etl import Job
from datalake_cdktf.constructs.asset_folder import AssetFolder
from datalake_cdktf.context import RepositoryContext
from datalake_cdktf.engine import Construct
from datalake_cdktf.engine.aws import (
    glue_crawler,
    glue_data_quality_ruleset,
    glue_job,
    iam_role,
    iam_role_policy,
    s3_object,
)
from datalake_cdktf.iam.etl_roles import glue_job_role, service_role_trust
from datalake_cdktf.iam.statements import document
from datalake_cdktf.naming import JOB_FILES

__all__ = ["GLUE_VERSION", "GlueJob", "GlueJobConfig", "job_arguments", "job_files"]

GLUE_VERSION = "5.0"
"""Glue 5.0: Spark 3.5 on Python 3.11 (what the template tests its transforms on)."""


def job_files(job: Job, root: Path) -> dict[str, Path]:
    """The files ``job`` uploads (script, extra modules), by their key in the stack's
    :class:`~datalake_cdktf.constructs.asset_folder.AssetFolder`: ``jobs/<job>/...``."""
    files = {f"{JOB_FILES}/{job.name}/{Path(job.script).name}": root / job.script}
    for path in job.extra_python_modules:
        files[f"{JOB_FILES}/{job.name}/modules/{Path(path).name}"] = root / path
    return files


@dataclass(frozen=True)
class GlueJobConfig:
    """- ``job``: the job as ``etl.yaml`` declares it; ``root``: the folder of ``etl.yaml``.
    - ``files``: the stack's asset folder, holding at least :func:`job_files` of the job.
    - ``security_configuration``: the environment's (from the contract).
    - ``kms_key_arn``: the data key (from the contract), for the script objects.
    - ``connections``: the names of the repository's Glue connections (see
      :meth:`~datalake_cdktf.context.RepositoryContext.glue_connection`); used, and
      required, by a job with ``network: true`` only.
    """

    job: Job
    root: Path
    files: AssetFolder
    security_configuration: str
    kms_key_arn: str
    connections: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.job.network and not self.connections:
            raise ValueError(f"job {self.job.name!r} runs in the network: give the repository's Glue connections")

    @property
    def job_connections(self) -> tuple[str, ...]:
        """The connections the job runs through: ``connections`` with ``network: true``, else none."""
        return self.connections if self.job.network else ()


def job_arguments(context: RepositoryContext, job: Job, modules: list[str]) -> dict[str, str]:
    """The job's default arguments (sorted by name): the library's own, the extra
    ``modules`` (S3 URLs), the Spark UI's, its secrets' names, its zones' buckets, then
    ``job.arguments``."""
    bucket, temporary = context.bucket(purpose="assets"), context.job_temporary_prefix(job=job.name)
    zones = dict.fromkeys(loc.zone for loc in (*job.reads, *job.writes))  # in data-flow order
    arguments = {
        "--job-language": "python",
        "--job-bookmark-option": "job-bookmark-enable" if job.bookmarks else "job-bookmark-disable",
        "--enable-metrics": "true",
        "--enable-continuous-cloudwatch-log": "true",
        "--enable-glue-datacatalog": "true",
        "--TempDir": f"s3://{bucket}/{temporary}",
        **({"--extra-py-files": ",".join(modules)} if modules else {}),
        **(
            {"--enable-spark-ui": "true", "--spark-event-logs-path": f"s3://{bucket}/{temporary}ui/"}
            if job.spark_ui
            else {}
        ),
        **{f"--secret-{name}": context.secret_name(name=name) for name in job.secrets},
        **{f"--{zone.replace('-', '_')}_bucket": context.bucket(purpose=zone) for zone in zones},
        **job.arguments,
    }
    return dict(sorted(arguments.items()))


class GlueJob(Construct):
    """``job`` of ``context``'s repository: its files, its role, the job, its crawler and
    ruleset (see the module).

    Properties: ``job`` (the Glue job resource), ``role``, ``name``, ``script_hash``,
    ``context``, ``config``."""

    def __init__(self, scope: Construct, construct_id: str, *, context: RepositoryContext, config: GlueJobConfig):
        super().__init__(scope, construct_id)
        self.context, self.config = context, config
        job = config.job
        self.name = context.name(job.name)
        role_name = context.role_name(job.name)
        self.role = iam_role.IamRole(
            self,
            "role",
            name=role_name,
            description=f"Glue job {self.name}",
            assume_role_policy=document(service_role_trust(context, service="glue", sid="GlueOfThisAccount")),
            permissions_boundary=context.boundary_arn,
        )
        # The role's name and ARN are known here: naming them (with the dependency spelled
        # out) saves asking the engine for two attributes, a third of a job's engine calls.
        access = iam_role_policy.IamRolePolicy(
            self,
            "access",
            name="access",
            role=role_name,
            policy=document(*glue_job_role(context, job, connections=config.job_connections)),
            depends_on=[self.role],
        )
        (script_key, *module_keys) = job_files(job, config.root)
        script, self.script_hash = self._upload("script", script_key)
        modules = [self._upload(f"module-{i}", key)[0] for i, key in enumerate(module_keys)]
        self.job = glue_job.GlueJob(
            self,
            "job",
            name=self.name,
            description=job.description or None,
            role_arn=context.role_arn(name=role_name),
            glue_version=GLUE_VERSION,
            execution_class="STANDARD",  # what AWS reports when none is given: no diff on the next plan
            worker_type=job.worker_type,
            number_of_workers=job.workers,
            timeout=job.timeout_minutes,
            max_retries=job.max_retries,
            security_configuration=config.security_configuration,
            connections=list(config.job_connections) or None,
            command=glue_job.GlueJobCommand(name="glueetl", script_location=script, python_version="3"),
            default_arguments=job_arguments(context, job, modules),
            execution_property=glue_job.GlueJobExecutionProperty(max_concurrent_runs=1),
            depends_on=[access],  # the role with its permissions, before the first run
        )
        if job.crawler:
            self._crawler(context.role_arn(name=role_name), access)
        if job.data_quality:
            self._data_quality()

    def _crawler(self, role_arn: str, access: iam_role_policy.IamRolePolicy) -> None:
        """A crawler over what the job writes into its first written zone, into that zone's database."""
        context, config, job = self.context, self.config, self.config.job
        zone = job.writes[0].zone
        glue_crawler.GlueCrawler(
            self,
            "crawler",
            name=self.name,
            role=role_arn,
            database_name=context.glue_database(zone=zone),
            security_configuration=config.security_configuration,
            s3_target=[
                glue_crawler.GlueCrawlerS3Target(path=f"s3://{context.bucket(purpose=loc.zone)}/{loc.prefix}")
                for loc in job.writes
                if loc.zone == zone
            ],
            schema_change_policy=glue_crawler.GlueCrawlerSchemaChangePolicy(
                delete_behavior="LOG", update_behavior="UPDATE_IN_DATABASE"
            ),
            depends_on=[access],
        )

    def _data_quality(self) -> None:
        """The job's Glue Data Quality ruleset, from the DQDL file it names."""
        glue_data_quality_ruleset.GlueDataQualityRuleset(
            self,
            "data-quality",
            name=self.name,
            description=f"Checks of what {self.name} writes",
            ruleset=(self.config.root / self.config.job.data_quality).read_text(),
        )

    def _upload(self, construct_id: str, file_key: str) -> tuple[str, str]:
        """Upload the asset folder's file ``file_key`` (``jobs/<job>/...``) to
        ``<repo>/jobs/<job>/...`` in the assets bucket; its S3 URL and content hash."""
        files, digest = self.config.files, self.config.files.digest(file_key)
        bucket, key = self.context.bucket(purpose="assets"), f"{self.context.repository}/{file_key}"
        s3_object.S3Object(
            self,
            construct_id,
            bucket=bucket,
            key=key,
            source=files.source(file_key),
            source_hash=digest,
            server_side_encryption="aws:kms",
            kms_key_id=self.config.kms_key_arn,
            bucket_key_enabled=True,
            content_type="text/x-python" if file_key.endswith(".py") else "application/octet-stream",
        )
        return f"s3://{bucket}/{key}", digest
