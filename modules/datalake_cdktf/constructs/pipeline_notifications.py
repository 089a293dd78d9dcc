"""What reaches one pipeline's people: its topic, encrypted with the central notification
key and published to over TLS only, and the notification rules that feed it (approvals
waiting, failures and applies of the run, failures of the scheduled builds).

The resources are created in the pipeline's scope (their ids are the pipeline's own).
"""

from __future__ import annotations

from datalake_cdktf.engine import Construct
from datalake_cdktf.engine.aws import codestarnotifications_notification_rule, sns_topic, sns_topic_policy
from datalake_cdktf.iam.pipeline import PipelineAccess, topic_policy
from datalake_cdktf.iam.statements import document
from datalake_cdktf.naming import kms_alias_arn

__all__ = ["PIPELINE_EVENTS", "SCHEDULED_BUILD_EVENTS", "notification_rule", "notification_topic"]

PIPELINE_EVENTS = (
    "codepipeline-pipeline-manual-approval-needed",
    "codepipeline-pipeline-pipeline-execution-failed",
    "codepipeline-pipeline-pipeline-execution-succeeded",
)
"""What of the run reaches the topic: approvals waiting, failures, and runs that applied."""
SCHEDULED_BUILD_EVENTS = ("codebuild-project-build-state-failed",)
"""What of a scheduled build (the drift check) reaches the topic: its failures."""


def notification_topic(scope: Construct, access: PipelineAccess) -> sns_topic.SnsTopic:
    """The topic ``<prefix>notifications`` (id ``topic``) and its policy (``topic-policy``)."""
    topic = sns_topic.SnsTopic(
        scope,
        "topic",
        name=access.prefix + "notifications",
        kms_master_key_id=kms_alias_arn(
            account_id=access.account_id, region=access.region, alias=access.notification_key_alias
        ),
    )
    arn = topic.arn  # read once: each read is a call into the engine
    sns_topic_policy.SnsTopicPolicy(
        scope, "topic-policy", arn=arn, policy=document(*topic_policy(arn, access.account_id))
    )
    return topic


def notification_rule(
    scope: Construct, access: PipelineAccess, name: str, *, resource: str, events: tuple[str, ...], topic_arn: str
) -> None:
    """The rule ``<pipeline>-<name>`` (id ``name``): ``events`` of ``resource`` to the topic."""
    codestarnotifications_notification_rule.CodestarnotificationsNotificationRule(
        scope,
        name,
        name=f"{access.pipeline_name}-{name}",
        resource=resource,
        detail_type="FULL",
        event_type_ids=list(events),
        target=[codestarnotifications_notification_rule.CodestarnotificationsNotificationRuleTarget(address=topic_arn)],
    )
