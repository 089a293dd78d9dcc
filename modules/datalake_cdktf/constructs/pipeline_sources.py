"""Where one pipeline's run and builds read their repositories from.

A run's sources are CodePipeline source actions (``Source``, and ``Definitions`` for an
ETL repository's pipeline: the infrastructure repository), started by a CodePipeline
trigger on a push through the connection, or by the push rule for CodeCommit
(:mod:`~datalake_cdktf.constructs.pipeline_starts`). A build that the run does not
start clones its repositories itself, as a CodeBuild source through the same host.
"""

from __future__ import annotations

from dataclasses import dataclass

from datalake_cdktf.builds import Build, Trigger
from datalake_cdktf.engine import Construct, TerraformProvider
from datalake_cdktf.engine.aws import codebuild_project, codepipeline, data_aws_codestarconnections_connection
from datalake_cdktf.git_hosts import GitHost

__all__ = ["DEFINITIONS", "SOURCE", "Sources", "connection_arn"]

SOURCE = "source"
"""The artifact (and a cloning build's primary source) of the repository the pipeline builds."""
DEFINITIONS = "definitions"
"""The artifact (and a cloning build's secondary source) of the infrastructure repository,
for an ETL repository's pipeline: it defines the pipeline and the deployment."""


def connection_arn(scope: Construct, name: str, provider: TerraformProvider | None = None) -> str:
    """The ARN of the CodeConnections connection ``name`` (a data source of ``scope``,
    ``connection``, through ``provider``: the central account's)."""
    return data_aws_codestarconnections_connection.DataAwsCodestarconnectionsConnection(
        scope, "connection", name=name, provider=provider
    ).arn


@dataclass(frozen=True)
class Sources:
    """One pipeline's repositories: ``repository_id`` (``owner/name``) on ``host`` and, for
    an ETL repository, ``definitions_id``; both at ``branch``. ``connection_arn``: the
    connection to the host (``None`` for CodeCommit); ``region``: the central region."""

    host: GitHost
    region: str
    branch: str
    repository_id: str
    definitions_id: str | None
    connection_arn: str | None

    @property
    def inputs(self) -> list[str]:
        """The run's source artifacts, the primary first."""
        return [SOURCE, DEFINITIONS] if self.definitions_id else [SOURCE]

    def actions(self) -> list[codepipeline.CodepipelineStageAction]:
        """The run's source actions: ``Source`` and, for an ETL pipeline, ``Definitions``."""
        actions = [self._action("Source", self.repository_id, SOURCE, namespace="SourceVariables")]
        if self.definitions_id:
            actions.append(self._action("Definitions", self.definitions_id, DEFINITIONS))
        return actions

    def trigger(self) -> list[codepipeline.CodepipelineTrigger] | None:
        """A push to the branch starts a run (through the connection; CodeCommit: ``None``,
        the push rule starts it)."""
        if not self.host.through_connection:
            return None
        push = codepipeline.CodepipelineTriggerGitConfigurationPush(
            branches=codepipeline.CodepipelineTriggerGitConfigurationPushBranches(includes=[self.branch])
        )
        return [
            codepipeline.CodepipelineTrigger(
                provider_type="CodeStarSourceConnection",
                git_configuration=codepipeline.CodepipelineTriggerGitConfiguration(
                    source_action_name="Source", push=[push]
                ),
            )
        ]

    def build_source(self, build: Build, spec: str) -> codebuild_project.CodebuildProjectSource:
        """``build``'s source: the run's artifacts; none for a gate build the run does not
        start (it reads what CodeBuild or its settings give it); else a clone of the
        repository (a pull-request build reports its status there)."""
        if build.trigger is Trigger.PIPELINE:
            return codebuild_project.CodebuildProjectSource(type="CODEPIPELINE", buildspec=spec)
        if build.runs_gate:
            return codebuild_project.CodebuildProjectSource(type="NO_SOURCE", buildspec=spec)
        source = self._clone(self.repository_id, buildspec=spec)
        if self.host.through_connection:
            source["report_build_status"] = build.trigger is Trigger.PULL_REQUEST
        auth = source.pop("auth", None)
        return codebuild_project.CodebuildProjectSource(
            **source, auth=codebuild_project.CodebuildProjectSourceAuth(**auth) if auth else None
        )

    def _clones(self, build: Build) -> bool:
        return build.trigger is not Trigger.PIPELINE and not build.runs_gate

    def secondary_sources(self, build: Build) -> list[codebuild_project.CodebuildProjectSecondarySources] | None:
        """A build of the repository's code that the run does not start clones the
        definitions itself (an ETL pipeline)."""
        if not self._clones(build) or not self.definitions_id:
            return None
        source = self._clone(self.definitions_id, source_identifier=DEFINITIONS)
        auth = source.pop("auth", None)
        return [
            codebuild_project.CodebuildProjectSecondarySources(
                **source, auth=codebuild_project.CodebuildProjectSecondarySourcesAuth(**auth) if auth else None
            )
        ]

    def secondary_source_version(
        self, build: Build
    ) -> list[codebuild_project.CodebuildProjectSecondarySourceVersion] | None:
        """The branch of the definitions that :meth:`secondary_sources` clones."""
        if not self._clones(build) or not self.definitions_id:
            return None
        return [
            codebuild_project.CodebuildProjectSecondarySourceVersion(
                source_identifier=DEFINITIONS, source_version=f"refs/heads/{self.branch}"
            )
        ]

    def _clone(self, repository_id: str, **extra) -> dict:
        """A CodeBuild source that clones ``repository_id`` (through the connection, or CodeCommit)."""
        source = {"type": self.host.codebuild_type, "location": self.host.clone_url(repository_id, self.region)}
        if self.host.through_connection:
            source["auth"] = {"type": "CODECONNECTIONS", "resource": self.connection_arn}
        return {**source, **extra}

    def _action(
        self, name: str, repository_id: str, output: str, namespace: str | None = None
    ) -> codepipeline.CodepipelineStageAction:
        if self.host.through_connection:
            provider = "CodeStarSourceConnection"
            configuration = {
                "ConnectionArn": self.connection_arn,
                "FullRepositoryId": repository_id,
                "BranchName": self.branch,
                "OutputArtifactFormat": "CODE_ZIP",
                "DetectChanges": "false",  # the trigger starts runs, on push to the branch
            }
        else:
            provider = "CodeCommit"
            configuration = {
                "RepositoryName": repository_id.split("/")[-1],
                "BranchName": self.branch,
                "PollForSourceChanges": "false",  # the push rule starts runs (pipeline_starts)
                "OutputArtifactFormat": "CODE_ZIP",
            }
        return codepipeline.CodepipelineStageAction(
            name=name,
            category="Source",
            owner="AWS",
            provider=provider,
            version="1",
            output_artifacts=[output],
            namespace=namespace,
            configuration=configuration,
        )
