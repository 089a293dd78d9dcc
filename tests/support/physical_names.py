"""Every physical name in synthesized stacks, against the limit of the service that holds it.

The limits are AWS's, from each service's API reference (the name parameter of its
Create call), not the library's: a test that reads them from ``naming.py`` would agree
with any mistake made there.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

LIMITS: dict[str, tuple[str, int]] = {
    "aws_s3_bucket": ("bucket", 63),
    "aws_iam_role": ("name", 64),
    "aws_iam_policy": ("name", 128),
    "aws_iam_role_policy": ("name", 128),
    "aws_lambda_function": ("function_name", 64),
    "aws_sfn_state_machine": ("name", 80),
    "aws_cloudwatch_event_rule": ("name", 64),
    "aws_scheduler_schedule": ("name", 64),
    "aws_cloudwatch_metric_alarm": ("alarm_name", 255),
    "aws_cloudwatch_log_group": ("name", 512),
    "aws_sns_topic": ("name", 256),
    "aws_glue_job": ("name", 255),
    "aws_glue_crawler": ("name", 255),
    "aws_glue_catalog_database": ("name", 255),
    "aws_glue_connection": ("name", 255),
    "aws_glue_security_configuration": ("name", 255),
    "aws_glue_data_quality_ruleset": ("name", 255),
    "aws_dynamodb_table": ("name", 255),
    "aws_kms_alias": ("name", 256),
    "aws_ssm_parameter": ("name", 1011),
    "aws_security_group": ("name", 255),
    "aws_codebuild_project": ("name", 150),
    "aws_codepipeline": ("name", 100),
    "aws_codestarnotifications_notification_rule": ("name", 64),
    "aws_codebuild_webhook": ("project_name", 150),
}
"""Resource type -> (its name attribute, the service's length limit)."""


def names(stack_json: dict[str, Any]) -> Iterator[tuple[str, str, str, int]]:
    """(resource type, Terraform name, physical name, limit) of every named resource whose
    name is a literal (a reference is checked where it is defined)."""
    for resource_type, instances in stack_json.get("resource", {}).items():
        if resource_type not in LIMITS:
            continue
        attribute, limit = LIMITS[resource_type]
        for key, conf in instances.items():
            value = conf.get(attribute)
            if isinstance(value, str) and "${" not in value:
                yield resource_type, key, value, limit


def too_long(stacks: Iterable[tuple[str, dict[str, Any]]]) -> list[str]:
    """'stack: type.name = value (n > limit)' for every name over its limit."""
    return [
        f"{stack_id}: {rtype}.{key} = {value!r} ({len(value)} > {limit})"
        for stack_id, stack_json in stacks
        for rtype, key, value, limit in names(stack_json)
        if len(value) > limit
    ]
