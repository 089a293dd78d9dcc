"""A local AWS for end-to-end tests: moto, in this process, on 127.0.0.1.

Real Terraform and the real hashicorp/aws provider talk to it over HTTP; several
account ids work through assume-role, as in a real organisation. Where moto differs
from AWS in a way these stacks hit, the difference is patched here, and only here,
each patch with its reason (see PATCHES and _ForwardingProxy).
"""

from __future__ import annotations

import datetime
import http.client
import http.server
import inspect
import json
import logging
import re
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.config
from moto.awslambda.models import LambdaFunction
from moto.codepipeline.models import CodePipeline, CodePipelineBackend, codepipeline_backends
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.config import default_user_config
from moto.core.responses import ActionResult, EmptyResult
from moto.ec2.models.security_groups import SecurityGroupRule
from moto.events.models import Rule as EventsRule
from moto.glue.models import FakeConnection as GlueConnection
from moto.glue.responses import GlueResponse
from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.s3 import models as s3_models
from moto.s3 import responses as s3_responses
from moto.server import ThreadedMotoServer
from moto.stepfunctions.parser.backend.execution import Execution as InterpretedExecution
from moto.stepfunctions.parser.mocking.mock_config import MockedResponseReturn, MockTestCase, StateMockedResponses
from moto.stepfunctions.responses import StepFunctionResponse
from moto.stepfunctions.responses import get_backend as stepfunctions_backend
from moto.sts.models import sts_backends
from moto.utilities.arns import parse_arn

REGION = "eu-west-1"
SERVICES = (
    "cloudwatch",
    "codepipeline",
    "dynamodb",
    "ec2",
    "events",
    "glue",
    "iam",
    "kms",
    "lambda",
    "logs",
    "s3",
    "s3control",
    "sfn",
    "sns",
    "ssm",
    "sts",
)


def _statements(policy: bytes) -> list[dict[str, Any]]:
    statements = json.loads(policy.decode())["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _log_permissions_enabled_policy(target_bucket, target_prefix) -> bool:
    """Gap 1: moto's check of a log bucket's policy crashes (AttributeError: 'str'
    object has no attribute 'get') on any statement whose Principal is "*", such as
    the TLS-only deny every bucket here carries. AWS skips such statements."""
    if not target_bucket.policy:
        return False
    bucket_arn = f"arn:{target_bucket.partition}:s3:::{target_bucket.name}"
    accepted = {bucket_arn, f"{bucket_arn}/*", f"{bucket_arn}/{target_prefix or ''}*"}
    for statement in _statements(target_bucket.policy):
        principal = statement.get("Principal")
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        if (
            isinstance(principal, dict)
            and principal.get("Service") == s3_models.LOGGING_SERVICE_PRINCIPAL
            and statement.get("Effect") == "Allow"
            and "s3:PutObject" in (actions if isinstance(actions, list) else [actions])
            and accepted & set(resources if isinstance(resources, list) else [resources])
        ):
            return True
    return False


def _get_bucket_notification(self):
    """Gap 2: GetBucketNotificationConfiguration leaves out EventBridgeConfiguration
    although moto stores it, so `eventbridge = true` shows as a change on every plan."""
    config = self.backend.get_bucket_notification_configuration(self.bucket_name)
    if not config:
        return self.serialized(EmptyResult())

    def entry(item, arn_key: str) -> dict[str, Any]:
        found = {"Id": item.id, arn_key: item.arn, "Events": item.events}
        if item.filters:
            found["Filter"] = {"Key": {"FilterRules": item.filters["S3Key"]["FilterRule"]}}
        return found

    result: dict[str, Any] = {
        "TopicConfigurations": [entry(t, "TopicArn") for t in config.topic],
        "QueueConfigurations": [entry(q, "QueueArn") for q in config.queue],
        "LambdaFunctionConfigurations": [entry(f, "LambdaFunctionArn") for f in config.cloud_function],
    }
    if config.event_bridge is not None:
        result["EventBridgeConfiguration"] = {}
    self.data["Action"] = "GetBucketNotificationConfiguration"
    return self.serialized(ActionResult(result))


def _get_permission(self, action, resource):
    """Gap 3: moto evaluates bucket policies without request context, so the
    TLS-only deny ({"Bool": {"aws:SecureTransport": "false"}}) denies every object
    request. The endpoint is plain HTTP on loopback; drop those statements."""
    if self.policy is None:
        return PermissionResult.NEUTRAL
    document = json.loads(self.policy.decode())
    document["Statement"] = [
        s
        for s in _statements(self.policy)
        if not any("aws:SecureTransport" in values for values in (s.get("Condition") or {}).values())
    ]
    if not document["Statement"]:
        return PermissionResult.NEUTRAL
    return IAMPolicy(json.dumps(document)).is_action_permitted(action, resource)


_moto_create_pipeline = CodePipelineBackend.create_pipeline


def _create_pipeline(self, pipeline, tags):
    """Gap 8: moto checks that the pipeline's role trusts CodePipeline by reading each
    trust statement's Principal.Service as one string, so a statement trusting a list of
    services (["codepipeline.amazonaws.com", "events.amazonaws.com"], valid in AWS) is
    refused. Show moto the same trust with one service per statement while it checks."""
    role = self.iam_backend.get_role_by_arn(pipeline["roleArn"])
    document = role.assume_role_policy_document
    parsed = json.loads(document)
    parsed["Statement"] = [
        {**statement, "Principal": {"Service": service}}
        for statement in _statements(document.encode())
        if statement.get("Effect") == "Allow" and isinstance(statement.get("Principal"), dict)
        for service in _as_list(statement["Principal"].get("Service", []))
    ]
    role.assume_role_policy_document = json.dumps(parsed)
    try:
        return _moto_create_pipeline(self, pipeline, tags)
    finally:
        role.assume_role_policy_document = document


_moto_start_pipeline_execution = CodePipelineBackend.start_pipeline_execution


def _start_pipeline_execution(self, name: str, variables: list[dict[str, str]] | None) -> str:
    """Gap 18: moto's CodePipeline runs nothing (an execution has succeeded the moment it
    starts). With a pipeline runner registered (tests/support/pipeline_runner.py), a started
    execution is InProgress and the runner executes the pipeline's definition; the
    execution's status is then the runner's."""
    execution_id = _moto_start_pipeline_execution(self, name, variables)
    if PIPELINE_EXECUTORS:
        self.pipelines[name].executions[execution_id].status = "InProgress"
        PIPELINE_EXECUTORS[-1](self.account_id, self.region_name, name, execution_id)
    return execution_id


def _pipeline_metadata(self) -> dict[str, Any]:
    """Gap 9: GetPipeline's metadata carries its timestamps as ISO strings; the JSON
    protocol (and so the provider's SDK) wants epoch seconds, and fails to read them."""
    return {
        "pipelineArn": self._arn,
        "created": self._created.replace(tzinfo=datetime.UTC).timestamp(),
        "updated": self._updated.replace(tzinfo=datetime.UTC).timestamp(),
    }


def _validate_state_machine_definition(self) -> str:
    """Gap 10: moto has no ValidateStateMachineDefinition, which the provider calls before
    it creates a state machine. Answer OK: every definition the stacks synthesize is
    checked by the pinned asl-validator (tests/test_etl_workflow.py), not here."""
    json.loads(self._get_param("definition"))  # at least JSON, as AWS requires
    return json.dumps({"result": "OK", "diagnostics": [], "truncated": False})


def _list_state_machine_versions(self) -> str:
    """Gap 11: moto has no ListStateMachineVersions, which the provider calls to read a
    state machine back. Answer with the versions moto keeps (none unless published)."""
    machine = self.stepfunction_backend.describe_state_machine(self._get_param("stateMachineArn"))
    versions = [
        {"stateMachineVersionArn": version.arn, "creationDate": time.time()}
        for version in getattr(machine, "versions", {}).values()
    ]
    return json.dumps({"stateMachineVersions": versions})


def _delete_glue_connection(self) -> ActionResult:
    """Gap 15: moto's Glue has CreateConnection and GetConnection but no DeleteConnection,
    which the provider calls to destroy the connections datalake-<env> creates for the
    ETL repositories' jobs. Delete it as AWS does (EntityNotFoundException if absent)."""
    name = self._get_param("ConnectionName")
    self.glue_backend.get_connection(self._get_param("CatalogId"), name, None)  # raises if absent
    connection = self.glue_backend.connections.pop(name)
    self.glue_backend.tagger.delete_all_tags_for_resource(connection.arn)
    return EmptyResult()


_moto_connection_as_dict = GlueConnection.as_dict


def _connection_as_dict(self, hide_password: bool = False) -> dict[str, Any]:
    """Gap 16: moto's GetConnection leaves out the connection's type (and match
    criteria), which AWS returns beside its properties; every plan would set
    connection_type again. Report them from what was created."""
    return {
        **_moto_connection_as_dict(self, hide_password),
        "ConnectionType": self.connection_input.get("ConnectionType"),
        "MatchCriteria": self.connection_input.get("MatchCriteria", []),
    }


_moto_security_group_rule_init = SecurityGroupRule.__init__
_security_group_rule_parameters = inspect.signature(_moto_security_group_rule_init)


def _security_group_rule_init(self, *args: Any, **kwargs: Any) -> None:
    _moto_security_group_rule_init(self, *args, **kwargs)
    given = _security_group_rule_parameters.bind(self, *args, **kwargs).arguments
    self._prefix_list_description = (given.get("prefix_list_id") or {}).get("Description")  # gap 17


def _security_group_rule_description(self) -> str | None:
    """Gap 17: moto reports a security group rule's description only for CIDR rules; a
    rule whose other side is a security group or a prefix list (the Glue jobs' group:
    to and from itself, to S3) comes back without it, and every plan would set it
    again. Report the description given, whatever the rule's other side."""
    return (
        self.ip_range.get("Description")
        or self.source_group.get("Description")
        or getattr(self, "_prefix_list_description", None)
    )


@dataclass(frozen=True)
class Delivery:
    """An event EventBridge delivered to a state machine, a pipeline or a build project
    (gap 13): what it started (an execution's ARN or id, a build's id) with which input."""

    rule: str
    role_arn: str | None
    target_arn: str
    started: str
    input: dict[str, Any]
    rule_arn: str = ""
    """The rule's ARN: what EventBridge sends as ``aws:SourceArn`` when it assumes ``role_arn``."""


DELIVERIES: list[Delivery] = []
BUILDS_RUN: dict[str, dict[str, Any]] = {}
"""The builds the pipeline runner ran, by build id, as CodeBuild's BatchGetBuilds answers them."""
PIPELINE_EXECUTORS: list[Callable[[str, str, str, str], None]] = []
"""Who runs a CodePipeline execution once it has started (account, region, pipeline, id): gap 18."""
BUILD_STARTERS: list[Callable[[str, dict[str, Any], str | None], str]] = []
"""Who runs a CodeBuild build an EventBridge target starts (project ARN, StartBuild input, role): gap 13."""
_targets_lock = threading.Lock()
_moto_send_to_targets = EventsRule.send_to_targets
_DELIVERED_SERVICES = ("states", "codepipeline", "codebuild")


def _send_to_targets(self, original_event: dict[str, Any], transform_input: bool = True) -> None:
    """Gap 13: moto's EventBridge delivers to log groups, SQS, archives and buses only; a
    rule whose target is a state machine (the ETL trigger), a pipeline (CodeCommit pushes)
    or a build project (the drift schedule, CodeCommit pull requests) raises
    NotImplementedError, which moto's deliveries swallow. Deliver as EventBridge does: when
    the rule's pattern matches, apply the target's input transformer and start an
    execution of the state machine or the pipeline in its account, or a build of the
    project with the input as StartBuild's parameters. Each delivery is recorded with the
    role the target names (tests evaluate that role's right to start it). Other targets: moto.
    A scheduled rule (no pattern) takes only its schedule's events: moto would match it with
    every event of the bus (an empty pattern matches all), and the drift schedule would start
    a build at each build's end."""
    scheduled = original_event.get("detail-type") == "Scheduled Event" and self.arn in original_event.get(
        "resources", []
    )
    if self.scheduled_expression and not self.event_pattern._pattern and not scheduled:
        return
    if not self.event_pattern.matches_event(original_event):
        return
    delivered = [t for t in self.targets if parse_arn(t["Arn"]).service in _DELIVERED_SERVICES]
    for target in delivered:
        arn = parse_arn(target["Arn"])
        transformer = target.get("InputTransformer") or {}
        payload = (
            _transformed(transformer["InputTemplate"], transformer.get("InputPathsMap", {}), original_event)
            if transformer
            else json.loads(target["Input"])
            if target.get("Input")
            else original_event
        )
        if arn.service == "states":
            backend = stepfunctions_backend(arn.account, arn.region)
            name = str(uuid.uuid4())  # EventBridge names each execution it starts uniquely
            started = backend.start_execution(
                target["Arn"], name=name, execution_input=json.dumps(payload)
            ).execution_arn
        elif arn.service == "codepipeline":
            started = codepipeline_backends[arn.account][arn.region].start_pipeline_execution(arn.resource_id, None)
        else:
            if not BUILD_STARTERS:
                raise NotImplementedError(f"no pipeline runner to build {target['Arn']}")
            started = BUILD_STARTERS[-1](
                target["Arn"], payload if transformer or target.get("Input") else {}, target.get("RoleArn")
            )
        DELIVERIES.append(Delivery(self.name, target.get("RoleArn"), target["Arn"], started, payload, self.arn))
    others = [t for t in self.targets if t not in delivered]
    if others:
        with _targets_lock:
            targets, self.targets = self.targets, others
            try:
                _moto_send_to_targets(self, original_event, transform_input)
            finally:
                self.targets = targets


def _transformed(template: str, paths: dict[str, str], event: dict[str, Any]) -> dict[str, Any]:
    """EventBridge's input transformer for JSON templates whose placeholders stand for
    whole values (``{"key": <key>}``): each becomes the JSON of what its path selects."""
    if '"<' in template:
        raise NotImplementedError("placeholders inside strings: not used by these stacks")
    for name, path in paths.items():
        value: Any = event
        for part in path.removeprefix("$.").split("."):
            value = value.get(part) if isinstance(value, dict) else None
        template = template.replace(f"<{name}>", json.dumps(value))
    return json.loads(template)


TASK_RESULTS: dict[str, MockTestCase] = {}
"""Per state machine name: the result each of its Task states returns (gap 14)."""
_moto_execution_worker = InterpretedExecution._get_start_execution_worker


def _execution_worker(self):
    """Gap 14: by default moto runs no execution (it answers a canned history that is not
    the state machine's); with its ASL interpreter on (``execute_state_machine``, set by
    running_emulator) it runs the definition, but cannot run Glue jobs or Lambda code and
    calls services in its default account, not the state machine's. So the Task states of
    a machine a test registered (Emulator.answer_tasks) return the results it gave, through
    the interpreter's own mocking, and everything else in the definition (choices, paths,
    order, retries, catches) is interpreted as AWS does."""
    worker = _moto_execution_worker(self)
    results = TASK_RESULTS.get(self.state_machine.name)
    if results is not None:
        worker._mock_test_case = results
    return worker


_moto_lambda_init = LambdaFunction.__init__
_moto_lambda_configuration = LambdaFunction.get_configuration
_moto_lambda_update = LambdaFunction.update_configuration


def _lambda_init(self, account_id: str, spec: dict[str, Any], region: str, version: str | int = 1) -> None:
    _moto_lambda_init(self, account_id, spec, region, version)
    self._logging_config = spec.get("LoggingConfig")


def _lambda_configuration(self, on_create: bool = False) -> dict[str, Any]:
    """Gap 12: moto drops a function's LoggingConfig (its log format and log group), so
    every plan wants to set it again. Keep what was given and report it, as AWS does."""
    config = _moto_lambda_configuration(self, on_create)
    default = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{self.function_name}"}
    config["LoggingConfig"] = getattr(self, "_logging_config", None) or default
    return config


def _lambda_update(self, config_updates: dict[str, Any]) -> dict[str, Any]:
    if "LoggingConfig" in config_updates:
        self._logging_config = config_updates["LoggingConfig"]
    return _moto_lambda_update(self, config_updates)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Call:
    """One API call the emulator served: who (the caller's ARN), which IAM action, on
    what, and the request's values of IAM condition keys (as ``(key, value)`` pairs)."""

    principal: str
    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()


# Request parameters that IAM evaluates as condition keys.
CONDITION_PARAMETERS = {"PermissionsBoundary": "iam:PermissionsBoundary", "PolicyArn": "iam:PolicyARN"}


CALLS: list[Call] = []
"""Every signed call since the emulator started (moto does not enforce IAM; it records)."""
AUTHORIZERS: list[Callable[[Call], bool]] = []
"""Who decides, for the calls it cares about, whether AWS would allow a call (the IAM
evaluator over the deployed documents: tests/support/iam.py); a call it refuses is
answered AccessDenied, as AWS would. Empty: every call goes through (moto's own way)."""


def _record_call(self, iam_request_cls: type, resource: str = "*") -> None:
    """Not a gap but a witness: moto computes the IAM action and resource of each request
    for its optional IAM enforcement; record them with the caller instead, so a test can
    ask the IAM evaluator whether the caller's policies allow every call it made."""
    if "Authorization" not in self.headers or "Credential=" not in self.headers["Authorization"]:
        return
    try:
        request = iam_request_cls(
            account_id=self.current_account,
            method=self.method,
            path=self.raw_path,
            data=self.data,
            body=self.raw_body,
            headers=self.headers,
            action=self._get_action(),
        )
    except Exception:  # an unknown access key (the harness's own clients): nobody to record
        return
    data = self.data if isinstance(self.data, dict) else {}
    context = tuple(
        (key, value if isinstance(value, str) else value[0])
        for parameter, key in CONDITION_PARAMETERS.items()
        if (value := data.get(parameter))
    )
    prefix = (getattr(self, "querystring", None) or {}).get("prefix")
    if prefix and request._action.startswith("s3:List"):  # listing under a prefix: s3:prefix
        context += (("s3:prefix", prefix if isinstance(prefix, str) else prefix[0]),)
    call = Call(request._access_key.arn, request._action, resource, context)
    CALLS.append(call)
    if AUTHORIZERS and not AUTHORIZERS[-1](call):
        request._raise_access_denied()


def _record_fake_call(authorization: str, action: str, resources: list[str]) -> bool:
    """A call to a fake (it never reaches moto's recorder), recorded like the others: as
    the session whose access key signed it, once per resource it acts on. Whether the
    authorizer (AUTHORIZERS) lets it through."""
    found = re.search(r"Credential=([A-Z0-9]+)/", authorization)
    if not found:
        return True
    for partitions in sts_backends.values():
        for backend in partitions.values():
            for role in backend.assumed_roles:
                if role.access_key_id == found.group(1):
                    calls = [Call(role.arn, action, resource, ()) for resource in resources]
                    CALLS.extend(calls)
                    return not AUTHORIZERS or all(AUTHORIZERS[-1](call) for call in calls)
    return True


_ABSENT = object()

PATCHES = (
    (s3_models.FakeBucket, "_log_permissions_enabled_policy", staticmethod(_log_permissions_enabled_policy)),
    (s3_responses.S3Response, "get_bucket_notification", _get_bucket_notification),
    (s3_models.FakeBucket, "get_permission", _get_permission),
    (ActionAuthenticatorMixin, "_authenticate_and_authorize_action", _record_call),
    (CodePipelineBackend, "create_pipeline", _create_pipeline),
    (CodePipelineBackend, "start_pipeline_execution", _start_pipeline_execution),
    (CodePipeline, "metadata", property(_pipeline_metadata)),
    (StepFunctionResponse, "validate_state_machine_definition", _validate_state_machine_definition),
    (StepFunctionResponse, "list_state_machine_versions", _list_state_machine_versions),
    (LambdaFunction, "__init__", _lambda_init),
    (LambdaFunction, "get_configuration", _lambda_configuration),
    (LambdaFunction, "update_configuration", _lambda_update),
    (EventsRule, "send_to_targets", _send_to_targets),
    (InterpretedExecution, "_get_start_execution_worker", _execution_worker),
    (GlueResponse, "delete_connection", _delete_glue_connection),
    (GlueConnection, "as_dict", _connection_as_dict),
    (SecurityGroupRule, "__init__", _security_group_rule_init),
    (SecurityGroupRule, "description", property(_security_group_rule_description)),
)


class FakeCodeStarConnections:
    """Gap 5: moto has no AWS CodeConnections (CodeStar Connections). The connection that
    central-bootstrap creates is kept here, in memory, with the calls the provider makes;
    it stays PENDING, as a new connection does until an administrator completes it."""

    TARGET = "CodeStar_connections_20191201"

    def __init__(self, account_id: str, region: str):
        self.account_id, self.region = account_id, region
        self.connections: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, list[dict[str, str]]] = {}

    def handle(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        if operation == "CreateConnection":
            arn = f"arn:aws:codestar-connections:{self.region}:{self.account_id}:connection/{uuid.uuid4()}"
            self.connections[arn] = {
                "ConnectionName": request["ConnectionName"],
                "ConnectionArn": arn,
                "ProviderType": request.get("ProviderType"),
                "OwnerAccountId": self.account_id,
                "ConnectionStatus": "PENDING",
            }
            self.tags[arn] = request.get("Tags", [])
            return {"ConnectionArn": arn, "Tags": self.tags[arn]}
        if operation == "GetConnection":
            return {"Connection": self.connections[request["ConnectionArn"]]}
        if operation == "ListConnections":
            return {"Connections": list(self.connections.values())}
        if operation == "DeleteConnection":
            self.connections.pop(request["ConnectionArn"], None)
            return {}
        if operation == "ListTagsForResource":
            return {"Tags": self.tags.get(request["ResourceArn"], [])}
        if operation == "TagResource":
            self.tags.setdefault(request["ResourceArn"], []).extend(request["Tags"])
            return {}
        if operation == "UntagResource":
            keys = set(request["TagKeys"])
            self.tags[request["ResourceArn"]] = [
                t for t in self.tags.get(request["ResourceArn"], []) if t["Key"] not in keys
            ]
            return {}
        raise NotImplementedError(f"CodeStar Connections {operation} is not faked: add it to tests/support/emulator.py")


class FakeCodeBuild:
    """Gap 7: moto's CodeBuild refuses a project whose source is CodePipeline (it wants a
    location AWS does not), drops the encryption key and has no webhooks. The pipelines'
    projects and webhooks are kept here, in memory, returned as they were given; and the
    builds the pipeline runner ran (BUILDS_RUN, gap 18), which BatchGetBuilds answers as
    they ran."""

    TARGET = "CodeBuild_20161006"

    def __init__(self, account_id: str, region: str):
        self.account_id, self.region = account_id, region
        self.projects: dict[str, dict[str, Any]] = {}

    def resources(self, request: dict[str, Any]) -> list[str]:
        """The projects a request acts on (by name, build id or ARN), as IAM names them."""
        names = [request[key] for key in ("name", "projectName") if key in request]
        names += [n.split("/")[-1] for n in request.get("names", [])]
        names += [i.split(":build/", 1)[-1].split(":")[0] for i in request.get("ids", [])]
        project = f"arn:aws:codebuild:{self.region}:{self.account_id}:project/"
        return [project + name for name in names] or ["*"]

    def _project(self, request: dict[str, Any]) -> dict[str, Any]:
        name = request["name"]
        return {
            "timeoutInMinutes": 60,
            "queuedTimeoutInMinutes": 480,
            "badge": {"badgeEnabled": False},
            **self.projects.get(name, {}),
            **request,
            "arn": f"arn:aws:codebuild:{self.region}:{self.account_id}:project/{name}",
        }

    def handle(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        if operation in ("CreateProject", "UpdateProject"):
            if operation == "UpdateProject" and request["name"] not in self.projects:
                raise KeyError(request["name"])
            self.projects[request["name"]] = self._project(request)
            return {"project": self.projects[request["name"]]}
        if operation == "BatchGetProjects":
            found = [self.projects[n.split("/")[-1]] for n in request["names"] if n.split("/")[-1] in self.projects]
            missing = [n for n in request["names"] if n.split("/")[-1] not in self.projects]
            return {"projects": found, "projectsNotFound": missing}
        if operation == "DeleteProject":
            self.projects.pop(request["name"], None)
            return {}
        if operation == "ListProjects":
            return {"projects": sorted(self.projects)}
        if operation in ("CreateWebhook", "UpdateWebhook"):
            project = self.projects[request["projectName"]]
            webhook = {k: v for k, v in request.items() if k != "projectName"}
            project["webhook"] = {
                **project.get("webhook", {}),
                **webhook,
                "url": f"https://codebuild.{self.region}.amazonaws.com/webhooks?t={uuid.uuid4().hex}",
                "payloadUrl": f"https://codebuild.{self.region}.amazonaws.com/webhooks",
            }
            return {"webhook": project["webhook"]}
        if operation == "DeleteWebhook":
            self.projects[request["projectName"]].pop("webhook", None)
            return {}
        if operation == "BatchGetBuilds":
            ids = [i.split(":build/", 1)[-1] for i in request["ids"]]
            return {"builds": [BUILDS_RUN[i] for i in ids if i in BUILDS_RUN], "buildsNotFound": []}
        raise NotImplementedError(f"CodeBuild {operation} is not faked: add it to tests/support/emulator.py")


class FakeCodeStarNotifications:
    """Gap 6: moto has no AWS CodeStar Notifications. The pipelines' notification rules
    are kept here, in memory (REST-JSON: the operation is the request path)."""

    PATHS = (
        "createNotificationRule",
        "deleteNotificationRule",
        "describeNotificationRule",
        "listNotificationRules",
        "listTagsForResource",
        "tagResource",
        "untagResource",
        "updateNotificationRule",
    )

    def __init__(self, account_id: str, region: str):
        self.account_id, self.region = account_id, region
        self.rules: dict[str, dict[str, Any]] = {}

    def handle(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        if operation == "createNotificationRule":
            arn = f"arn:aws:codestar-notifications:{self.region}:{self.account_id}:notificationrule/{uuid.uuid4().hex}"
            self.rules[arn] = {
                "Arn": arn,
                "Name": request["Name"],
                "Resource": request["Resource"],
                "DetailType": request["DetailType"],
                "EventTypes": [{"EventTypeId": e} for e in request["EventTypeIds"]],
                "Targets": [{**t, "TargetStatus": "ACTIVE"} for t in request.get("Targets", [])],
                "Status": request.get("Status", "ENABLED"),
                "Tags": request.get("Tags", {}),
                "CreatedBy": f"arn:aws:iam::{self.account_id}:root",
            }
            return {"Arn": arn}
        if operation == "describeNotificationRule":
            return self.rules[request["Arn"]]
        if operation == "updateNotificationRule":
            rule = self.rules[request["Arn"]]
            if "EventTypeIds" in request:
                rule["EventTypes"] = [{"EventTypeId": e} for e in request["EventTypeIds"]]
            for key in ("Name", "DetailType", "Status"):
                rule[key] = request.get(key, rule[key])
            if "Targets" in request:
                rule["Targets"] = [{**t, "TargetStatus": "ACTIVE"} for t in request["Targets"]]
            return {}
        if operation == "deleteNotificationRule":
            self.rules.pop(request["Arn"], None)
            return {"Arn": request["Arn"]}
        if operation == "listNotificationRules":
            return {"NotificationRules": [{"Id": a.rsplit("/", 1)[-1], "Arn": a} for a in self.rules]}
        if operation == "listTagsForResource":
            return {"Tags": self.rules[request["Arn"]]["Tags"]}
        if operation == "tagResource":
            self.rules[request["Arn"]]["Tags"].update(request["Tags"])
            return {"Tags": self.rules[request["Arn"]]["Tags"]}
        if operation == "untagResource":
            return {}
        raise NotImplementedError(
            f"CodeStar Notifications {operation} is not faked: add it to tests/support/emulator.py"
        )


class _ForwardingProxy(http.server.ThreadingHTTPServer):
    """Gap 4: S3 Control calls go to ``<account id>.<endpoint host>`` (the SDK puts the
    account in front of the host name), which does not resolve when the endpoint is an
    IP address. Terraform sends them through this HTTP proxy (``HTTP_PROXY``), which
    passes them to the emulator unchanged; moto routes them by their /v20180820/ path.
    Go's HTTP client never proxies loopback addresses, so every other call goes direct.

    It is also the endpoint of the services moto lacks (``fakes``, by the prefix of
    their X-Amz-Target header), which it answers itself."""

    daemon_threads = True

    def __init__(self, target: str, fakes: dict[str, Any]):
        self.target = urllib.parse.urlsplit(target)
        self.fakes = fakes
        super().__init__(("127.0.0.1", 0), _ForwardingHandler)


class _ForwardingHandler(http.server.BaseHTTPRequestHandler):
    server: _ForwardingProxy

    def _forward(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        prefix, _, operation = (self.headers.get("X-Amz-Target") or "").partition(".")
        if prefix in self.server.fakes:
            self._answer(self.server.fakes[prefix], operation, body)
            return
        operation = url.path.strip("/").split("/")[0]
        by_path = [f for f in self.server.fakes.values() if operation in getattr(f, "PATHS", ())]
        if by_path and not url.netloc:  # a REST-JSON call addressed to this server itself
            self._answer(by_path[0], operation, body)
            return
        connection = http.client.HTTPConnection(self.server.target.hostname, self.server.target.port, timeout=60)
        path = url.path + (f"?{url.query}" if url.query else "")
        connection.request(self.command, path, body=body, headers=dict(self.headers.items()))
        response = connection.getresponse()
        payload = response.read()
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        connection.close()

    def _answer(self, fake: Any, operation: str, body: bytes) -> None:
        request = json.loads(body or b"{}")
        permitted = True
        if isinstance(fake, FakeCodeBuild):
            authorization = self.headers.get("Authorization", "")
            permitted = _record_fake_call(authorization, f"codebuild:{operation}", fake.resources(request))
        try:
            if not permitted:
                raise PermissionError(f"codebuild:{operation}")
            status, payload = 200, fake.handle(operation, request)
        except PermissionError as refused:
            status, payload = 400, {"__type": "AccessDeniedException", "message": f"not authorized to {refused}"}
        except KeyError as missing:
            status, payload = 400, {"__type": "ResourceNotFoundException", "message": f"not found: {missing}"}
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

    def log_message(self, format: str, *args: Any) -> None:  # the emulator logs enough
        pass


FAKED_ENDPOINTS = ("codebuild", "codestarconnections", "codestarnotifications")
"""Provider endpoints answered by the harness's own fakes (served by _ForwardingProxy)."""


@dataclass(frozen=True)
class Emulator:
    endpoint: str
    proxy: str
    """The forwarding proxy for host-prefixed calls, and the fakes' endpoint (see _ForwardingProxy)."""

    @property
    def calls(self) -> list[Call]:
        return CALLS

    @property
    def deliveries(self) -> list[Delivery]:
        """Events delivered to state machines, pipelines and build projects, in order (gap 13)."""
        return DELIVERIES

    def answer_tasks(self, state_machine: str, results: dict[str, Any]) -> None:
        """From now on, each execution of ``state_machine`` (a name) gets ``results[state]``
        as the result of each Task state named there (gap 14)."""
        answers = [
            StateMockedResponses(state, f"{state} (e2e)", [MockedResponseReturn(0, 0, result)])
            for state, result in results.items()
        ]
        TASK_RESULTS[state_machine] = MockTestCase(state_machine, "e2e", answers)

    def authorize(self, authorizer: Callable[[Call], bool]) -> None:
        """From now on, a call ``authorizer`` refuses is answered AccessDenied (AUTHORIZERS)."""
        AUTHORIZERS.append(authorizer)

    def write_profile(self, path: Path) -> Path:
        """The product's emulator profile ($DATALAKE_EMULATOR, datalake_cdktf.emulator) for
        this emulator: moto's services at its endpoint, the fakes' at the proxy."""
        endpoints = dict.fromkeys(SERVICES, self.endpoint) | dict.fromkeys(FAKED_ENDPOINTS, self.proxy)
        path.write_text(json.dumps({"endpoints": endpoints}, indent=2))
        return path

    def terraform_env(self) -> dict[str, str]:
        """Environment for Terraform runs against this emulator."""
        return {"HTTP_PROXY": self.proxy, "HTTPS_PROXY": self.proxy}

    def client(self, service: str, account_id: str, **credentials: str):
        """A boto3 client acting in ``account_id`` (moto's x-moto-account-id header)."""
        client = boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            # S3 Control puts the account id in front of the host name (see _ForwardingProxy).
            config=botocore.config.Config(proxies={"http": self.proxy} if service == "s3control" else None),
            aws_access_key_id=credentials.get("key", "testing"),
            aws_secret_access_key=credentials.get("secret", "testing"),
            aws_session_token=credentials.get("token"),
        )
        if not credentials:

            def in_account(request, **_: Any) -> None:
                request.headers["x-moto-account-id"] = account_id

            client.meta.events.register("before-send.*.*", in_account)
        return client

    def provider_override(self, aliases: tuple[str, ...] = ()) -> dict[str, Any]:
        """Terraform override: this emulator's endpoints merged into the stack's own aws
        providers, the default one and each of ``aliases`` (their allowed_account_ids and
        assume_role stay as they are)."""
        settings = {
            "endpoints": [dict.fromkeys(SERVICES, self.endpoint) | dict.fromkeys(FAKED_ENDPOINTS, self.proxy)],
            "s3_use_path_style": True,
            "skip_credentials_validation": True,
            "skip_metadata_api_check": True,
            "skip_region_validation": True,
            "max_retries": 2,
        }
        return {"provider": {"aws": [settings, *({**settings, "alias": alias} for alias in aliases)]}}

    def backend_override(self, s3_backend: dict[str, Any]) -> dict[str, Any]:
        """Terraform override: the stack's own S3 backend settings, sent to this emulator.

        (An override replaces a backend block whole, so the stack's settings are repeated.)
        """
        return {
            "terraform": {
                "backend": {
                    "s3": {
                        **s3_backend,
                        "endpoints": {"s3": self.endpoint, "sts": self.endpoint, "iam": self.endpoint},
                        "use_path_style": True,
                        "skip_credentials_validation": True,
                        "skip_metadata_api_check": True,
                        "skip_region_validation": True,
                        "skip_requesting_account_id": True,
                    }
                }
            }
        }


@contextmanager
def running_emulator(central_account: str) -> Iterator[Emulator]:
    """moto on 127.0.0.1 (a free port), patched, reset, stopped afterwards; the fakes of
    what moto lacks answer as ``central_account``."""
    originals = [(owner, name, owner.__dict__.get(name, _ABSENT)) for owner, name, _ in PATCHES]
    for owner, name, replacement in PATCHES:
        setattr(owner, name, replacement)
    # werkzeug logs one line per request; moto's Step Functions interpreter logs each
    # failing state (a rejected file) as an error with the whole state's repr, which the
    # execution's history says too (the tests read that). Both quieter while it runs.
    quieter = {"werkzeug": logging.WARNING, "moto.stepfunctions.parser": logging.CRITICAL}
    levels = {name: logging.getLogger(name).level for name in quieter}
    for name, level in quieter.items():
        logging.getLogger(name).setLevel(level)
    stepfunctions_config = default_user_config.setdefault("stepfunctions", {})
    interpreting = stepfunctions_config.get("execute_state_machine", False)
    stepfunctions_config["execute_state_machine"] = True  # gap 14: run executions
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    proxy = None
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        reset = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
        urllib.request.urlopen(reset, timeout=10).close()
        CALLS.clear()
        DELIVERIES.clear()
        PIPELINE_EXECUTORS.clear()
        BUILD_STARTERS.clear()
        BUILDS_RUN.clear()
        AUTHORIZERS.clear()
        TASK_RESULTS.clear()
        fakes = {
            FakeCodeStarConnections.TARGET: FakeCodeStarConnections(central_account, REGION),
            "codestar-notifications": FakeCodeStarNotifications(central_account, REGION),
            FakeCodeBuild.TARGET: FakeCodeBuild(central_account, REGION),
        }
        proxy = _ForwardingProxy(endpoint, fakes)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        yield Emulator(endpoint, f"http://127.0.0.1:{proxy.server_address[1]}")
    finally:
        if proxy is not None:
            proxy.shutdown()
            proxy.server_close()
        server.stop()
        stepfunctions_config["execute_state_machine"] = interpreting
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        for owner, name, original in originals:
            if original is _ABSENT:
                delattr(owner, name)  # a method the harness added: moto has none
            else:
                setattr(owner, name, original)
