"""An ETL repository's deploy role (``etl-<repo>-<env>``): its concerns, and :data:`ETL`,
the role's definition as lists of them.

An ETL repository owns ``<project>-<env>-<repo>-*`` for everything (jobs, crawlers,
rulesets, state machines, functions, rules, alarms, topics, tables), log groups and
parameters under ``/<project>/<env>/<repo>/``, secrets under ``<project>/<env>/<repo>/``
and objects under ``<repo>/`` in the assets bucket. It reads the data lake's contract and
catalog; its jobs read and write the zones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from datalake_cdktf import naming
from datalake_cdktf.iam.deploy.common import (
    DATA_DESTRUCTION,
    LOG_GROUP_MANAGEMENT,
    PARAMETER_MANAGEMENT,
    deploy_identities_are_immutable,
    own_roles_and_policies,
    pass_own_roles,
    who_am_i,
)
from datalake_cdktf.iam.deploy.definition import DeployRoleDefinition
from datalake_cdktf.iam.statements import XRAY_TRACING, Statement, allow, deny, key_by_alias, objects_use_key

if TYPE_CHECKING:
    from datalake_cdktf.iam.deploy.scope import DeployAccess

__all__ = [
    "ALARM_MANAGEMENT",
    "ASSET_OBJECTS",
    "CATALOG_CEILING",
    "CONTRACT_READ",
    "ETL",
    "EVENT_RULE_MANAGEMENT",
    "FUNCTION_MANAGEMENT",
    "IN_REGION_CEILING",
    "JOB_MANAGEMENT",
    "OWNED_SERVICES",
    "PASSED_TO_SERVICES",
    "STATE_MACHINE_MANAGEMENT",
    "TABLE_MANAGEMENT",
    "TOPIC_MANAGEMENT",
    "WITHOUT_RESOURCE_TYPES",
    "actions_without_resource_types",
    "alarms",
    "assets",
    "catalog",
    "catalog_ceiling",
    "contract_and_glue_logs_ceiling",
    "data_is_not_destroyed",
    "data_key",
    "data_key_ceiling",
    "event_rules",
    "functions",
    "in_region_ceiling",
    "jobs",
    "log_groups",
    "objects_ceiling",
    "own_parameters",
    "own_resources_ceiling",
    "own_secrets",
    "pass_roles_to_services",
    "read_the_contract",
    "tables",
    "topics",
    "validate_state_machines",
    "workflows",
]

PASSED_TO_SERVICES = ("events.amazonaws.com", "glue.amazonaws.com", "lambda.amazonaws.com", "states.amazonaws.com")
"""ETL repositories pass roles to Glue jobs and crawlers, Step Functions, Lambda and EventBridge targets."""

CONTRACT_READ = ("ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath")
"""Reading the data lake's SSM contract."""
ASSET_OBJECTS = ("s3:DeleteObject", "s3:GetObject", "s3:GetObjectTagging", "s3:PutObject", "s3:PutObjectTagging")
"""The repository's objects in the assets bucket (scripts, packages)."""
WITHOUT_RESOURCE_TYPES = (
    "glue:CreateCrawler",
    "glue:CreateDataQualityRuleset",
    "glue:GetSecurityConfiguration",
    "glue:GetSecurityConfigurations",
    "logs:DescribeLogGroups",
    "sns:GetSubscriptionAttributes",
    "sns:SetSubscriptionAttributes",
    "sns:Unsubscribe",
    "ssm:DescribeParameters",
    "states:ValidateStateMachineDefinition",
)
"""What the deploy role calls that takes no resource ARN (Service Authorization Reference)."""
JOB_MANAGEMENT = (
    "glue:BatchGetJobs",
    "glue:CreateJob",
    "glue:DeleteCrawler",
    "glue:DeleteDataQualityRuleset",
    "glue:DeleteJob",
    "glue:GetCrawler",
    "glue:GetDataQualityRuleset",
    "glue:GetJob",
    "glue:GetTags",
    "glue:TagResource",
    "glue:UntagResource",
    "glue:UpdateCrawler",
    "glue:UpdateDataQualityRuleset",
    "glue:UpdateJob",
)
"""Glue jobs, crawlers and data-quality rulesets (their creation: :data:`WITHOUT_RESOURCE_TYPES`)."""
STATE_MACHINE_MANAGEMENT = (
    "states:CreateStateMachine",
    "states:DeleteStateMachine",
    "states:DescribeStateMachine",
    "states:ListStateMachineVersions",
    "states:ListTagsForResource",
    "states:TagResource",
    "states:UntagResource",
    "states:UpdateStateMachine",
)
"""Step Functions state machines: the workflows."""
EVENT_RULE_MANAGEMENT = (
    "events:DeleteRule",
    "events:DescribeRule",
    "events:DisableRule",
    "events:EnableRule",
    "events:ListTagsForResource",
    "events:ListTargetsByRule",
    "events:PutRule",
    "events:PutTargets",
    "events:RemoveTargets",
    "events:TagResource",
    "events:UntagResource",
)
"""EventBridge rules and their targets: the workflows' triggers."""
FUNCTION_MANAGEMENT = (
    "lambda:AddPermission",
    "lambda:CreateFunction",
    "lambda:DeleteFunction",
    "lambda:DeleteFunctionConcurrency",
    "lambda:GetFunction",
    "lambda:GetFunctionCodeSigningConfig",
    "lambda:GetFunctionConcurrency",
    "lambda:GetFunctionConfiguration",
    "lambda:GetPolicy",
    "lambda:ListTags",
    "lambda:ListVersionsByFunction",
    "lambda:PublishVersion",
    "lambda:PutFunctionConcurrency",
    "lambda:RemovePermission",
    "lambda:TagResource",
    "lambda:UntagResource",
    "lambda:UpdateFunctionCode",
    "lambda:UpdateFunctionConfiguration",
)
"""Lambda functions: the helpers."""
ALARM_MANAGEMENT = (
    "cloudwatch:DeleteAlarms",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:ListTagsForResource",
    "cloudwatch:PutMetricAlarm",
    "cloudwatch:TagResource",
    "cloudwatch:UntagResource",
)
"""CloudWatch metric alarms."""
TOPIC_MANAGEMENT = (
    "sns:CreateTopic",
    "sns:DeleteTopic",
    "sns:GetTopicAttributes",
    "sns:ListTagsForResource",
    "sns:SetTopicAttributes",
    "sns:Subscribe",
    "sns:TagResource",
    "sns:UntagResource",
)
"""SNS topics and subscribing to them (subscriptions' attributes: :data:`WITHOUT_RESOURCE_TYPES`)."""
TABLE_MANAGEMENT = (
    "dynamodb:CreateTable",
    "dynamodb:DeleteTable",
    "dynamodb:DescribeContinuousBackups",
    "dynamodb:DescribeTable",
    "dynamodb:DescribeTimeToLive",
    "dynamodb:ListTagsOfResource",
    "dynamodb:TagResource",
    "dynamodb:UntagResource",
    "dynamodb:UpdateContinuousBackups",
    "dynamodb:UpdateTable",
    "dynamodb:UpdateTimeToLive",
)
"""DynamoDB tables, their point-in-time recovery and time to live."""

OWNED_SERVICES = (
    "cloudwatch",
    "dynamodb",
    "events",
    "glue",
    "lambda",
    "logs",
    "secretsmanager",
    "sns",
    "ssm",
    "states",
)
"""The services whose every action the boundary admits on the repository's own names."""
CATALOG_CEILING = (
    "glue:BatchCreatePartition",
    "glue:BatchGetPartition",
    "glue:CreatePartition",
    "glue:CreateTable",
    "glue:GetConnection",
    "glue:GetDatabase*",
    "glue:GetPartition*",
    "glue:GetTable*",
    "glue:UpdatePartition",
    "glue:UpdateTable",
)
"""What the jobs and crawlers do in the catalog while they run."""
IN_REGION_CEILING = (
    "cloudwatch:PutMetricData",
    "ec2:CreateNetworkInterface",
    "ec2:CreateTags",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteTags",
    "ec2:Describe*",
    "glue:CreateCrawler",
    "glue:CreateDataQualityRuleset",
    "glue:GetJobBookmark",
    "glue:GetSecurityConfiguration*",
    "logs:*LogDeliver*",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:PutResourcePolicy",
    "sns:*Subscription*",
    "sns:Unsubscribe",
    "ssm:DescribeParameters",
    "states:ValidateStateMachineDefinition",
    "sts:GetCallerIdentity",
    *XRAY_TRACING,
)
"""The boundary's actions without resource types: network interfaces are how Glue jobs
reach the private subnets; log deliveries carry workflow logs."""


def _owned(access: DeployAccess, service: str, kind: str) -> str:
    """The repository's resources of ``service`` whose ARNs end ``<kind><prefix>*``."""
    return access.arn(service, resource=f"{kind}{access.prefix}*")


def _own_scripts(access: DeployAccess) -> str:
    """The repository's job scripts and modules in the assets bucket (replaceable code)."""
    return f"{access.bucket_arn('assets')}/{naming.replaceable_code(access.repository)}"


def _own_log_groups(access: DeployAccess) -> str:
    return access.arn("logs", resource=f"log-group:{access.label.log_group_path(access.repository)}*")


def _own_secrets(access: DeployAccess) -> str:
    return access.arn("secretsmanager", resource=f"secret:{access.label.secret_path(access.repository)}*")


# The permissions -----------------------------------------------------------------


def pass_roles_to_services(access: DeployAccess) -> list[Statement]:
    """The jobs', workflows', functions' and targets' roles (:data:`PASSED_TO_SERVICES`)."""
    return pass_own_roles(access, PASSED_TO_SERVICES)


def read_the_contract(access: DeployAccess) -> list[Statement]:
    """The data lake's SSM contract, which the repository's stacks read."""
    return [allow("ReadTheContract", list(CONTRACT_READ), access.contract)]


def validate_state_machines(access: DeployAccess) -> list[Statement]:
    """Checking a state machine's definition, in the region: the provider asks Step
    Functions to validate every definition it plans, even with ``-refresh=false``. The
    call takes no resource and reads nothing; it answers whether the text is valid ASL."""
    return [
        allow(
            "ValidateStateMachineDefinitions",
            ["states:ValidateStateMachineDefinition"],
            "*",
            access.in_region,
        )
    ]


def own_parameters(access: DeployAccess) -> list[Statement]:
    """The repository's configuration: parameters under ``/<project>/<env>/<repo>/``."""
    return [
        allow(
            "OwnParameters",
            list(PARAMETER_MANAGEMENT),
            [access.arn("ssm", resource="parameter" + access.label.ssm_path(access.repository, "*"))],
        )
    ]


def own_secrets(access: DeployAccess) -> list[Statement]:
    """The names of the repository's secrets (never their values)."""
    return [allow("DescribeOwnSecrets", ["secretsmanager:DescribeSecret"], [_own_secrets(access)])]


def assets(access: DeployAccess) -> list[Statement]:
    """The repository's objects under ``<repo>/`` in the assets bucket."""
    bucket = access.bucket_arn("assets")
    versions = [] if access.protect_data else ["s3:DeleteObjectVersion"]
    return [
        # Removing an object removes its versions too (the bucket is versioned);
        # where data is protected only a script's (RemoveOwnScripts).
        allow("OwnAssets", [*ASSET_OBJECTS, *versions], f"{bucket}/{access.repository}/*"),
        # Removing a job deletes every version of its script: code, kept in Git.
        allow("RemoveOwnScripts", ["s3:DeleteObjectVersion"], _own_scripts(access)),
        allow(
            "ListOwnAssets",
            ["s3:ListBucket", "s3:ListBucketVersions"],
            bucket,
            {"StringLike": {"s3:prefix": [f"{access.repository}/*"]}},
        ),
    ]


def data_key(access: DeployAccess) -> list[Statement]:
    """The data key: objects, topics and log groups name it, and the provider reads it;
    objects in the assets bucket are encrypted with it."""
    return [
        allow("DescribeTheDataKey", ["kms:DescribeKey"], access.any_key_arn, key_by_alias(access.data_key_alias)),
        objects_use_key(
            "EncryptAssetsWithTheDataKey",
            ["kms:Decrypt", "kms:GenerateDataKey"],
            access.region,
            access.account_id,
            access.data_key_alias,
            access.bucket_arn("assets"),
        ),
    ]


def actions_without_resource_types(access: DeployAccess) -> list[Statement]:
    """:data:`WITHOUT_RESOURCE_TYPES`, in the region only."""
    return [allow("ActionsWithoutResourceTypes", list(WITHOUT_RESOURCE_TYPES), "*", access.in_region)]


def jobs(access: DeployAccess) -> list[Statement]:
    """The repository's Glue jobs, crawlers and data-quality rulesets."""
    owned = [_owned(access, "glue", f"{kind}/") for kind in ("job", "crawler", "dataQualityRuleset")]
    return [allow("OwnGlueJobsCrawlersAndRulesets", list(JOB_MANAGEMENT), owned)]


def catalog(access: DeployAccess) -> list[Statement]:
    """The catalog, read (its metadata is encrypted: decrypted through Glue)."""
    return [
        allow("ReadTheCatalog", ["glue:GetDatabase", "glue:GetDatabases", "glue:GetTable"], access.catalog),
        access.catalog_key(write=False),
    ]


def workflows(access: DeployAccess) -> list[Statement]:
    """The repository's state machines."""
    return [allow("OwnStateMachines", list(STATE_MACHINE_MANAGEMENT), [_owned(access, "states", "stateMachine:")])]


def event_rules(access: DeployAccess) -> list[Statement]:
    """The repository's EventBridge rules."""
    return [allow("OwnEventRules", list(EVENT_RULE_MANAGEMENT), [_owned(access, "events", "rule/")])]


def functions(access: DeployAccess) -> list[Statement]:
    """The repository's Lambda functions."""
    return [allow("OwnFunctions", list(FUNCTION_MANAGEMENT), [_owned(access, "lambda", "function:")])]


def alarms(access: DeployAccess) -> list[Statement]:
    """The repository's CloudWatch alarms."""
    return [allow("OwnAlarms", list(ALARM_MANAGEMENT), [_owned(access, "cloudwatch", "alarm:")])]


def topics(access: DeployAccess) -> list[Statement]:
    """The repository's SNS topics."""
    return [allow("OwnTopics", list(TOPIC_MANAGEMENT), [_owned(access, "sns", "")])]


def tables(access: DeployAccess) -> list[Statement]:
    """The repository's DynamoDB tables."""
    return [allow("OwnTables", list(TABLE_MANAGEMENT), [_owned(access, "dynamodb", "table/")])]


def log_groups(access: DeployAccess) -> list[Statement]:
    """The repository's log groups, under ``/<project>/<env>/<repo>/``."""
    return [allow("OwnLogGroups", list(LOG_GROUP_MANAGEMENT), [_own_log_groups(access)])]


# The boundary: everything the permissions allow and what the repository's jobs,
# workflows, functions and event targets need while they run; each role's policy narrows it.


def own_resources_ceiling(access: DeployAccess) -> list[Statement]:
    """Every action of :data:`OWNED_SERVICES` on the repository's own names."""
    prefix = access.prefix
    owned = [
        # <type>/<name> (Glue, EventBridge, DynamoDB), <type>:<name> (Step Functions,
        # Lambda, CloudWatch alarms), <name> (SNS), and the repository's paths
        # (parameters, log groups, secrets).
        access.arn("*", resource=f"*/{prefix}*"),
        access.arn("*", resource=f"*:{prefix}*"),
        access.arn("sns", resource=f"{prefix}*"),
        access.arn("*", resource=f"*{access.label.log_group_path(access.repository)}*"),
        _own_secrets(access),
    ]
    return [allow("OwnResources", [f"{service}:*" for service in OWNED_SERVICES], owned)]


def catalog_ceiling(access: DeployAccess) -> list[Statement]:
    """The catalog as the jobs and crawlers use it (:data:`CATALOG_CEILING`)."""
    return [allow("UseTheCatalog", list(CATALOG_CEILING), access.catalog)]


def objects_ceiling(access: DeployAccess) -> list[Statement]:
    """The zones' objects and the repository's assets."""
    bucket = access.bucket_arn("assets")
    zones = [access.bucket_arn(zone) for zone in naming.ZONES]
    return [
        allow(
            "ZonesAndOwnAssets",
            ["s3:DeleteObject*", "s3:GetObject*", "s3:PutObject*"],
            [*(f"{zone}/*" for zone in zones), f"{bucket}/{access.repository}/*"],
        ),
        allow("ListZonesAndAssets", ["s3:GetBucketLocation", "s3:ListBucket*"], [*zones, bucket]),
    ]


def data_key_ceiling(access: DeployAccess) -> list[Statement]:
    """The data key, named by its alias: what the repository's roles encrypt and decrypt with."""
    return [
        allow(
            "UseTheDataKey",
            ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
            access.any_key_arn,
            key_by_alias(access.data_key_alias),
        )
    ]


def contract_and_glue_logs_ceiling(access: DeployAccess) -> list[Statement]:
    """The contract, read at run time, and the log groups Glue writes job runs to."""
    return [
        allow(
            "ReadTheContractAndWriteGlueLogs",
            ["logs:AssociateKmsKey", "logs:CreateLog*", "logs:PutLogEvents", "ssm:GetParameter*"],
            [access.contract, access.arn("logs", resource="log-group:/aws-glue/*")],
        )
    ]


def in_region_ceiling(access: DeployAccess) -> list[Statement]:
    """:data:`IN_REGION_CEILING`, in the region only."""
    return [allow("InRegion", list(IN_REGION_CEILING), "*", access.in_region)]


def data_is_not_destroyed(access: DeployAccess) -> list[Statement]:
    """Where data is protected, nothing data-bearing is destroyed; the repository may still
    delete the versions of its own job scripts (code, kept in Git), because removing a job
    deletes every version of its script."""
    if not access.protect_data:
        return []
    return [
        deny("DataIsNotDestroyed", [a for a in DATA_DESTRUCTION if a != "s3:DeleteObjectVersion"], "*"),
        {
            "Sid": "OnlyItsScriptsVersionsAreDeleted",
            "Effect": "Deny",
            "Action": "s3:DeleteObjectVersion",
            "NotResource": _own_scripts(access),
        },
    ]


ETL = DeployRoleDefinition(
    permissions=(
        own_roles_and_policies,
        pass_roles_to_services,
        who_am_i,
        read_the_contract,
        own_parameters,
        own_secrets,
        assets,
        data_key,
        actions_without_resource_types,
        jobs,
        catalog,
        workflows,
        event_rules,
        functions,
        alarms,
        topics,
        tables,
        log_groups,
    ),
    boundary=(
        own_roles_and_policies,
        pass_roles_to_services,
        own_resources_ceiling,
        catalog_ceiling,
        objects_ceiling,
        data_key_ceiling,
        contract_and_glue_logs_ceiling,
        in_region_ceiling,
        deploy_identities_are_immutable,
        data_is_not_destroyed,
    ),
    plan=(who_am_i, read_the_contract, validate_state_machines),
)
"""An ETL repository's deploy role: what it may do, and its boundary: everything the
permissions allow, what its jobs, workflows, functions and event targets need while they
run (each role's own policy narrows it), and the denies."""
