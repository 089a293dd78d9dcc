"""IAM policy documents as plain data.

Documents are built as Python dicts and serialized once, so tests and the IAM linter
read exactly what Terraform sends to AWS. Token strings (``${aws_kms_key.x.arn}``)
may appear inside values; CDKTF resolves them in the JSON string.
"""

from __future__ import annotations

import json
from typing import Any

from datalake_cdktf.naming import bucket_arn, partition

Statement = dict[str, Any]


def document(*statements: Statement) -> str:
    """A policy document (version 2012-10-17) as compact, key-sorted JSON."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def deny_insecure_transport(bucket_arn: str) -> Statement:
    """Deny every S3 request on the bucket that does not use TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


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
        "Resource": f"{bucket_arn(log_bucket, region)}/*",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
    }


def cloudwatch_logs_use_key(region: str, account_id: str) -> Statement:
    """Key-policy grant: CloudWatch Logs encrypts ``account_id``'s log groups with the key.

    No Describe* actions: they do not take the encryption-context condition.
    """
    return {
        "Sid": "CloudWatchLogsEncryptsOwnLogGroups",
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{region}.amazonaws.com"},
        "Action": ["kms:Decrypt*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
        "Resource": "*",
        "Condition": {
            "ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": f"arn:{partition(region)}:logs:{region}:{account_id}:log-group:*"
            }
        },
    }


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


XRAY_TRACING = (
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
)
"""What a traced Lambda function or state machine sends to X-Ray (no resource ARN)."""


def xray_tracing(region: str) -> Statement:
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
