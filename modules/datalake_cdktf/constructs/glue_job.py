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

Every ARN in the role's policy is derived from the deployment's names (not read from
SSM), so the synthesized policy can be evaluated without AWS.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from datalake_cdktf.config.etl import Job
from datalake_cdktf.constructs.asset_folder import AssetFolder
from datalake_cdktf.engine import Construct
from datalake_cdktf.engine.aws import (
    glue_crawler,
    glue_data_quality_ruleset,
    glue_job,
    iam_role,
    iam_role_policy,
    s3_object,
)
from datalake_cdktf.iam.statements import allow, document
from datalake_cdktf.naming import JOB_FILES, Label, arn, bucket_arn, role_arn

__all__ = ["GLUE_VERSION", "GlueJob", "GlueJobConfig", "job_files"]

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
    - ``label``, ``repository``, ``account_id``, ``region``: where and whose.
    - ``boundary_arn``: the repository's permissions boundary (every role it creates).
    - ``security_configuration``: the environment's (from the contract).
    - ``kms_key_arn``: the data key (from the contract), for the script objects.
    - ``connections``: the names of the repository's Glue connections (see
      :meth:`~datalake_cdktf.naming.Label.glue_connection`); used, and required, by a
      job with ``network: true`` only.
    """

    job: Job
    root: Path
    files: AssetFolder
    label: Label
    repository: str
    account_id: str
    region: str
    boundary_arn: str
    security_configuration: str
    kms_key_arn: str
    connections: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.job.network and not self.connections:
            raise ValueError(f"job {self.job.name!r} runs in the network: give the repository's Glue connections")

    @property
    def name(self) -> str:
        return self.label.name(self.repository, self.job.name)

    @property
    def assets_bucket(self) -> str:
        return self.label.bucket("assets", self.account_id, self.region)

    def asset_key(self, *parts: str) -> str:
        return "/".join((self.repository, JOB_FILES, self.job.name, *parts))

    @property
    def zones(self) -> tuple[str, ...]:
        """The zones the job reads or writes, in data-flow order."""
        return tuple(dict.fromkeys(loc.zone for loc in (*self.job.reads, *self.job.writes)))

    def zone_bucket(self, zone: str) -> str:
        return self.label.bucket(zone, self.account_id, self.region)

    @property
    def temporary_prefix(self) -> str:
        return f"{self.repository}/tmp/{self.job.name}/"

    def _arn(self, service: str, resource: str) -> str:
        return arn(service, self.region, self.account_id, resource)

    def role_permissions(self) -> list[dict]:
        """What the job's role may do: its prefixes, its databases, its secrets, its logs."""
        job, label = self.job, self.label
        region, account = self.region, self.account_id

        def objects(locations) -> list[str]:
            return [f"{bucket_arn(label.bucket(loc.zone, account, region), region)}/{loc.prefix}*" for loc in locations]

        def databases(zones) -> list[str]:
            names = [label.glue_database(zone) for zone in zones]
            return [
                self._arn("glue", "catalog"),
                *(self._arn("glue", f"database/{n}") for n in names),
                *(self._arn("glue", f"table/{n}/*") for n in names),
            ]

        assets = bucket_arn(self.assets_bucket, region)
        statements = [
            allow("ItsScriptAndModules", ["s3:GetObject"], f"{assets}/{self.asset_key('*')}"),
            allow(
                "ItsTemporaryFiles",
                ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
                f"{assets}/{self.temporary_prefix}*",
            ),
            allow(
                "ListItsAssets",
                ["s3:ListBucket"],
                assets,
                {"StringLike": {"s3:prefix": [self.asset_key("*"), f"{self.temporary_prefix}*"]}},
            ),
        ]
        locations = [*job.reads, *job.writes]
        for zone in dict.fromkeys(loc.zone for loc in locations):
            prefixes = [loc.prefix + "*" for loc in locations if loc.zone == zone]
            statements.append(
                allow(
                    f"List{_pascal(zone)}Prefixes",
                    ["s3:ListBucket"],
                    bucket_arn(label.bucket(zone, account, region), region),
                    {"StringLike": {"s3:prefix": sorted(set(prefixes))}},
                )
            )
        if job.reads:
            statements.append(allow("ReadItsInputs", ["s3:GetObject"], sorted(set(objects(job.reads)))))
        if job.writes:
            statements.append(
                allow(
                    "WriteItsOutputs",
                    ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
                    sorted(set(objects(job.writes))),
                )
            )
        read_zones = [z for z in job.zones_read if z not in job.zones_written]
        if read_zones:
            statements.append(
                allow(
                    "ReadTheCatalogOfItsInputs",
                    ["glue:GetDatabase", "glue:GetPartition", "glue:GetPartitions", "glue:GetTable", "glue:GetTables"],
                    databases(read_zones),
                )
            )
        if job.writes:
            statements.append(
                allow(
                    "WriteTheCatalogOfItsOutputs",
                    [
                        "glue:BatchCreatePartition",
                        "glue:BatchGetPartition",
                        "glue:CreatePartition",
                        "glue:CreateTable",
                        "glue:GetDatabase",
                        "glue:GetPartition",
                        "glue:GetPartitions",
                        "glue:GetTable",
                        "glue:GetTables",
                        "glue:UpdatePartition",
                        "glue:UpdateTable",
                    ],
                    databases(job.zones_written),
                )
            )
        statements += [
            allow(
                # S3 objects (SSE-KMS) and job bookmarks (CSE-KMS) use the data key.
                "UseTheDataKey",
                ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                self._arn("kms", "key/*"),
                {"ForAnyValue:StringEquals": {"kms:ResourceAliases": [label.kms_alias("data")]}},
            ),
            allow(
                "WriteGlueLogs",
                ["logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                self._arn("logs", "log-group:/aws-glue/*"),
            ),
            allow(
                "JobRuntime",
                ["glue:GetJobBookmark", "glue:GetSecurityConfiguration"],
                "*",
                {"StringEquals": {"aws:RequestedRegion": region}},
            ),
            allow(
                "GlueMetrics",
                ["cloudwatch:PutMetricData"],
                "*",
                {"StringEquals": {"cloudwatch:namespace": "Glue", "aws:RequestedRegion": region}},
            ),
        ]
        if job.network:
            statements += self._network_permissions()
        if job.secrets:
            statements.append(
                allow(
                    "ReadItsSecrets",
                    ["secretsmanager:GetSecretValue"],
                    [self._arn("secretsmanager", f"secret:{self.secret_name(s)}-??????") for s in job.secrets],
                )
            )
        return statements

    def _network_permissions(self) -> list[dict]:
        """What Glue does as the job's role to run it in the private subnets: read the
        connections, put a network interface per worker there, tag and remove them."""
        in_region = {"StringEquals": {"aws:RequestedRegion": self.region}}
        interfaces = self._arn("ec2", "network-interface/*")
        return [
            allow(
                "ItsNetworkConnections",
                ["glue:GetConnection"],
                [self._arn("glue", "catalog"), *(self._arn("glue", f"connection/{c}") for c in self.connections)],
            ),
            allow(
                "WorkerNetworkInterfaces",
                ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"],
                [interfaces, self._arn("ec2", "subnet/*"), self._arn("ec2", "security-group/*")],
            ),
            allow(
                "TagWorkerNetworkInterfaces",
                ["ec2:CreateTags", "ec2:DeleteTags"],
                interfaces,
                {"ForAllValues:StringEquals": {"aws:TagKeys": ["aws-glue-service-resource"]}},
            ),
            allow(
                "DescribeTheNetwork",
                [
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeRouteTables",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeSubnets",
                    "ec2:DescribeVpcEndpoints",
                ],
                "*",
                in_region,
            ),
            allow("DescribeTheVpcs", ["ec2:DescribeVpcAttribute"], self._arn("ec2", "vpc/*")),
        ]

    def secret_name(self, name: str) -> str:
        return self.label.secret_path(self.repository) + name

    def trust(self) -> dict:
        return {
            "Sid": "GlueOfThisAccount",
            "Effect": "Allow",
            "Principal": {"Service": "glue.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": self.account_id}},
        }


class GlueJob(Construct):
    """Properties: ``job`` (the Glue job resource), ``role``, ``name``, ``script_hash``."""

    def __init__(self, scope: Construct, construct_id: str, *, config: GlueJobConfig):
        super().__init__(scope, construct_id)
        self.config = config
        job, bucket = config.job, config.assets_bucket
        self.name = config.name
        role_name = config.label.role(config.repository, job.name)
        self.role = iam_role.IamRole(
            self,
            "role",
            name=role_name,
            description=f"Glue job {self.name}",
            assume_role_policy=document(config.trust()),
            permissions_boundary=config.boundary_arn,
        )
        # The role's name and ARN are known here: naming them (with the dependency spelled
        # out) saves asking the engine for two attributes, a third of a job's engine calls.
        access = iam_role_policy.IamRolePolicy(
            self,
            "access",
            name="access",
            role=role_name,
            policy=document(*config.role_permissions()),
            depends_on=[self.role],
        )
        (script_key, *module_keys) = job_files(job, config.root)
        script, self.script_hash = self._upload("script", script_key)
        modules = [self._upload(f"module-{i}", key)[0] for i, key in enumerate(module_keys)]
        arguments = {
            "--job-language": "python",
            "--job-bookmark-option": "job-bookmark-enable" if job.bookmarks else "job-bookmark-disable",
            "--enable-metrics": "true",
            "--enable-continuous-cloudwatch-log": "true",
            "--enable-glue-datacatalog": "true",
            "--TempDir": f"s3://{bucket}/{config.temporary_prefix}",
            **({"--extra-py-files": ",".join(modules)} if modules else {}),
            **(
                {"--enable-spark-ui": "true", "--spark-event-logs-path": f"s3://{bucket}/{config.temporary_prefix}ui/"}
                if job.spark_ui
                else {}
            ),
            **{f"--secret-{name}": config.secret_name(name) for name in job.secrets},
            **{f"--{zone.replace('-', '_')}_bucket": config.zone_bucket(zone) for zone in config.zones},
            **job.arguments,
        }
        self.job = glue_job.GlueJob(
            self,
            "job",
            name=self.name,
            description=job.description or None,
            role_arn=role_arn(config.account_id, role_name, config.region),
            glue_version=GLUE_VERSION,
            execution_class="STANDARD",  # what AWS reports when none is given: no diff on the next plan
            worker_type=job.worker_type,
            number_of_workers=job.workers,
            timeout=job.timeout_minutes,
            max_retries=job.max_retries,
            security_configuration=config.security_configuration,
            connections=list(config.connections) if job.network else None,
            command=glue_job.GlueJobCommand(name="glueetl", script_location=script, python_version="3"),
            default_arguments=dict(sorted(arguments.items())),
            execution_property=glue_job.GlueJobExecutionProperty(max_concurrent_runs=1),
            depends_on=[access],  # the role with its permissions, before the first run
        )
        if job.crawler:
            zone = job.writes[0].zone
            glue_crawler.GlueCrawler(
                self,
                "crawler",
                name=self.name,
                role=role_arn(config.account_id, role_name, config.region),
                database_name=config.label.glue_database(zone),
                security_configuration=config.security_configuration,
                s3_target=[
                    glue_crawler.GlueCrawlerS3Target(
                        path=f"s3://{config.label.bucket(loc.zone, config.account_id, config.region)}/{loc.prefix}"
                    )
                    for loc in job.writes
                    if loc.zone == zone
                ],
                schema_change_policy=glue_crawler.GlueCrawlerSchemaChangePolicy(
                    delete_behavior="LOG", update_behavior="UPDATE_IN_DATABASE"
                ),
                depends_on=[access],
            )

        if job.data_quality:
            glue_data_quality_ruleset.GlueDataQualityRuleset(
                self,
                "data-quality",
                name=self.name,
                description=f"Checks of what {self.name} writes",
                ruleset=(config.root / job.data_quality).read_text(),
            )

    def _upload(self, construct_id: str, file_key: str) -> tuple[str, str]:
        """Upload the asset folder's file ``file_key`` (``jobs/<job>/...``) to
        ``<repo>/jobs/<job>/...`` in the assets bucket; its S3 URL and content hash."""
        files, digest = self.config.files, self.config.files.digest(file_key)
        key = f"{self.config.repository}/{file_key}"
        s3_object.S3Object(
            self,
            construct_id,
            bucket=self.config.assets_bucket,
            key=key,
            source=files.source(file_key),
            source_hash=digest,
            server_side_encryption="aws:kms",
            kms_key_id=self.config.kms_key_arn,
            bucket_key_enabled=True,
            content_type="text/x-python" if file_key.endswith(".py") else "application/octet-stream",
        )
        return f"s3://{self.config.assets_bucket}/{key}", digest


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("-", " ").split())
