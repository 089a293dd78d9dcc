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
(:mod:`datalake_cdktf.iam.pipeline`), so a pipeline that updates itself cannot widen
what it may do.

The builds are the records of :data:`datalake_cdktf.builds.BUILDS`, each rendered into its
project by :meth:`Pipeline._project`; the sources, the starts and the notifications are
in :mod:`~datalake_cdktf.constructs.pipeline_sources`,
:mod:`~datalake_cdktf.constructs.pipeline_starts` and
:mod:`~datalake_cdktf.constructs.pipeline_notifications`.
"""

from __future__ import annotations

from dataclasses import dataclass

from datalake_cdktf.builds import BUILDS, Build, BuildContext, Trigger, buildspec, started_by
from datalake_cdktf.config.model import TerraformRelease
from datalake_cdktf.constructs.pipeline_notifications import (
    PIPELINE_EVENTS,
    SCHEDULED_BUILD_EVENTS,
    notification_rule,
    notification_topic,
)
from datalake_cdktf.constructs.pipeline_sources import Sources, connection_arn
from datalake_cdktf.constructs.pipeline_starts import codecommit_starts, pull_request_webhook, schedule
from datalake_cdktf.engine import Construct
from datalake_cdktf.engine.aws import cloudwatch_log_group, codebuild_project, codepipeline
from datalake_cdktf.git_hosts import GitHost, git_host
from datalake_cdktf.naming import kms_alias_arn
from datalake_cdktf.pipeline_access import PipelineAccess

__all__ = ["PIPELINE_EVENTS", "Pipeline", "PipelineConfig"]


@dataclass(frozen=True)
class PipelineConfig:
    """- ``access``: names and roles (:class:`~datalake_cdktf.iam.pipeline.PipelineAccess`).
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
    - ``pull_request_authors``: whose pull requests are built (default none: no pull-request
      builds start).
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
    pull_request_authors: tuple[str, ...] = ()

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

    def sources(self, connection_arn: str | None) -> Sources:
        """The repositories its run and builds read, through ``connection_arn``."""
        return Sources(
            host=self.host,
            region=self.access.region,
            branch=self.branch,
            repository_id=self.repository_id,
            definitions_id=self.definitions_id,
            connection_arn=connection_arn,
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
        self.artifact_key = kms_alias_arn(
            account_id=access.account_id, region=access.region, alias=access.artifact_key_alias
        )
        self.sources = config.sources(None if config.codecommit else connection_arn(self, config.connection_name))
        self.context = config.build_context  # once: every build's buildspec reads it
        self.projects = {build.name: self._project(build) for build in BUILDS}
        self.topic = notification_topic(self, access)
        self.topic_arn = self.topic.arn  # read once: each read is a call into the engine
        self.pipeline = self._pipeline()
        notification_rule(
            self,
            access,
            "pipeline-events",
            resource=self.pipeline.arn,
            events=PIPELINE_EVENTS,
            topic_arn=self.topic_arn,
        )
        self._schedules()
        self._pull_request_starts()

    def _schedules(self) -> None:
        """Each scheduled build (the drift check) runs on the drift schedule; its failures reach the topic."""
        access = self.config.access
        for build in started_by(Trigger.SCHEDULE):
            project_arn = self.projects[build.name].arn
            description = self.context.render(build.description)
            schedule(
                self,
                access,
                build.name,
                description=description[:1].upper() + description[1:],
                project_arn=project_arn,
                expression=self.config.drift_schedule,
            )
            notification_rule(
                self,
                access,
                f"{build.name}-events",
                resource=project_arn,
                events=SCHEDULED_BUILD_EVENTS,
                topic_arn=self.topic_arn,
            )

    def _pull_request_starts(self) -> None:
        """Pull requests start the pull-request build (CodeCommit: its rules start runs too)."""
        config = self.config
        (project,) = (self.projects[build.name] for build in started_by(Trigger.PULL_REQUEST))
        if config.codecommit:
            codecommit_starts(
                self,
                config.access,
                repository_id=config.repository_id,
                branch=config.branch,
                pipeline_arn=self.pipeline.arn,
                pull_request_project_arn=project.arn,
                pull_request_authors=config.pull_request_authors,
            )
        elif config.pull_request_authors:
            pull_request_webhook(
                self, project_name=project.name, branch=config.branch, authors=config.pull_request_authors
            )

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
        return codebuild_project.CodebuildProject(
            self,
            build.name,
            name=project,
            description=self.context.render(build.description),
            service_role=access.role_arn(access.role_name(build.role)),
            encryption_key=self.artifact_key,
            build_timeout=60,
            artifacts=codebuild_project.CodebuildProjectArtifacts(
                type="CODEPIPELINE" if build.trigger is Trigger.PIPELINE else "NO_ARTIFACTS"
            ),
            source=self.sources.build_source(build, buildspec(build, self.context)),
            source_version=self.sources.source_version(build),
            secondary_sources=self.sources.secondary_sources(build),
            secondary_source_version=self.sources.secondary_source_version(build),
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
        access = self.config.access
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
            trigger=self.sources.trigger(),
        )

    def _stages(self) -> list[codepipeline.CodepipelineStage]:
        """Source, then each build the run starts in the table's order (an approval before
        a build that needs one, where the environment requires it)."""
        stages = [codepipeline.CodepipelineStage(name="Source", action=self.sources.actions())]
        for build in started_by(Trigger.PIPELINE):
            if build.after_approval and self.config.approval:
                stages.append(codepipeline.CodepipelineStage(name="Approval", action=[self._approval()]))
            stages.append(codepipeline.CodepipelineStage(name=build.stage, action=[self._build_action(build)]))
        return stages

    def _build_action(self, build: Build) -> codepipeline.CodepipelineStageAction:
        inputs = [*self.sources.inputs, *build.inputs]
        configuration = {"ProjectName": self.projects[build.name].name}
        if len(inputs) > 1:
            configuration["PrimarySource"] = inputs[0]
        return codepipeline.CodepipelineStageAction(
            name=build.stage,
            category="Build",
            owner="AWS",
            provider="CodeBuild",
            version="1",
            input_artifacts=inputs,
            configuration=configuration,
            output_artifacts=[build.name] if build.artifacts else None,
            namespace=build.stage if build.exported_variables else None,
        )

    def _approval(self) -> codepipeline.CodepipelineStageAction:
        """A person approves the plan; the request carries its counts and a link to its summary."""
        return codepipeline.CodepipelineStageAction(
            name="Approve",
            category="Approval",
            owner="AWS",
            provider="Manual",
            version="1",
            configuration={
                "NotificationArn": self.topic_arn,
                "CustomData": (
                    f"{self.config.environment}: #{{Plan.ADD}} to add, #{{Plan.CHANGE}} to change, "
                    "#{Plan.REPLACE} to replace, #{Plan.DESTROY} to destroy; "
                    "#{Plan.DATA_AT_RISK} data-bearing resources destroyed or replaced"
                ),
                "ExternalEntityLink": "#{Plan.SUMMARY_URL}",
            },
        )
