"""The permissions of the roles an ETL repository's constructs create, one function per concern.

Each role's statements are the list its ``*_role`` function gives, in that order:

- a Glue job's (:func:`glue_job_role`): its script and modules, its zones' objects,
  their catalog, the data key, Glue's logs, the job's runtime, Glue's metrics, the
  network (a job with connections), its secrets;
- a Lambda helper's (:func:`function_role`): its log group, X-Ray, what the caller
  grants (:func:`arriving_objects`, for the validator), its audit table;
- the workflow's state machine's (:func:`state_machine_role`) and its trigger's
  (:func:`trigger_role`); the alert topic's resource policy (:func:`alerts_topic_policy`);
- the trusts: each role is trusted by its service in the repository's account only
  (:func:`service_role_trust`).

Every function takes the repository's :class:`~datalake_cdktf.context.RepositoryContext`
and plain data (names, or a job as :class:`JobAccess` describes it), never a construct:
the ARNs are derived from the deployment's names, so a policy can be evaluated without
AWS.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from datalake_cdktf.context import RepositoryContext
from datalake_cdktf.iam.statements import (
    Statement,
    allow,
    key_by_alias,
    objects_use_key,
    service_trust,
    tls_only,
    xray_tracing,
)
from datalake_cdktf.naming import GLUE_LOG_GROUPS

__all__ = [
    "JobAccess",
    "JobLocation",
    "alerts_topic_policy",
    "arriving_objects",
    "function_role",
    "glue_job_role",
    "job_assets",
    "job_catalog",
    "job_data_key",
    "job_logs",
    "job_metrics",
    "job_network",
    "job_objects",
    "job_runtime",
    "job_secrets",
    "service_role_trust",
    "state_machine_role",
    "trigger_role",
]


class JobLocation(Protocol):
    """A prefix in one zone (as ``etl.yaml``'s ``Location`` has it)."""

    @property
    def zone(self) -> str: ...

    @property
    def prefix(self) -> str: ...


class JobAccess(Protocol):
    """What a Glue job's role follows from (as ``etl.yaml``'s ``Job`` has it)."""

    @property
    def name(self) -> str: ...

    @property
    def reads(self) -> Sequence[JobLocation]: ...

    @property
    def writes(self) -> Sequence[JobLocation]: ...

    @property
    def secrets(self) -> Sequence[str]: ...


def service_role_trust(context: RepositoryContext, *, service: str, sid: str) -> Statement:
    """``service`` (``glue``, ``lambda``: its ``<service>.amazonaws.com``) may assume the
    role, for the repository's account only."""
    return service_trust(f"{service}.amazonaws.com", context.account_id, sid=sid)


# A Glue job's role


def glue_job_role(context: RepositoryContext, job: JobAccess, *, connections: Sequence[str] = ()) -> list[Statement]:
    """What the role of ``job`` may do: read its script and modules, read its inputs and
    write its outputs (objects and catalog), use the data key, write Glue's logs, run,
    send Glue's metrics, with ``connections`` (a job in the network: its connections'
    names) run in the private subnets, and read its secrets."""
    return [
        *job_assets(context, job=job.name),
        *job_objects(context, job),
        *job_catalog(context, job),
        job_data_key(context),
        job_logs(context),
        job_runtime(context),
        job_metrics(context),
        *(job_network(context, connections=connections) if connections else ()),
        *([job_secrets(context, secrets=job.secrets)] if job.secrets else ()),
    ]


def job_assets(context: RepositoryContext, *, job: str) -> list[Statement]:
    """Its script and modules (read), its temporary files (read, write, delete), and
    listing both prefixes of the assets bucket."""
    assets = context.bucket_arn(purpose="assets")
    files, temporary = context.job_files_prefix(job=job), context.job_temporary_prefix(job=job)
    return [
        allow("ItsScriptAndModules", ["s3:GetObject"], f"{assets}/{files}*"),
        allow("ItsTemporaryFiles", ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"], f"{assets}/{temporary}*"),
        allow(
            "ListItsAssets", ["s3:ListBucket"], assets, {"StringLike": {"s3:prefix": [f"{files}*", f"{temporary}*"]}}
        ),
    ]


def job_objects(context: RepositoryContext, job: JobAccess) -> list[Statement]:
    """Listing its prefixes of each zone it uses, reading what it reads, and reading,
    writing and deleting what it writes."""
    locations = [*job.reads, *job.writes]
    statements = [
        allow(
            f"List{_pascal(zone)}Prefixes",
            ["s3:ListBucket"],
            context.bucket_arn(purpose=zone),
            {"StringLike": {"s3:prefix": sorted({loc.prefix + "*" for loc in locations if loc.zone == zone})}},
        )
        for zone in _zones(locations)
    ]
    if job.reads:
        statements.append(allow("ReadItsInputs", ["s3:GetObject"], _objects(context, job.reads)))
    if job.writes:
        writing = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
        statements.append(allow("WriteItsOutputs", writing, _objects(context, job.writes)))
    return statements


CATALOG_READ = ("glue:GetDatabase", "glue:GetPartition", "glue:GetPartitions", "glue:GetTable", "glue:GetTables")
"""What a job asks of the catalog of a zone it reads."""
CATALOG_WRITE = (
    *CATALOG_READ,
    "glue:BatchCreatePartition",
    "glue:BatchGetPartition",
    "glue:CreatePartition",
    "glue:CreateTable",
    "glue:UpdatePartition",
    "glue:UpdateTable",
)
"""What a job asks of the catalog of a zone it writes (tables and partitions it creates)."""


def job_catalog(context: RepositoryContext, job: JobAccess) -> list[Statement]:
    """The catalog databases (and their tables) of the zones it reads only (read), and of
    the zones it writes (write)."""
    written = _zones(job.writes)
    read_only = [zone for zone in _zones(job.reads) if zone not in written]
    statements = []
    if read_only:
        statements.append(
            allow("ReadTheCatalogOfItsInputs", list(CATALOG_READ), _databases(context, read_only)),
        )
    if job.writes:
        statements.append(
            allow("WriteTheCatalogOfItsOutputs", list(CATALOG_WRITE), _databases(context, written)),
        )
    return statements


def job_data_key(context: RepositoryContext) -> Statement:
    """The data key, which encrypts S3 objects (SSE-KMS) and job bookmarks (CSE-KMS)."""
    return allow(
        "UseTheDataKey",
        ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
        context.arn(service="kms", resource="key/*"),
        key_by_alias(context.data_key_alias),
    )


def job_logs(context: RepositoryContext) -> Statement:
    """Glue's own log groups (:data:`~datalake_cdktf.naming.GLUE_LOG_GROUPS`), encrypted."""
    return allow(
        "WriteGlueLogs",
        ["logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        context.arn(service="logs", resource=f"log-group:{GLUE_LOG_GROUPS}"),
    )


def job_runtime(context: RepositoryContext) -> Statement:
    """Its bookmarks and security configuration (no resource ARN), in the region."""
    return allow(
        "JobRuntime",
        ["glue:GetJobBookmark", "glue:GetSecurityConfiguration"],
        "*",
        _in_region(context),
    )


def job_metrics(context: RepositoryContext) -> Statement:
    """Glue's job metrics (namespace ``Glue``), in the region."""
    return allow(
        "GlueMetrics",
        ["cloudwatch:PutMetricData"],
        "*",
        {"StringEquals": {"cloudwatch:namespace": "Glue", "aws:RequestedRegion": context.region}},
    )


def job_network(context: RepositoryContext, *, connections: Iterable[str]) -> list[Statement]:
    """What Glue does as the job's role to run it in the private subnets: read the
    ``connections``, put a network interface per worker there, tag and remove them."""
    interfaces = context.arn(service="ec2", resource="network-interface/*")
    return [
        allow(
            "ItsNetworkConnections",
            ["glue:GetConnection"],
            [
                context.arn(service="glue", resource="catalog"),
                *(context.arn(service="glue", resource=f"connection/{c}") for c in connections),
            ],
        ),
        allow(
            "WorkerNetworkInterfaces",
            ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"],
            [
                interfaces,
                context.arn(service="ec2", resource="subnet/*"),
                context.arn(service="ec2", resource="security-group/*"),
            ],
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
            _in_region(context),
        ),
        allow("DescribeTheVpcs", ["ec2:DescribeVpcAttribute"], context.arn(service="ec2", resource="vpc/*")),
    ]


def job_secrets(context: RepositoryContext, *, secrets: Iterable[str]) -> Statement:
    """Its secrets, by name (``-??????``: the suffix Secrets Manager adds to the ARN)."""
    return allow(
        "ReadItsSecrets",
        ["secretsmanager:GetSecretValue"],
        [
            context.arn(service="secretsmanager", resource=f"secret:{context.secret_name(name=s)}-??????")
            for s in secrets
        ],
    )


# A Lambda helper's role


def function_role(
    context: RepositoryContext,
    *,
    log_group: str,
    audit_table: str | None = None,
    granted: Iterable[Statement] = (),
) -> list[Statement]:
    """What a function's role may do: write its ``log_group`` (a name), send traces,
    what the caller ``granted``, and with ``audit_table`` (a table's name) put items in it."""
    statements = [
        allow(
            "WriteItsLogs",
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            context.arn(service="logs", resource=f"log-group:{log_group}:*"),
        ),
        xray_tracing(context.region),
        *granted,
    ]
    if audit_table:
        table = context.arn(service="dynamodb", resource=f"table/{audit_table}")
        statements.append(allow("RecordInItsAuditTable", ["dynamodb:PutItem"], table))
    return statements


def arriving_objects(context: RepositoryContext, *, zone: str, prefix: str) -> list[Statement]:
    """Reading the objects that arrive under ``prefix`` of ``zone``'s bucket (what a
    validator reads, nothing else), which are SSE-KMS with the data key: decrypted
    through S3, for this bucket only."""
    bucket = context.bucket_arn(purpose=zone)
    return [
        allow("ReadArrivingObjects", ["s3:GetObject"], f"{bucket}/{prefix}*"),
        objects_use_key(
            "DecryptArrivingObjects",
            ["kms:Decrypt"],
            context.region,
            context.account_id,
            context.data_key_alias,
            bucket,
        ),
    ]


# The workflow's roles and topic


LOG_DELIVERY = (
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
)
"""What a state machine's execution logging asks of CloudWatch Logs (deliveries take no resource ARN)."""


def state_machine_role(
    context: RepositoryContext, *, jobs: Iterable[str], topic_arn: str, validator: str | None = None
) -> list[Statement]:
    """What the state machine's role may do: run exactly ``jobs`` (their names), publish
    to the alert topic ``topic_arn`` (encrypted with the data key), deliver its logs, send
    traces, and invoke the ``validator`` function (a name) when there is one."""
    statements = [
        allow(
            "RunItsJobs",
            ["glue:BatchStopJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:StartJobRun"],
            [context.arn(service="glue", resource=f"job/{job}") for job in jobs],
        ),
        allow("PublishItsAlerts", ["sns:Publish"], topic_arn),
        allow(
            "EncryptItsAlerts",
            ["kms:Decrypt", "kms:GenerateDataKey"],
            context.arn(service="kms", resource="key/*"),
            key_by_alias(context.data_key_alias),
        ),
        allow("DeliverItsLogs", list(LOG_DELIVERY), "*", _in_region(context)),
        xray_tracing(context.region),
    ]
    if validator:
        function = context.arn(service="lambda", resource=f"function:{validator}")
        statements.append(allow("InvokeItsValidator", ["lambda:InvokeFunction"], function))
    return statements


def trigger_role(state_machine_arn: str) -> list[Statement]:
    """What the trigger's (EventBridge's) role may do: start the state machine, no other."""
    return [allow("StartItsWorkflow", ["states:StartExecution"], state_machine_arn)]


def alerts_topic_policy(context: RepositoryContext, *, topic_arn: str) -> list[Statement]:
    """The alert topic's policy: CloudWatch alarms and EventBridge rules of the account
    publish to it, over TLS only."""
    return [
        {
            "Sid": "AlertsOfThisAccount",
            "Effect": "Allow",
            "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"StringEquals": {"aws:SourceAccount": context.account_id}},
        },
        tls_only("sns:Publish", topic_arn),
    ]


def _zones(locations: Iterable[JobLocation]) -> list[str]:
    """The zones of ``locations``, each once, in their order."""
    return list(dict.fromkeys(loc.zone for loc in locations))


def _objects(context: RepositoryContext, locations: Iterable[JobLocation]) -> list[str]:
    return sorted({f"{context.bucket_arn(purpose=loc.zone)}/{loc.prefix}*" for loc in locations})


def _databases(context: RepositoryContext, zones: Iterable[str]) -> list[str]:
    """The catalog, the databases of ``zones`` and their tables."""
    names = [context.glue_database(zone=zone) for zone in zones]
    return [
        context.arn(service="glue", resource="catalog"),
        *(context.arn(service="glue", resource=f"database/{n}") for n in names),
        *(context.arn(service="glue", resource=f"table/{n}/*") for n in names),
    ]


def _in_region(context: RepositoryContext) -> dict:
    return {"StringEquals": {"aws:RequestedRegion": context.region}}


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("-", " ").split())
