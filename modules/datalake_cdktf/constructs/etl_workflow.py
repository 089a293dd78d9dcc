"""An ETL repository's workflow: a state machine that runs its jobs, what starts it, and
who hears about failures.

- Topic ``<project>-<env>-<repo>-alerts`` (encrypted with the data key): failed runs,
  failed jobs, alarms.
- State machine ``<project>-<env>-<repo>-workflow``: optionally the validating Lambda
  first (a rejected file ends the run as failed), then each job in run order with
  ``glue:startJobRun.sync``, retried with exponential backoff; any failure is published
  to the topic and fails the execution. Every step of every execution is logged, with
  its input and output (the object's bucket and key, the validation result, errors:
  job results are left out), to ``/<project>/<env>/<repo>/states/workflow``, encrypted;
  executions are traced with X-Ray.
- An EventBridge rule starts it on objects created under a prefix of a zone's bucket
  (the S3 event's bucket and key become the input), or on a schedule.
- A rule on Glue job state changes (failed, timeout) of the repository's jobs, and alarms
  on failed executions and Lambda errors, all to the topic.

The state machine's role may run exactly these jobs and functions and publish to this
topic; the rule's role may start exactly this state machine
(:func:`~datalake_cdktf.iam.etl_roles.state_machine_role`,
:func:`~datalake_cdktf.iam.etl_roles.trigger_role`). Names and ARNs come from the
repository's :class:`~datalake_cdktf.context.RepositoryContext` (``context=``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from datalake_cdktf.config.etl import Workflow
from datalake_cdktf.context import RepositoryContext
from datalake_cdktf.engine import Construct
from datalake_cdktf.engine.aws import (
    cloudwatch_event_rule,
    cloudwatch_event_target,
    cloudwatch_log_group,
    cloudwatch_metric_alarm,
    iam_role,
    iam_role_policy,
    sfn_state_machine,
    sns_topic,
    sns_topic_policy,
)
from datalake_cdktf.iam.etl_roles import (
    alerts_topic_policy,
    service_role_trust,
    state_machine_role,
    trigger_role,
)
from datalake_cdktf.iam.statements import Statement, document

__all__ = ["EtlWorkflow", "EtlWorkflowConfig", "definition", "state_machine_arn", "topic_arn"]

RETRY_INTERVAL_SECONDS = 60
BACKOFF_RATE = 2.0


@dataclass(frozen=True)
class EtlWorkflowConfig:
    """- ``workflow``: as ``etl.yaml`` declares it.
    - ``jobs``: physical names of the Glue jobs in run order; ``validator``: the
      validating function's physical name (or None).
    - ``functions``: every Lambda helper's physical name (for the error alarms).
    - ``kms_key_arn``: the data key (from the contract), for the topic and the log group.
    """

    workflow: Workflow
    jobs: tuple[str, ...]
    validator: str | None
    functions: tuple[str, ...]
    kms_key_arn: str


def state_machine_arn(context: RepositoryContext) -> str:
    """The ARN of the repository's state machine, ``<project>-<env>-<repo>-workflow``."""
    return context.arn(service="states", resource=f"stateMachine:{context.name('workflow')}")


def topic_arn(context: RepositoryContext) -> str:
    """The ARN of the repository's alert topic, ``<project>-<env>-<repo>-alerts``."""
    return context.arn(service="sns", resource=context.name("alerts"))


def definition(context: RepositoryContext, config: EtlWorkflowConfig) -> dict:
    """The state machine's Amazon States Language definition."""
    retry = [
        {
            "ErrorEquals": ["States.ALL"],
            "IntervalSeconds": RETRY_INTERVAL_SECONDS,
            "BackoffRate": BACKOFF_RATE,
            "MaxAttempts": config.workflow.retries,
        }
    ]
    catch = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "NotifyFailure"}]
    states: dict[str, dict] = {}
    steps = [f"Run {job}" for job in config.jobs]
    first = steps[0]
    if config.validator:
        first = "Validate"
        states["Validate"] = {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": config.validator, "Payload.$": "$"},
            "ResultSelector": {"status.$": "$.Payload.status", "reason.$": "$.Payload.reason"},
            "ResultPath": "$.validation",
            "Retry": retry,
            "Catch": catch,
            "Next": "Accepted?",
        }
        states["Accepted?"] = {
            "Type": "Choice",
            "Choices": [{"Variable": "$.validation.status", "StringEquals": "ACCEPTED", "Next": steps[0]}],
            "Default": "NotifyRejected",
        }
        states["NotifyRejected"] = _notify(context, "rejected", "$.validation", "Rejected")
        states["Rejected"] = {"Type": "Fail", "Error": "FileRejected", "Cause": "the arriving file was rejected"}
    for index, (job, step) in enumerate(zip(config.jobs, steps, strict=True)):
        state = {
            "Type": "Task",
            "Resource": "arn:aws:states:::glue:startJobRun.sync",
            "Parameters": {"JobName": job},
            "ResultPath": None,
            "Retry": retry,
            "Catch": catch,
        }
        if index + 1 < len(steps):
            state["Next"] = steps[index + 1]
        else:
            state["End"] = True
        states[step] = state
    states["NotifyFailure"] = _notify(context, "failed", "$.error", "Failed")
    states["Failed"] = {"Type": "Fail", "Error": "WorkflowFailed", "Cause": "a step failed: see the alert"}
    return {
        "Comment": f"{context.repository}: {' -> '.join(config.jobs)}",
        "StartAt": first,
        "States": states,
    }


def _notify(context: RepositoryContext, what: str, detail: str, next_state: str) -> dict:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::sns:publish",
        "Parameters": {
            "TopicArn": topic_arn(context),
            "Subject": f"{context.name('workflow')} {what}",
            "Message.$": f"States.JsonToString({detail})",
        },
        "ResultPath": None,
        "Next": next_state,
    }


class EtlWorkflow(Construct):
    """The workflow of ``context``'s repository (see the module).

    Properties: ``state_machine``, ``topic``, ``definition`` (dict), ``context``, ``config``."""

    def __init__(self, scope: Construct, construct_id: str, *, context: RepositoryContext, config: EtlWorkflowConfig):
        super().__init__(scope, construct_id)
        self.context, self.config = context, config
        key, alerts = config.kms_key_arn, topic_arn(context)
        self.topic = sns_topic.SnsTopic(self, "alerts", name=context.name("alerts"), kms_master_key_id=key)
        sns_topic_policy.SnsTopicPolicy(
            self, "alerts-policy", arn=self.topic.arn, policy=document(*alerts_topic_policy(context, topic_arn=alerts))
        )
        logs = cloudwatch_log_group.CloudwatchLogGroup(
            self, "logs", name=context.log_group("states", "workflow"), retention_in_days=365, kms_key_id=key
        )
        permissions = state_machine_role(context, jobs=config.jobs, topic_arn=alerts, validator=config.validator)
        role = self._role("workflow-role", context.name("workflow"), "states", permissions)
        self.definition = definition(context, config)
        self.state_machine = sfn_state_machine.SfnStateMachine(
            self,
            "workflow",
            name=context.name("workflow"),
            role_arn=role.arn,
            definition=json.dumps(self.definition, indent=2),
            logging_configuration=sfn_state_machine.SfnStateMachineLoggingConfiguration(
                level="ALL", include_execution_data=True, log_destination=f"{logs.arn}:*"
            ),
            tracing_configuration=sfn_state_machine.SfnStateMachineTracingConfiguration(enabled=True),
        )
        self._trigger()
        self._failure_signals()

    def _role(self, construct_id: str, name: str, service: str, statements: list[Statement]) -> iam_role.IamRole:
        """A role ``name`` for ``service`` (``states``, ``events``) of this account, with ``statements``."""
        role = iam_role.IamRole(
            self,
            construct_id,
            name=name,
            assume_role_policy=document(service_role_trust(self.context, service=service, sid="ServiceOfThisAccount")),
            permissions_boundary=self.context.boundary_arn,
        )
        iam_role_policy.IamRolePolicy(
            self, f"{construct_id}-access", name="access", role=role.id, policy=document(*statements)
        )
        return role

    def _trigger(self) -> None:
        context, workflow = self.context, self.config.workflow
        if workflow.on_object_created:
            bucket = context.bucket(purpose=workflow.on_object_created.zone)
            rule = cloudwatch_event_rule.CloudwatchEventRule(
                self,
                "trigger",
                name=context.name("arrivals"),
                description=f"Objects created under {workflow.on_object_created.prefix} in {bucket}",
                event_pattern=json.dumps(
                    {
                        "source": ["aws.s3"],
                        "detail-type": ["Object Created"],
                        "detail": {
                            "bucket": {"name": [bucket]},
                            "object": {"key": [{"prefix": workflow.on_object_created.prefix}]},
                        },
                    }
                ),
            )
            transformer = cloudwatch_event_target.CloudwatchEventTargetInputTransformer(
                input_paths={"bucket": "$.detail.bucket.name", "key": "$.detail.object.key"},
                input_template='{"bucket": <bucket>, "key": <key>}',
            )
        else:
            rule = cloudwatch_event_rule.CloudwatchEventRule(
                self, "trigger", name=context.name("schedule"), schedule_expression=workflow.schedule
            )
            transformer = None
        role = self._role("trigger-role", context.name("trigger"), "events", trigger_role(state_machine_arn(context)))
        cloudwatch_event_target.CloudwatchEventTarget(
            self,
            "trigger-target",
            rule=rule.name,
            arn=self.state_machine.arn,
            role_arn=role.arn,
            input_transformer=transformer,
        )

    def _failure_signals(self) -> None:
        context, config = self.context, self.config
        jobs = cloudwatch_event_rule.CloudwatchEventRule(
            self,
            "job-failures",
            name=context.name("job-failures"),
            description="Failed or timed-out runs of this repository's Glue jobs",
            event_pattern=json.dumps(
                {
                    "source": ["aws.glue"],
                    "detail-type": ["Glue Job State Change"],
                    "detail": {"jobName": list(config.jobs), "state": ["FAILED", "TIMEOUT", "ERROR"]},
                }
            ),
        )
        cloudwatch_event_target.CloudwatchEventTarget(self, "job-failures-target", rule=jobs.name, arn=self.topic.arn)
        alarms = [
            ("workflow-failed", "AWS/States", "ExecutionsFailed", {"StateMachineArn": state_machine_arn(context)}),
            *((f"{f}-errors", "AWS/Lambda", "Errors", {"FunctionName": f}) for f in config.functions),
        ]
        for name, namespace, metric, dimensions in alarms:
            alarm_name = name if name.startswith(context.name()) else context.name(name)
            cloudwatch_metric_alarm.CloudwatchMetricAlarm(
                self,
                f"alarm-{alarm_name}",
                alarm_name=alarm_name,
                namespace=namespace,
                metric_name=metric,
                dimensions=dimensions,
                statistic="Sum",
                period=300,
                evaluation_periods=1,
                threshold=1,
                comparison_operator="GreaterThanOrEqualToThreshold",
                treat_missing_data="notBreaching",
                alarm_actions=[self.topic.arn],
            )
