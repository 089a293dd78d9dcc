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

from datalake_cdktf.builds import BUILDS, Build, BuildContext, builds, buildspec
from datalake_cdktf.config.model import TerraformRelease
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
from datalake_cdktf.git_hosts import GitHost, git_host
from datalake_cdktf.iam.statements import document
from datalake_cdktf.naming import kms_alias_arn
from datalake_cdktf.pipeline_access import PipelineAccess

__all__ = ["PIPELINE_EVENTS", "Pipeline", "PipelineConfig"]

PIPELINE_EVENTS = (
    "codepipeline-pipeline-manual-approval-needed",
    "codepipeline-pipeline-pipeline-execution-failed",
    "codepipeline-pipeline-pipeline-execution-succeeded",
)
"""What reaches the topic: approvals waiting, failures, and runs that applied."""


@dataclass(frozen=True)
class PipelineConfig:
    """- ``access``: names and roles (from :class:`~datalake_cdktf.pipeline_access.PipelineAccess`).
    - ``environment`` / ``branch``: the environment this pipeline deploys and its branch.
    - ``repository_id``: ``owner/name`` of the repository; ``definitions_id``: the
      infrastructure repository, which defines every pipeline and the deployment
      (``None`` when this is it).
    - ``source_provider``: ``GitHub``, ``GitLab``, ``Bitbucket`` (through the connection
      ``connection_name``) or ``CodeCommit``.
    - ``approval``: a person approves the plan before it is applied.
    - ``build_image``, ``drift_schedule``, ``log_retention_days``, ``terraform``,
      ``package_index``: from config (``pipelines``).
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
    terraform: TerraformRelease
    package_index: str | None
    pull_request_token: str | None

    @property
    def host(self) -> GitHost:
        return git_host(self.source_provider)

    @property
    def codecommit(self) -> bool:
        """No connection: CodeCommit's events start runs and pull-request builds."""
        return not self.host.through_connection

    @property
    def build_context(self) -> BuildContext:
        access = self.access
        return BuildContext(
            environment=self.environment,
            repository=access.repository,
            pipeline_name=access.pipeline_name,
            artifact_bucket=access.artifact_bucket,
            etl=self.definitions_id is not None,
            terraform=self.terraform,
            package_index=self.package_index,
            pull_request_token=self.pull_request_token,
        )

    def clone_url(self, repository_id: str) -> str:
        """Where CodeBuild clones ``repository_id`` from (builds that CodePipeline does not start)."""
        return self.host.clone_url(repository_id, self.access.region)


class Pipeline(Construct):
    """The pipeline, its builds, log groups, topic, notification rules, drift schedule and
    the starts of its runs and pull-request builds (a CodePipeline trigger and a CodeBuild
    webhook through the connection; EventBridge rules on the repository's events for
    CodeCommit). Properties: ``pipeline``, ``projects`` (build -> project), ``topic``."""

    def __init__(self, scope: Construct, construct_id: str, *, config: PipelineConfig):
        super().__init__(scope, construct_id)
        self.config = config
        access = config.access
        self.artifact_key = kms_alias_arn(access.account_id, access.region, access.artifact_key_alias)
        self.connection_arn = None
        if not config.codecommit:
            self.connection_arn = data_aws_codestarconnections_connection.DataAwsCodestarconnectionsConnection(
                self, "connection", name=config.connection_name
            ).arn
        self.context = config.build_context  # once: every build's buildspec reads it
        self.builds = builds(self.context)
        self.projects = {name: self._project(self.builds[name]) for name in BUILDS}
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
        self.pipeline = self._pipeline()
        self._notifications()
        self._event_rule(
            "drift",
            description=f"Compare {config.environment} with what {access.repository} declares",
            target=self.projects["drift"].arn,
            schedule_expression=config.drift_schedule,
        )
        if config.codecommit:
            self._codecommit_starts()
        else:
            self._pull_request_webhook()

    def _project(self, build: Build) -> codebuild_project.CodebuildProject:
        """``build``'s CodeBuild project and its log group (encrypted with the artifact key)."""
        config, access = self.config, self.config.access
        project = access.project(build.name)
        group = cloudwatch_log_group.CloudwatchLogGroup(
            self,
            f"{build.name}-logs",
            name=f"/aws/codebuild/{project}",
            retention_in_days=config.log_retention_days,
            kms_key_id=self.artifact_key,
        )
        started_by_pipeline = build.started_by == "pipeline"
        identity = access.pull_request_role if build.identity == "pull request" else access.build_role
        return codebuild_project.CodebuildProject(
            self,
            build.name,
            name=project,
            description=f"{build.description}",
            service_role=access.role_arn(identity),
            encryption_key=self.artifact_key,
            build_timeout=60,
            artifacts=codebuild_project.CodebuildProjectArtifacts(
                type="CODEPIPELINE" if started_by_pipeline else "NO_ARTIFACTS"
            ),
            source=self._build_source(build, buildspec(build, self.context), started_by_pipeline),
            source_version=f"refs/heads/{config.branch}" if build.started_by == "schedule" else None,
            # Builds CodePipeline does not start clone the definitions themselves.
            secondary_sources=None if started_by_pipeline else self._definitions_source(),
            secondary_source_version=None if started_by_pipeline else self._definitions_version(),
            environment=codebuild_project.CodebuildProjectEnvironment(
                compute_type="BUILD_GENERAL1_SMALL",
                image=config.build_image,
                type="LINUX_CONTAINER",
                privileged_mode=False,
                image_pull_credentials_type="CODEBUILD",
            ),
            cache=codebuild_project.CodebuildProjectCache(
                type="S3", location=f"{access.artifact_bucket}/cache/{build.name}"
            ),
            logs_config=codebuild_project.CodebuildProjectLogsConfig(
                cloudwatch_logs=codebuild_project.CodebuildProjectLogsConfigCloudwatchLogs(
                    group_name=group.name, status="ENABLED"
                )
            ),
        )

    def _pipeline(self) -> codepipeline.Codepipeline:
        config, access = self.config, self.config.access
        return codepipeline.Codepipeline(
            self,
            "pipeline",
            name=access.pipeline_name,
            pipeline_type="V2",
            # Runs queue: a run never overtakes the one whose plan a person is approving.
            execution_mode="QUEUED",
            role_arn=access.role_arn(access.codepipeline_role),
            artifact_store=[
                codepipeline.CodepipelineArtifactStore(
                    location=access.artifact_bucket,
                    type="S3",
                    encryption_key=codepipeline.CodepipelineArtifactStoreEncryptionKey(
                        id=self.artifact_key, type="KMS"
                    ),
                )
            ],
            stage=self._stages(),
            trigger=None if config.codecommit else [self._trigger()],
        )

    def _notifications(self) -> None:
        """The pipeline's events and the drift build's failures, to the topic."""
        access = self.config.access
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

    def _event_rule(self, name: str, *, description: str, target: str, input_transformer=None, **rule) -> None:
        """An EventBridge rule ``<prefix><name>`` whose one target runs as the CodePipeline role."""
        access = self.config.access
        created = cloudwatch_event_rule.CloudwatchEventRule(
            self,
            f"{name}-rule" if name != "drift" else "drift-schedule",
            name=access.prefix + name,
            description=description,
            **rule,
        )
        cloudwatch_event_target.CloudwatchEventTarget(
            self,
            f"{name}-target",
            rule=created.name,
            arn=target,
            role_arn=access.role_arn(access.codepipeline_role),
            input_transformer=input_transformer,
        )

    def _codecommit_starts(self) -> None:
        """CodeCommit has no CodePipeline trigger or CodeBuild webhook: its repository events
        start a run on a push to the branch, and the pull-request build on a pull request
        against it (created, or its source branch updated), at the pull request's commit."""
        config, access = self.config, self.config.access
        repository = config.repository_id.split("/")[-1]
        events = {
            "source": ["aws.codecommit"],
            "resources": [access.arn("codecommit", repository)],
        }
        self._event_rule(
            "push",
            description=f"A push to {config.branch} of {repository} starts {access.pipeline_name}",
            target=self.pipeline.arn,
            event_pattern=json.dumps(
                {
                    **events,
                    "detail-type": ["CodeCommit Repository State Change"],
                    "detail": {
                        "event": ["referenceCreated", "referenceUpdated"],
                        "referenceType": ["branch"],
                        "referenceName": [config.branch],
                    },
                },
                sort_keys=True,
            ),
        )
        self._event_rule(
            "pull-requests",
            description=f"A pull request against {config.branch} of {repository} runs its read-only plan",
            target=self.projects["pr"].arn,
            event_pattern=json.dumps(
                {
                    **events,
                    "detail-type": ["CodeCommit Pull Request State Change"],
                    "detail": {
                        "event": ["pullRequestCreated", "pullRequestSourceBranchUpdated"],
                        "destinationReference": [f"refs/heads/{config.branch}"],
                        "pullRequestStatus": ["Open"],
                    },
                },
                sort_keys=True,
            ),
            input_transformer=cloudwatch_event_target.CloudwatchEventTargetInputTransformer(
                input_paths={"commit": "$.detail.sourceCommit", "number": "$.detail.pullRequestId"},
                input_template=(
                    '{"sourceVersion": <commit>, "environmentVariablesOverride": '
                    '[{"name": "PULL_REQUEST_ID", "value": <number>, "type": "PLAINTEXT"}]}'
                ),
            ),
        )

    def _pull_request_webhook(self) -> None:
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
                            type="BASE_REF", pattern=f"^refs/heads/{self.config.branch}$"
                        ),
                    ]
                )
            ],
        )

    def _repository_source(self, repository_id: str, **extra):
        """A CodeBuild source that clones ``repository_id`` (through the connection, or CodeCommit)."""
        config = self.config
        source = {"type": config.host.codebuild_type, "location": config.clone_url(repository_id)}
        if config.host.through_connection:
            source["auth"] = {"type": "CODECONNECTIONS", "resource": self.connection_arn}
        return {**source, **extra}

    def _build_source(
        self, build: Build, spec: str, started_by_pipeline: bool
    ) -> codebuild_project.CodebuildProjectSource:
        if started_by_pipeline:
            return codebuild_project.CodebuildProjectSource(type="CODEPIPELINE", buildspec=spec)
        source = self._repository_source(self.config.repository_id, buildspec=spec)
        if not self.config.codecommit:
            source["report_build_status"] = build.started_by == "pull request"
        auth = source.pop("auth", None)
        return codebuild_project.CodebuildProjectSource(
            **source, auth=codebuild_project.CodebuildProjectSourceAuth(**auth) if auth else None
        )

    def _definitions_source(self) -> list[codebuild_project.CodebuildProjectSecondarySources] | None:
        if not self.config.definitions_id:
            return None
        source = self._repository_source(self.config.definitions_id, source_identifier="definitions")
        auth = source.pop("auth", None)
        return [
            codebuild_project.CodebuildProjectSecondarySources(
                **source, auth=codebuild_project.CodebuildProjectSecondarySourcesAuth(**auth) if auth else None
            )
        ]

    def _definitions_version(self) -> list[codebuild_project.CodebuildProjectSecondarySourceVersion] | None:
        if not self.config.definitions_id:
            return None
        return [
            codebuild_project.CodebuildProjectSecondarySourceVersion(
                source_identifier="definitions", source_version=f"refs/heads/{self.config.branch}"
            )
        ]

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
                namespace="SourceVariables" if name == "Source" else None,
                configuration={
                    "RepositoryName": repository_id.split("/")[-1],
                    "BranchName": config.branch,
                    "PollForSourceChanges": "false",  # the push rule starts runs (_codecommit_starts)
                    "OutputArtifactFormat": "CODE_ZIP",
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
        inputs = ["source"]
        if config.definitions_id:  # an ETL pipeline: the infrastructure repository defines it and the deployment
            sources.append(self._source_action("Definitions", config.definitions_id, "definitions"))
            inputs = ["source", "definitions"]
        stages = [
            codepipeline.CodepipelineStage(name="Source", action=sources),
            codepipeline.CodepipelineStage(
                name="UpdatePipeline", action=[self._build_action("UpdatePipeline", "update", inputs)]
            ),
            codepipeline.CodepipelineStage(name="Test", action=[self._build_action("Test", "test", inputs)]),
            codepipeline.CodepipelineStage(
                name="Plan",
                action=[self._build_action("Plan", "plan", inputs, output_artifacts=["plan"], namespace="Plan")],
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
                name="Apply", action=[self._build_action("Apply", "apply", [*inputs, "plan"])]
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
