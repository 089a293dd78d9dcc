"""IAM policy documents as plain data.

Documents are built as Python dicts and serialized once, so tests and the IAM linter
read exactly what Terraform sends to AWS. Token strings (``${aws_kms_key.x.arn}``)
may appear inside values; CDKTF resolves them in the JSON string.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from datalake_cdktf.naming import arn, bucket_arn, partition

__all__ = [
    "CATALOG_READ_KEY",
    "CATALOG_WRITE_KEY",
    "XRAY_TRACING",
    "Statement",
    "alerts_use_key",
    "allow",
    "build_logs_use_key",
    "catalog_use_key",
    "cloudwatch_logs_use_key",
    "deny",
    "deny_insecure_transport",
    "document",
    "key_administration",
    "key_by_alias",
    "notifications_use_key",
    "objects_use_key",
    "server_access_logging",
    "service_trust",
    "tls_only",
    "xray_tracing",
]

Statement = dict[str, Any]
"""One IAM policy statement, as the dict its JSON is made from."""


def document(*statements: Statement) -> str:
    """A policy document (version 2012-10-17) as compact, key-sorted JSON."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def service_trust(
    service: str | list[str],
    account_id: str,
    *,
    sid: str | None = None,
    source_arn: str | list[str] | None = None,
) -> Statement:
    """Trust statement: ``service`` (one principal or several) may assume the role, on
    behalf of ``account_id`` only (``aws:SourceAccount``: the confused deputy), and, with
    ``source_arn``, only for those resources (``aws:SourceArn``, wildcards allowed)."""
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account_id}}
    if source_arn is not None:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    statement: Statement = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
        "Condition": condition,
    }
    if sid is not None:
        statement["Sid"] = sid
    return statement


def tls_only(action: str, resources: str | list[str]) -> Statement:
    """Resource-policy statement: every ``action`` request on ``resources`` that does not
    use TLS is denied, whoever makes it."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": action,
        "Resource": resources,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def deny_insecure_transport(bucket_arn: str) -> Statement:
    """Deny every S3 request on the bucket that does not use TLS."""
    return tls_only("s3:*", [bucket_arn, f"{bucket_arn}/*"])


def key_by_alias(*key_aliases: str) -> dict[str, Any]:
    """The condition that a key grant in an identity policy is for a key that one of
    ``key_aliases`` (``alias/...``) names, and no other: key ARNs are not known before
    the key exists, and an alias is the key's stable name."""
    return {"ForAnyValue:StringEquals": {"kms:ResourceAliases": list(key_aliases)}}


def key_administration(account_root: str) -> Statement:
    """Let the key's own account manage it through IAM (without this a key is unmanageable)."""
    return {
        "Sid": "AccountAdministersKeyThroughIam",
        "Effect": "Allow",
        "Principal": {"AWS": account_root},
        "Action": "kms:*",
        "Resource": "*",
    }


def server_access_logging(log_bucket: str, account_id: str, region: str) -> Statement:
    """Let S3 server access logging of ``account_id``'s buckets write into ``log_bucket``."""
    return {
        "Sid": "S3ServerAccessLogging",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{bucket_arn(bucket_name=log_bucket, region=region)}/*",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
    }


def cloudwatch_logs_use_key(region: str, account_id: str, log_groups: Iterable[str]) -> Statement:
    """Key-policy grant: CloudWatch Logs encrypts ``account_id``'s log groups named in
    ``log_groups`` (names, or prefixes ending in ``*``) with the key, and no other group:
    the log group's ARN is the encryption context of every call CloudWatch Logs makes.

    No Describe* actions: they do not take the encryption-context condition.
    """
    groups = sorted(f"arn:{partition(region)}:logs:{region}:{account_id}:log-group:{name}" for name in log_groups)
    if not groups:
        raise ValueError("cloudwatch_logs_use_key needs the log groups that use the key")
    return {
        "Sid": "CloudWatchLogsEncryptsOwnLogGroups",
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{region}.amazonaws.com"},
        "Action": ["kms:Decrypt*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
        "Resource": "*",
        "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": groups[0] if len(groups) == 1 else groups}},
    }


def build_logs_use_key(region: str, account_id: str, project_prefixes: Iterable[str]) -> Statement:
    """Key-policy grant: CloudWatch Logs encrypts the build logs ``/aws/codebuild/<prefix>*``
    of ``account_id``'s CodeBuild projects whose names start with one of ``project_prefixes``
    (each pipeline's ``<project>-<env>-<repo>-``), and no other log group."""
    groups = [f"/aws/codebuild/{prefix}*" for prefix in project_prefixes]
    return {**cloudwatch_logs_use_key(region, account_id, groups), "Sid": "CloudWatchLogsEncryptsBuildLogs"}


def notifications_use_key(account_id: str) -> Statement:
    """Key-policy grant: AWS CodeStar Notifications publishes to ``account_id``'s encrypted
    topics (an SNS topic's key must admit whoever publishes to it)."""
    return {
        "Sid": "NotificationsPublishToEncryptedTopics",
        "Effect": "Allow",
        "Principal": {"Service": "codestar-notifications.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
    }


def alerts_use_key(account_id: str) -> Statement:
    """Key-policy grant: CloudWatch alarms and EventBridge rules of ``account_id`` publish
    to topics encrypted with the key (an SNS topic's key must admit its publishers)."""
    return {
        "Sid": "AlarmsAndRulesPublishToEncryptedTopics",
        "Effect": "Allow",
        "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
    }


CATALOG_READ_KEY = ("kms:Decrypt",)
"""What a reader of the catalog's metadata asks of its key (see :data:`CATALOG_WRITE_KEY`)."""
CATALOG_WRITE_KEY = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")
"""What Glue asks of the catalog's key for a reader, and for a writer, of its metadata
(databases, tables, partitions, connections): Glue Developer Guide, "Encrypting your Data
Catalog"; Athena's guide asks the same of every catalog user."""


def catalog_use_key(region: str, account_id: str, key_alias: str, *, write: bool = False) -> Statement:
    """Identity grant: the key named ``key_alias`` (``alias/...``) of ``account_id``, as
    Glue uses it for a Data Catalog encrypted with it (mode SSE-KMS: with the caller's
    permissions), and in no other way: ``kms:ViaService`` is Glue in ``region``. A reader
    decrypts the metadata (:data:`CATALOG_READ_KEY`); with ``write`` (default off), a
    writer also encrypts it (:data:`CATALOG_WRITE_KEY`). No data is decrypted with this:
    objects are decrypted through S3, another service."""
    return allow(
        "EncryptCatalogMetadata" if write else "DecryptCatalogMetadata",
        list(CATALOG_WRITE_KEY if write else CATALOG_READ_KEY),
        arn(service="kms", region=region, account_id=account_id, resource="key/*"),
        _key_through(key_alias, f"glue.{region}.amazonaws.com"),
    )


def objects_use_key(
    sid: str, actions: list[str], region: str, account_id: str, key_alias: str, bucket: str
) -> Statement:
    """Identity grant: ``actions`` on the key named ``key_alias`` (``alias/...``) of
    ``account_id``, as S3 uses it for the objects of ``bucket`` (an ARN), and in no other
    way: ``kms:ViaService`` is S3 in ``region``, and the encryption context is the
    bucket's ARN, which is what S3 sends for a bucket with S3 Bucket Keys (every SSE-KMS
    bucket here). Which objects of the bucket: the ``s3:`` statement beside it says."""
    return allow(
        sid,
        actions,
        arn(service="kms", region=region, account_id=account_id, resource="key/*"),
        _key_through(key_alias, f"s3.{region}.amazonaws.com", {"kms:EncryptionContext:aws:s3:arn": bucket}),
    )


def _key_through(key_alias: str, service: str, context: dict[str, str] | None = None) -> dict:
    """The condition of a key grant: the key that ``key_alias`` names, used by ``service``."""
    return {**key_by_alias(key_alias), "StringEquals": {**(context or {}), "kms:ViaService": service}}


XRAY_TRACING = (
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
)
"""What a traced Lambda function or state machine sends to X-Ray (no resource ARN)."""


def xray_tracing(region: str) -> Statement:
    """Sending traces to X-Ray in ``region`` (:data:`XRAY_TRACING`)."""
    return allow("SendTraces", list(XRAY_TRACING), "*", {"StringEquals": {"aws:RequestedRegion": region}})


def allow(sid: str, actions: list[str], resources: str | list[str], condition: dict | None = None) -> Statement:
    """An Allow statement; several actions are sorted, so documents compare and diff cleanly."""
    return _statement("Allow", sid, actions, resources, condition)


def deny(sid: str, actions: list[str], resources: str | list[str], condition: dict | None = None) -> Statement:
    """A Deny statement (see :func:`allow`)."""
    return _statement("Deny", sid, actions, resources, condition)


def _statement(
    effect: str, sid: str, actions: list[str], resources: str | list[str], condition: dict | None
) -> Statement:
    statement: Statement = {
        "Sid": sid,
        "Effect": effect,
        "Action": sorted(actions) if len(actions) > 1 else actions[0],
        "Resource": resources,
    }
    if condition:
        statement["Condition"] = condition
    return statement
