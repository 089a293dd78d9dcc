"""One repository's pipeline of one environment: CodePipeline V2 and its CodeBuild builds.

Source (the environment's branch, on push) -> UpdatePipeline (apply this very stack;
if that changed the pipeline, the run restarts on the new definition) -> Test -> Plan
(saved plans and their summary, through the deploy role) -> Approval (where the
environment requires it; the request carries the summary's counts and a link to it) ->
Apply (exactly the saved plans; a plan made stale by another change fails). Failures,
approvals waiting and applies reach an encrypted SNS topic. A schedule runs the drift
check; pull requests against the branch get a read-only plan as a comment.

Every build runs a project command (``make <target> ENV=<env>``) that a person can run
on a laptop. No resource here is IAM: the roles come from ``bootstrap-<env>``
(:mod:`datalake_cdktf.pipeline_access`), so a pipeline that updates itself cannot widen
what it may do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from datalake_cdktf.constructs.policy import document
from datalake_cdktf.engine import Construct
from datalake_cdktf.engine.aws import (
    cloudwatch_event_rule,
    cloudwatch_event_target,
    cloudwatch_log_group,
    codebuild_project,
    codebuild_webhook,
    codepipeline,
    codestarnotifications_notification_rule,
    data_aws_codestarconnections_connection,
    sns_topic,
    sns_topic_policy,
)
from datalake_cdktf.naming import kms_alias_arn
from datalake_cdktf.pipeline_access import PipelineAccess

__all__ = ["PIPELINE_EVENTS", "Pipeline", "PipelineConfig", "buildspec"]

TERRAFORM_CACHE = "/root/.terraform.d/plugin-cache"
PIPELINE_EVENTS = (
    "codepipeline-pipeline-manual-approval-needed",
    "codepipeline-pipeline-pipeline-execution-failed",
    "codepipeline-pipeline-pipeline-execution-succeeded",
)
"""What reaches the topic: approvals waiting, failures, and runs that applied."""
PLAN_VARIABLES = ("ADD", "CHANGE", "REPLACE", "DESTROY", "DATA_AT_RISK", "SUMMARY_URL")
"""Variables the plan build exports (namespace ``Plan``) for the approval request."""


@dataclass(frozen=True)
class PipelineConfig:
    """- ``access``: names and roles (from :class:`~datalake_cdktf.pipeline_access.PipelineAccess`).
    - ``environment`` / ``branch``: the environment this pipeline deploys and its branch.
    - ``repository_id``: ``owner/name`` of the repository; ``definitions_id``: the
      infrastructure repository, which defines every pipeline (``None`` when this is it).
    - ``source_provider``: ``GitHub``, ``GitLab``, ``Bitbucket`` (through the connection
      ``connection_name``) or ``CodeCommit``.
    - ``approval``: a person approves the plan before it is applied.
    - ``build_image``, ``drift_schedule``, ``log_retention_days``: from config.
    - ``pull_request_token``: Secrets Manager name of the comment token (``None``: no comments).
    """

    access: PipelineAccess
    environment: str
    branch: str
    repository_id: str
    definitions_id: str | None
    source_provider: str
    connection_name: str
    approval: bool
    build_image: str
    drift_schedule: str
    log_retention_days: int
    pull_request_token: str | None

    @property
    def codecommit(self) -> bool:
        return self.source_provider == "CodeCommit"


def buildspec(build: str, config: PipelineConfig) -> str:
    """The buildspec of one build: install from the lock files, then one project command."""
    env, repository = config.environment, config.access.repository
    # The pipeline stacks are defined in the infrastructure repository: an ETL pipeline
    # updates itself from its second source. (No "${" here: Terraform would interpolate it.)
    definitions = ["cd $CODEBUILD_SRC_DIR_definitions"] if config.definitions_id else []
    summary = f"s3://{config.access.artifact_bucket}/summaries/$CODEBUILD_BUILD_NUMBER.md"
    commands = {
        "update": [
            *definitions,
            f"make pipeline-update ENV={env} REPOSITORY={repository} PIPELINE={config.access.pipeline_name}",
        ],
        "test": ["make test"],
        "plan": [
            f"make plan ENV={env} PUBLISH={summary}",
            # the counts become the Plan namespace's variables (the approval request shows them)
            "export $(cat plans/counts.env | xargs)",
        ],
        "apply": [f"make apply ENV={env} PLANS=$CODEBUILD_SRC_DIR_plan/plans"],
        "drift": [f"make drift ENV={env}"],
        "pr": ["make test", f"make pr-plan ENV={env}"],  # the same tests as a push, then the read-only plan
    }[build]
    spec: dict = {
        "version": 0.2,
        "env": {"variables": {"CI": "true", "TF_IN_AUTOMATION": "1", "TF_PLUGIN_CACHE_DIR": TERRAFORM_CACHE}},
        "phases": {
            "install": {
                "runtime-versions": {"python": "3.11", "nodejs": "22"},
                "commands": [f"mkdir -p {TERRAFORM_CACHE}", "scripts/install-terraform", "make setup"],
            },
            "build": {"commands": commands},
        },
        "cache": {"paths": [f"{TERRAFORM_CACHE}/**/*", "/root/.cache/pip/**/*", "/root/.npm/**/*"]},
    }
    if build == "update":
        spec["phases"]["install"]["commands"] = [*definitions, *spec["phases"]["install"]["commands"]]
    if build == "plan":
        spec["env"]["exported-variables"] = list(PLAN_VARIABLES)
        spec["artifacts"] = {"files": ["plans/**/*"]}
    if build == "pr" and config.pull_request_token:
        spec["env"]["secrets-manager"] = {"PULL_REQUEST_TOKEN": config.pull_request_token}
    return json.dumps(spec, indent=2) + "\n"  # JSON is YAML; the buildspec is plain text in the plan


class Pipeline(Construct):
    """The pipeline, its builds, log groups, topic, notification rules, drift schedule and
    pull-request webhook. Properties: ``pipeline``, ``projects`` (build -> project),
    ``topic``."""

    def __init__(self, scope: Construct, construct_id: str, *, config: PipelineConfig):
        super().__init__(scope, construct_id)
        self.config = config
        access = config.access
        role = access.role_arn
        artifact_key = kms_alias_arn(access.account_id, access.region, access.artifact_key_alias)
        self.connection_arn = None
        if not config.codecommit:
            self.connection_arn = data_aws_codestarconnections_connection.DataAwsCodestarconnectionsConnection(
                self, "connection", name=config.connection_name
            ).arn

        self.projects: dict[str, codebuild_project.CodebuildProject] = {}
        for build in ("update", "test", "plan", "apply", "drift", "pr"):
            name = access.project(build)
            group = cloudwatch_log_group.CloudwatchLogGroup(
                self,
                f"{build}-logs",
                name=f"/aws/codebuild/{name}",
                retention_in_days=config.log_retention_days,
                kms_key_id=artifact_key,
            )
            self.projects[build] = codebuild_project.CodebuildProject(
                self,
                build,
                name=name,
                description=f"{build} of {access.repository} into {config.environment}",
                service_role=role(access.pull_request_role if build == "pr" else access.build_role),
                encryption_key=artifact_key,
                build_timeout=60,
                artifacts=codebuild_project.CodebuildProjectArtifacts(
                    type="CODEPIPELINE" if build not in ("drift", "pr") else "NO_ARTIFACTS"
                ),
                source=self._build_source(build),
                source_version=f"refs/heads/{config.branch}" if build == "drift" else None,
                environment=codebuild_project.CodebuildProjectEnvironment(
                    compute_type="BUILD_GENERAL1_SMALL",
                    image=config.build_image,
                    type="LINUX_CONTAINER",
                    privileged_mode=False,
                    image_pull_credentials_type="CODEBUILD",
                ),
                cache=codebuild_project.CodebuildProjectCache(
                    type="S3", location=f"{access.artifact_bucket}/cache/{build}"
                ),
                logs_config=codebuild_project.CodebuildProjectLogsConfig(
                    cloudwatch_logs=codebuild_project.CodebuildProjectLogsConfigCloudwatchLogs(
                        group_name=group.name, status="ENABLED"
                    )
                ),
            )

        self.topic = sns_topic.SnsTopic(
            self,
            "topic",
            name=access.prefix + "notifications",
            kms_master_key_id=kms_alias_arn(access.account_id, access.region, access.notification_key_alias),
        )
        self.topic_arn = self.topic.arn  # read once: each read is a call into the engine
        sns_topic_policy.SnsTopicPolicy(
            self, "topic-policy", arn=self.topic_arn, policy=document(*self._topic_policy())
        )
        self.pipeline = codepipeline.Codepipeline(
            self,
            "pipeline",
            name=access.pipeline_name,
            pipeline_type="V2",
            # Runs queue: a run never overtakes the one whose plan a person is approving.
            execution_mode="QUEUED",
            role_arn=role(access.codepipeline_role),
            artifact_store=[
                codepipeline.CodepipelineArtifactStore(
                    location=access.artifact_bucket,
                    type="S3",
                    encryption_key=codepipeline.CodepipelineArtifactStoreEncryptionKey(id=artifact_key, type="KMS"),
                )
            ],
            stage=self._stages(),
            trigger=None if config.codecommit else [self._trigger()],
        )
        for name, resource, events in (
            ("pipeline-events", self.pipeline.arn, list(PIPELINE_EVENTS)),
            ("drift-events", self.projects["drift"].arn, ["codebuild-project-build-state-failed"]),
        ):
            codestarnotifications_notification_rule.CodestarnotificationsNotificationRule(
                self,
                name,
                name=f"{access.pipeline_name}-{name}",
                resource=resource,
                detail_type="FULL",
                event_type_ids=events,
                target=[
                    codestarnotifications_notification_rule.CodestarnotificationsNotificationRuleTarget(
                        address=self.topic_arn
                    )
                ],
            )
        drift = cloudwatch_event_rule.CloudwatchEventRule(
            self,
            "drift-schedule",
            name=access.prefix + "drift",
            description=f"Compare {config.environment} with what {access.repository} declares",
            schedule_expression=config.drift_schedule,
        )
        cloudwatch_event_target.CloudwatchEventTarget(
            self,
            "drift-target",
            rule=drift.name,
            arn=self.projects["drift"].arn,
            role_arn=role(access.codepipeline_role),
        )
        if not config.codecommit:
            codebuild_webhook.CodebuildWebhook(
                self,
                "pull-requests",
                project_name=self.projects["pr"].name,
                build_type="BUILD",
                filter_group=[
                    codebuild_webhook.CodebuildWebhookFilterGroup(
                        filter=[
                            codebuild_webhook.CodebuildWebhookFilterGroupFilter(
                                type="EVENT",
                                pattern="PULL_REQUEST_CREATED,PULL_REQUEST_UPDATED,PULL_REQUEST_REOPENED",
                            ),
                            codebuild_webhook.CodebuildWebhookFilterGroupFilter(
                                type="BASE_REF", pattern=f"^refs/heads/{config.branch}$"
                            ),
                        ]
                    )
                ],
            )

    def _build_source(self, build: str) -> codebuild_project.CodebuildProjectSource:
        config = self.config
        spec = buildspec(build, config)
        if build not in ("drift", "pr"):
            return codebuild_project.CodebuildProjectSource(type="CODEPIPELINE", buildspec=spec)
        if config.codecommit:
            name = config.repository_id.split("/")[-1]
            location = f"https://git-codecommit.{config.access.region}.amazonaws.com/v1/repos/{name}"
            return codebuild_project.CodebuildProjectSource(type="CODECOMMIT", location=location, buildspec=spec)
        host = {"GitHub": "github.com", "GitLab": "gitlab.com", "Bitbucket": "bitbucket.org"}[config.source_provider]
        return codebuild_project.CodebuildProjectSource(
            type={"GitHub": "GITHUB", "GitLab": "GITLAB", "Bitbucket": "BITBUCKET"}[config.source_provider],
            location=f"https://{host}/{config.repository_id}.git",
            buildspec=spec,
            auth=codebuild_project.CodebuildProjectSourceAuth(type="CODECONNECTIONS", resource=self.connection_arn),
            report_build_status=build == "pr",
        )

    def _source_action(self, name: str, repository_id: str, output: str) -> codepipeline.CodepipelineStageAction:
        config = self.config
        if config.codecommit:
            return codepipeline.CodepipelineStageAction(
                name=name,
                category="Source",
                owner="AWS",
                provider="CodeCommit",
                version="1",
                output_artifacts=[output],
                configuration={
                    "RepositoryName": repository_id.split("/")[-1],
                    "BranchName": config.branch,
                    "PollForSourceChanges": "false",
                },
            )
        return codepipeline.CodepipelineStageAction(
            name=name,
            category="Source",
            owner="AWS",
            provider="CodeStarSourceConnection",
            version="1",
            output_artifacts=[output],
            namespace="SourceVariables" if name == "Source" else None,
            configuration={
                "ConnectionArn": self.connection_arn,
                "FullRepositoryId": repository_id,
                "BranchName": config.branch,
                "OutputArtifactFormat": "CODE_ZIP",
                "DetectChanges": "false",  # the trigger below starts runs, on push to the branch
            },
        )

    def _build_action(self, name: str, build: str, inputs: list[str], **extra) -> codepipeline.CodepipelineStageAction:
        configuration = {"ProjectName": self.projects[build].name}
        if len(inputs) > 1:
            configuration["PrimarySource"] = inputs[0]
        if build == "update":
            configuration["EnvironmentVariables"] = json.dumps(
                [{"name": "PIPELINE_EXECUTION_ID", "value": "#{codepipeline.PipelineExecutionId}", "type": "PLAINTEXT"}]
            )
        return codepipeline.CodepipelineStageAction(
            name=name,
            category="Build",
            owner="AWS",
            provider="CodeBuild",
            version="1",
            input_artifacts=inputs,
            configuration=configuration,
            **extra,
        )

    def _stages(self) -> list[codepipeline.CodepipelineStage]:
        config = self.config
        sources = [self._source_action("Source", config.repository_id, "source")]
        definitions = ["source"]
        if config.definitions_id:  # an ETL pipeline: its definition lives in the infrastructure repository
            sources.append(self._source_action("Definitions", config.definitions_id, "definitions"))
            definitions = ["source", "definitions"]
        stages = [
            codepipeline.CodepipelineStage(name="Source", action=sources),
            codepipeline.CodepipelineStage(
                name="UpdatePipeline", action=[self._build_action("UpdatePipeline", "update", definitions)]
            ),
            codepipeline.CodepipelineStage(name="Test", action=[self._build_action("Test", "test", ["source"])]),
            codepipeline.CodepipelineStage(
                name="Plan",
                action=[self._build_action("Plan", "plan", ["source"], output_artifacts=["plan"], namespace="Plan")],
            ),
        ]
        if config.approval:
            stages.append(
                codepipeline.CodepipelineStage(
                    name="Approval",
                    action=[
                        codepipeline.CodepipelineStageAction(
                            name="Approve",
                            category="Approval",
                            owner="AWS",
                            provider="Manual",
                            version="1",
                            configuration={
                                "NotificationArn": self.topic_arn,
                                "CustomData": (
                                    f"{config.environment}: #{{Plan.ADD}} to add, #{{Plan.CHANGE}} to change, "
                                    "#{Plan.REPLACE} to replace, #{Plan.DESTROY} to destroy; "
                                    "#{Plan.DATA_AT_RISK} data-bearing resources destroyed or replaced"
                                ),
                                "ExternalEntityLink": "#{Plan.SUMMARY_URL}",
                            },
                        )
                    ],
                )
            )
        stages.append(
            codepipeline.CodepipelineStage(
                name="Apply", action=[self._build_action("Apply", "apply", ["source", "plan"])]
            )
        )
        return stages

    def _trigger(self) -> codepipeline.CodepipelineTrigger:
        return codepipeline.CodepipelineTrigger(
            provider_type="CodeStarSourceConnection",
            git_configuration=codepipeline.CodepipelineTriggerGitConfiguration(
                source_action_name="Source",
                push=[
                    codepipeline.CodepipelineTriggerGitConfigurationPush(
                        branches=codepipeline.CodepipelineTriggerGitConfigurationPushBranches(
                            includes=[self.config.branch]
                        )
                    )
                ],
            ),
        )

    def _topic_policy(self) -> list[dict]:
        access = self.config.access
        return [
            {
                "Sid": "NotificationsOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": "codestar-notifications.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": self.topic_arn,
                "Condition": {"StringEquals": {"aws:SourceAccount": access.account_id}},
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": self.topic_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ]
