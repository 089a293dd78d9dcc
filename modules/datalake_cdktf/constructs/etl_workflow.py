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
topic; the rule's role may start exactly this state machine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from datalake_cdktf.config.etl import Workflow
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
from datalake_cdktf.iam.statements import Statement, allow, document, xray_tracing
from datalake_cdktf.naming import Label, arn

__all__ = ["EtlWorkflow", "EtlWorkflowConfig", "definition"]

RETRY_INTERVAL_SECONDS = 60
BACKOFF_RATE = 2.0


@dataclass(frozen=True)
class EtlWorkflowConfig:
    """- ``workflow``: as ``etl.yaml`` declares it.
    - ``jobs``: physical names of the Glue jobs in run order; ``validator``: the
      validating function's physical name (or None).
    - ``functions``: every Lambda helper's physical name (for the error alarms).
    - ``label``, ``repository``, ``account_id``, ``region``, ``boundary_arn``, ``kms_key_arn``.
    """

    workflow: Workflow
    jobs: tuple[str, ...]
    validator: str | None
    functions: tuple[str, ...]
    label: Label
    repository: str
    account_id: str
    region: str
    boundary_arn: str
    kms_key_arn: str

    def name(self, *parts: str) -> str:
        return self.label.name(self.repository, *parts)

    def _arn(self, service: str, resource: str) -> str:
        return arn(service, self.region, self.account_id, resource)

    @property
    def state_machine_arn(self) -> str:
        return self._arn("states", f"stateMachine:{self.name('workflow')}")

    @property
    def topic_arn(self) -> str:
        return self._arn("sns", self.name("alerts"))

    @property
    def log_group(self) -> str:
        return f"{self.label.log_group_path(self.repository)}states/workflow"

    @property
    def trigger_bucket(self) -> str | None:
        created = self.workflow.on_object_created
        return self.label.bucket(created.zone, self.account_id, self.region) if created else None

    def state_machine_permissions(self) -> list[Statement]:
        statements = [
            allow(
                "RunItsJobs",
                ["glue:BatchStopJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:StartJobRun"],
                [self._arn("glue", f"job/{job}") for job in self.jobs],
            ),
            allow("PublishItsAlerts", ["sns:Publish"], self.topic_arn),
            allow(
                # The topic is encrypted with the data key.
                "EncryptItsAlerts",
                ["kms:Decrypt", "kms:GenerateDataKey"],
                self._arn("kms", "key/*"),
                {"ForAnyValue:StringEquals": {"kms:ResourceAliases": [self.label.kms_alias("data")]}},
            ),
            allow(
                # Execution logs go through CloudWatch Logs deliveries, which take no resource ARN.
                "DeliverItsLogs",
                [
                    "logs:CreateLogDelivery",
                    "logs:DeleteLogDelivery",
                    "logs:DescribeLogGroups",
                    "logs:DescribeResourcePolicies",
                    "logs:GetLogDelivery",
                    "logs:ListLogDeliveries",
                    "logs:PutResourcePolicy",
                    "logs:UpdateLogDelivery",
                ],
                "*",
                {"StringEquals": {"aws:RequestedRegion": self.region}},
            ),
            xray_tracing(self.region),
        ]
        if self.validator:
            statements.append(
                allow(
                    "InvokeItsValidator", ["lambda:InvokeFunction"], self._arn("lambda", f"function:{self.validator}")
                )
            )
        return statements

    def trigger_permissions(self) -> list[Statement]:
        return [allow("StartItsWorkflow", ["states:StartExecution"], self.state_machine_arn)]


def definition(config: EtlWorkflowConfig) -> dict:
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
        states["NotifyRejected"] = _notify(config, "rejected", "$.validation", "Rejected")
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
    states["NotifyFailure"] = _notify(config, "failed", "$.error", "Failed")
    states["Failed"] = {"Type": "Fail", "Error": "WorkflowFailed", "Cause": "a step failed: see the alert"}
    return {
        "Comment": f"{config.repository}: {' -> '.join(config.jobs)}",
        "StartAt": first,
        "States": states,
    }


def _notify(config: EtlWorkflowConfig, what: str, detail: str, next_state: str) -> dict:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::sns:publish",
        "Parameters": {
            "TopicArn": config.topic_arn,
            "Subject": f"{config.name('workflow')} {what}",
            "Message.$": f"States.JsonToString({detail})",
        },
        "ResultPath": None,
        "Next": next_state,
    }


class EtlWorkflow(Construct):
    """Properties: ``state_machine``, ``topic``, ``definition`` (dict)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EtlWorkflowConfig):
        super().__init__(scope, construct_id)
        self.config = config
        key = config.kms_key_arn
        self.topic = sns_topic.SnsTopic(self, "alerts", name=config.name("alerts"), kms_master_key_id=key)
        sns_topic_policy.SnsTopicPolicy(
            self, "alerts-policy", arn=self.topic.arn, policy=document(*self._topic_policy())
        )
        logs = cloudwatch_log_group.CloudwatchLogGroup(
            self, "logs", name=config.log_group, retention_in_days=365, kms_key_id=key
        )
        role = self._role(
            "workflow-role", config.name("workflow"), "states.amazonaws.com", config.state_machine_permissions()
        )
        self.definition = definition(config)
        self.state_machine = sfn_state_machine.SfnStateMachine(
            self,
            "workflow",
            name=config.name("workflow"),
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
        config = self.config
        role = iam_role.IamRole(
            self,
            construct_id,
            name=name,
            assume_role_policy=document(
                {
                    "Sid": "ServiceOfThisAccount",
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": config.account_id}},
                }
            ),
            permissions_boundary=config.boundary_arn,
        )
        iam_role_policy.IamRolePolicy(
            self, f"{construct_id}-access", name="access", role=role.id, policy=document(*statements)
        )
        return role

    def _topic_policy(self) -> list[Statement]:
        config = self.config
        return [
            {
                "Sid": "AlertsOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
                "Action": "sns:Publish",
                "Resource": config.topic_arn,
                "Condition": {"StringEquals": {"aws:SourceAccount": config.account_id}},
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": config.topic_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ]

    def _trigger(self) -> None:
        config, workflow = self.config, self.config.workflow
        if workflow.on_object_created:
            rule = cloudwatch_event_rule.CloudwatchEventRule(
                self,
                "trigger",
                name=config.name("arrivals"),
                description=f"Objects created under {workflow.on_object_created.prefix} in {config.trigger_bucket}",
                event_pattern=json.dumps(
                    {
                        "source": ["aws.s3"],
                        "detail-type": ["Object Created"],
                        "detail": {
                            "bucket": {"name": [config.trigger_bucket]},
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
                self, "trigger", name=config.name("schedule"), schedule_expression=workflow.schedule
            )
            transformer = None
        role = self._role("trigger-role", config.name("trigger"), "events.amazonaws.com", config.trigger_permissions())
        cloudwatch_event_target.CloudwatchEventTarget(
            self,
            "trigger-target",
            rule=rule.name,
            arn=self.state_machine.arn,
            role_arn=role.arn,
            input_transformer=transformer,
        )

    def _failure_signals(self) -> None:
        config = self.config
        jobs = cloudwatch_event_rule.CloudwatchEventRule(
            self,
            "job-failures",
            name=config.name("job-failures"),
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
            ("workflow-failed", "AWS/States", "ExecutionsFailed", {"StateMachineArn": config.state_machine_arn}),
            *((f"{f}-errors", "AWS/Lambda", "Errors", {"FunctionName": f}) for f in config.functions),
        ]
        for name, namespace, metric, dimensions in alarms:
            alarm_name = name if name.startswith(config.name()) else config.name(name)
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
