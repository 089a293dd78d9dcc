"""One repository's pipeline of one environment: CodePipeline V2 and its CodeBuild builds.

Source (the environment's branch, on push) -> Test (the repository's tests) -> Plan (its
stacks' and its own pipeline stack's saved plans, read-only, against the recorded state)
-> Seal (the administrator's gate checks the plans, computes their digest and summary and
keeps a sealed copy) -> Approval (where the environment requires it; the request carries
the counts, the digest and a link to the summary) -> Apply (the administrator's gate
applies exactly the sealed plans of that digest, the pipeline stack's own change
included: nothing in the environment, its pipeline included, changes before the
approval). Failures, approvals waiting and applies reach an encrypted SNS topic.

Two constructs share one :class:`PipelineConfig`:

- :class:`Pipeline` (``pipeline-<repo>-<env>``, which updates itself once approved): the
  pipeline, the builds that run the repository's code (test, plan), the topic and its
  notification rules. No resource here is IAM, starts a build or holds a secret.
- :class:`AdministeredBuilds` (``bootstrap-<env>``, applied by the administrator): the
  builds that run the gate (seal, apply, drift, comment) and the pull request's build, and
  everything that starts a build outside a run (the drift schedule, the pull-request
  webhook or CodeCommit's rules, the comment's rule). No pipeline role can change them.

The builds are the records of :data:`datalake_cdktf.builds.BUILDS`, each rendered into its
project by :func:`project`; the sources, the starts and the notifications are in
:mod:`~datalake_cdktf.constructs.pipeline_sources`,
:mod:`~datalake_cdktf.constructs.pipeline_starts` and
:mod:`~datalake_cdktf.constructs.pipeline_notifications`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from datalake_cdktf.builds import BUILDS, GATE, Build, BuildContext, Trigger, buildspec, gate_source, started_by
from datalake_cdktf.config.model import TerraformRelease
from datalake_cdktf.constructs.pipeline_notifications import (
    PIPELINE_EVENTS,
    SCHEDULED_BUILD_EVENTS,
    notification_rule,
    notification_topic,
)
from datalake_cdktf.constructs.pipeline_sources import Sources, connection_arn
from datalake_cdktf.constructs.pipeline_starts import codecommit_starts, comment_start, pull_request_webhook, schedule
from datalake_cdktf.engine import Construct, TerraformProvider
from datalake_cdktf.engine.aws import cloudwatch_log_group, codebuild_project, codepipeline
from datalake_cdktf.git_hosts import GitHost, git_host
from datalake_cdktf.iam.pipeline import PULL_REQUEST_ARTIFACTS
from datalake_cdktf.naming import kms_alias_arn
from datalake_cdktf.pipeline_access import PipelineAccess

__all__ = ["PIPELINE_EVENTS", "AdministeredBuilds", "Pipeline", "PipelineConfig", "project"]


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
            repository_id=self.repository_id,
            pipeline_name=access.pipeline_name,
            artifact_bucket=access.artifact_bucket,
            etl=self.definitions_id is not None,
            terraform=self.terraform,
            package_index=self.package_index,
            pull_request_token=access.pull_request_token,  # its comments' token (None: no comments)
            profile=access.label.profile(access.repository),
            roles={"plan": access.plan_role_arn, "deploy": access.deploy_role_arn, "drift": access.drift_role_arn},
            deployed_stacks=tuple(access.deployed_stacks),
        )

    def builds(self, *, administered: bool) -> tuple[Build, ...]:
        """The builds of this pipeline that the administrator defines, or those the pipeline
        stack does (a build only a missing secret would use is left out)."""
        context = self.build_context
        return tuple(b for b in BUILDS if b.administered is administered and b.wanted(context))

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


def project(
    scope: Construct,
    build: Build,
    *,
    config: PipelineConfig,
    context: BuildContext,
    sources: Sources,
    provider: TerraformProvider | None = None,
) -> codebuild_project.CodebuildProject:
    """``build``'s CodeBuild project and its log group (encrypted with the artifact key),
    in ``scope`` (ids ``<build>`` and ``<build>-logs``), through ``provider``."""
    access = config.access
    artifact_key = kms_alias_arn(account_id=access.account_id, region=access.region, alias=access.artifact_key_alias)
    name = access.project(build.name)
    group = cloudwatch_log_group.CloudwatchLogGroup(
        scope,
        f"{build.name}-logs",
        name=f"/aws/codebuild/{name}",
        retention_in_days=config.log_retention_days,
        kms_key_id=artifact_key,
        provider=provider,
    )
    description = context.render(build.description)
    if build.runs_gate:
        digest = hashlib.sha256(gate_source()).hexdigest()
        description += f"; {GATE}: datalake_cdktf/gate.py, SHA-256 {digest[:16]}"
    return codebuild_project.CodebuildProject(
        scope,
        build.name,
        name=name,
        description=description[:255],
        service_role=access.role_arn(access.role_name(build.role)),
        encryption_key=artifact_key,
        build_timeout=60,
        artifacts=_artifacts(build, access),
        source=sources.build_source(build, buildspec(build, context)),
        secondary_sources=sources.secondary_sources(build),
        secondary_source_version=sources.secondary_source_version(build),
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
        provider=provider,
    )


def _artifacts(build: Build, access: PipelineAccess) -> codebuild_project.CodebuildProjectArtifacts:
    """The run's artifacts for a build of the run; a pull request's plans under
    ``pull-requests/<build id>/`` of the artifact bucket (the comment build's input);
    none for the rest."""
    if build.trigger is Trigger.PIPELINE:
        return codebuild_project.CodebuildProjectArtifacts(type="CODEPIPELINE")
    if build.artifacts:
        return codebuild_project.CodebuildProjectArtifacts(
            type="S3",
            location=access.artifact_bucket,
            path=PULL_REQUEST_ARTIFACTS,
            namespace_type="BUILD_ID",
            name="plans.zip",
            packaging="ZIP",
        )
    return codebuild_project.CodebuildProjectArtifacts(type="NO_ARTIFACTS")


class Pipeline(Construct):
    """The pipeline, its own builds (those that run the repository's code in a run) and
    their log groups, its topic and notification rules. The run's trigger is the
    pipeline's own (CodePipeline V2, through the connection). Properties: ``pipeline``,
    ``projects`` (build -> project, the pipeline stack's own), ``topic``."""

    def __init__(self, scope: Construct, construct_id: str, *, config: PipelineConfig):
        super().__init__(scope, construct_id)
        self.config = config
        access = config.access
        self.sources = config.sources(None if config.codecommit else connection_arn(self, config.connection_name))
        self.context = config.build_context  # once: every build's buildspec reads it
        self.projects = {
            build.name: project(self, build, config=config, context=self.context, sources=self.sources)
            for build in config.builds(administered=False)
        }
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
        for build in started_by(Trigger.SCHEDULE):  # the administrator's drift check fails to this topic
            notification_rule(
                self,
                access,
                f"{build.name}-events",
                resource=access.project_arn(build.name),
                events=SCHEDULED_BUILD_EVENTS,
                topic_arn=self.topic_arn,
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
                        id=kms_alias_arn(
                            account_id=access.account_id, region=access.region, alias=access.artifact_key_alias
                        ),
                        type="KMS",
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
        """A build of the repository's code reads the sources (and ``inputs``); a gate build
        reads only its ``inputs``, never a source."""
        inputs = list(build.inputs) if build.runs_gate else [*self.sources.inputs, *build.inputs]
        configuration = {"ProjectName": self.config.access.project(build.name)}
        if len(inputs) > 1:
            configuration["PrimarySource"] = inputs[0]
        if build.variables:
            variables = [{"name": name, "value": value, "type": "PLAINTEXT"} for name, value in build.variables]
            configuration["EnvironmentVariables"] = json.dumps(variables)
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
        """A person approves the sealed plans: the request carries their counts, their digest
        and a link to the summary the gate printed."""
        return codepipeline.CodepipelineStageAction(
            name="Approve",
            category="Approval",
            owner="AWS",
            provider="Manual",
            version="1",
            configuration={
                "NotificationArn": self.topic_arn,
                "CustomData": (
                    f"{self.config.environment}: #{{Seal.ADD}} to add, #{{Seal.CHANGE}} to change, "
                    "#{Seal.REPLACE} to replace, #{Seal.DESTROY} to destroy; "
                    "#{Seal.DATA_AT_RISK} data-bearing resources destroyed or replaced. "
                    "Plan artifact SHA-256 #{Seal.DIGEST}: the apply applies exactly this one"
                ),
                "ExternalEntityLink": "#{Seal.SUMMARY_URL}",
            },
        )


class AdministeredBuilds(Construct):
    """The administrator's side of one repository's pipeline of one environment, created
    through ``provider`` (the central account's) in ``bootstrap-<env>``: the builds that
    run the gate (seal, apply, drift, comment) and the pull request's build, their log
    groups, and what starts them outside a run: the drift schedule; a pull request (the
    webhook through the connection, or CodeCommit's rule); the end of a pull request's
    build (the comment's rule); and for CodeCommit, the push rule that starts runs.
    Property: ``projects`` (build -> project)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: PipelineConfig, provider: TerraformProvider):
        super().__init__(scope, construct_id)
        self.config = config
        self.provider = provider
        connection = None if config.codecommit else connection_arn(self, config.connection_name, provider)
        self.sources = config.sources(connection)
        self.context = config.build_context
        self.projects = {
            build.name: project(
                self, build, config=config, context=self.context, sources=self.sources, provider=provider
            )
            for build in config.builds(administered=True)
        }
        self._schedules()
        self._pull_request_starts()

    def _schedules(self) -> None:
        """Each scheduled build (the drift check) runs on the drift schedule."""
        for build in started_by(Trigger.SCHEDULE):
            description = self.context.render(build.description)
            schedule(
                self,
                self.config.access,
                build.name,
                description=description[:1].upper() + description[1:],
                project_arn=self.projects[build.name].arn,
                expression=self.config.drift_schedule,
                provider=self.provider,
            )

    def _pull_request_starts(self) -> None:
        """Pull requests start the pull-request build (CodeCommit: its rules start runs too),
        and its end starts the comment build, where there is one."""
        config, access = self.config, self.config.access
        (pull_request_build,) = started_by(Trigger.PULL_REQUEST)
        pull_request = self.projects[pull_request_build.name]
        if config.codecommit:
            codecommit_starts(
                self,
                access,
                repository_id=config.repository_id,
                branch=config.branch,
                pipeline_arn=access.arn("codepipeline", access.pipeline_name),
                pull_request_project_arn=pull_request.arn,
                pull_request_authors=config.pull_request_authors,
                provider=self.provider,
            )
        elif config.pull_request_authors:
            pull_request_webhook(
                self,
                project_name=pull_request.name,
                branch=config.branch,
                authors=config.pull_request_authors,
                provider=self.provider,
            )
        for build in started_by(Trigger.PULL_REQUEST_BUILT):
            if build.name in self.projects:
                comment_start(
                    self,
                    access,
                    pull_request_project=access.project(pull_request_build.name),
                    comment_project_arn=self.projects[build.name].arn,
                    provider=self.provider,
                )
