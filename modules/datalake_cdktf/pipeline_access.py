"""What one repository's pipeline of one environment may do in the central account.

Three roles per repository and environment, created by an administrator in
``bootstrap-<env>`` and never by a pipeline (a pipeline that could edit the role it
runs as would be an administrator):

- ``<project>-<env>-<repo>-pipeline``: the pipeline's builds (update itself, test, plan,
  apply, drift). It assumes only the repository's deploy role in the environment; reads
  and writes the state of the repository's stacks of that environment and of its own
  pipeline stack; uses its own artifact bucket; manages only its own pipeline's
  resources (pipeline, build projects, topic, rules, log groups), which carry no IAM.
- ``<project>-<env>-<repo>-codepipeline``: CodePipeline itself (and the drift schedule):
  reads the source through the connection, runs the pipeline's builds, uses its
  artifact bucket.
- ``<project>-<env>-<repo>-pr``: pull-request builds. It assumes only the repository's
  read-only plan role, reads (never writes) its stacks' state, reads the pull-request
  token by its name. Nothing it can reach can apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from datalake_cdktf import naming
from datalake_cdktf.builds import BUILDS
from datalake_cdktf.iam.statements import Statement, allow
from datalake_cdktf.naming import Label

__all__ = ["BUILDS", "PipelineAccess"]


@dataclass(frozen=True)
class PipelineAccess:
    """One repository's pipeline of one environment: every name its documents use.

    - ``label``: the environment's naming context; ``repository``: the repository's name.
    - ``account_id`` / ``region``: the central account.
    - ``deploy_role_arn`` / ``plan_role_arn``: the roles its builds assume in the environment.
    - ``state_bucket``, ``state_key_alias``: the Terraform state; ``deployed_stacks``:
      the repository's stacks in this environment; ``pipeline_stack``: its own.
    - ``artifact_key_alias``, ``notification_key_alias``: the central keys.
    - ``source_repositories``: ``owner/name`` of the repositories it reads (its own and,
      for an ETL repository, the infrastructure repository that defines its pipeline);
      ``codecommit``: whether they are CodeCommit repositories (else a connection).
    - ``pull_request_token``: the Secrets Manager name of the token that comments on
      pull requests (``None``: no comments).
    """

    label: Label
    repository: str
    account_id: str
    region: str
    deploy_role_arn: str
    plan_role_arn: str
    state_bucket: str
    state_key_alias: str
    deployed_stacks: tuple[str, ...]
    pipeline_stack: str
    artifact_key_alias: str
    notification_key_alias: str
    source_repositories: tuple[str, ...]
    codecommit: bool
    pull_request_token: str | None

    # Names ---------------------------------------------------------------------------

    @property
    def prefix(self) -> str:
        """``<project>-<env>-<repo>-``: the start of every name the pipeline owns."""
        return self.label.repository_prefix(self.repository)

    @property
    def pipeline_name(self) -> str:
        return self.label.name(self.repository)

    @property
    def build_role(self) -> str:
        return self.label.pipeline_role(self.repository)

    @property
    def codepipeline_role(self) -> str:
        return self.label.codepipeline_role(self.repository)

    @property
    def pull_request_role(self) -> str:
        return self.label.pull_request_role(self.repository)

    @property
    def artifact_bucket(self) -> str:
        return self.label.pipeline_bucket(self.repository, self.account_id)

    def project(self, build: str) -> str:
        return self.prefix + build

    def role_arn(self, name: str) -> str:
        return naming.role_arn(self.account_id, name, self.region)

    def arn(self, service: str, resource: str) -> str:
        """An ARN of the central account and region."""
        return naming.arn(service, self.region, self.account_id, resource)

    # Trust ---------------------------------------------------------------------------

    def build_trust(self, projects: tuple[str, ...]) -> Statement:
        """CodeBuild, for the named projects of this pipeline only (confused deputy)."""
        return {
            "Sid": "OnlyThisPipelinesBuilds",
            "Effect": "Allow",
            "Principal": {"Service": "codebuild.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": self.account_id},
                "ArnLike": {"aws:SourceArn": sorted(self.arn("codebuild", f"project/{p}") for p in projects)},
            },
        }

    def codepipeline_trust(self) -> Statement:
        return {
            "Sid": "ThisPipelineAndItsDriftSchedule",
            "Effect": "Allow",
            "Principal": {"Service": ["codepipeline.amazonaws.com", "events.amazonaws.com"]},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": self.account_id}},
        }

    # Permissions ---------------------------------------------------------------------

    def build_permissions(self) -> list[Statement]:
        own = self.prefix + "*"
        tagged = {
            "StringEquals": {
                "aws:ResourceTag/repository": self.repository,
                "aws:ResourceTag/environment": self.label.stage,
            }
        }
        return [
            allow("AssumeOnlyItsDeployRole", ["sts:AssumeRole"], self.deploy_role_arn),
            *self._state(write=True, stacks=(*self.deployed_stacks, self.pipeline_stack)),
            *self._artifacts(),
            allow(
                # Its own pipeline stack: the self-update. None of these resources is IAM.
                "ItsOwnPipeline",
                ["codebuild:*", "codepipeline:*", "events:*", "logs:*", "sns:*"],
                [
                    self.arn("codepipeline", self.pipeline_name),
                    self.arn("codepipeline", f"{self.pipeline_name}/*"),
                    self.arn("codebuild", f"project/{own}"),
                    self.arn("codebuild", f"report-group/{own}"),
                    self.arn("events", f"rule/{own}"),
                    self.arn("logs", f"log-group:/aws/codebuild/{own}"),
                    self.arn("sns", own),
                ],
            ),
            allow(
                "ItsOwnNotificationRules",
                ["codestar-notifications:*"],
                self.arn("codestar-notifications", "notificationrule/*"),
                tagged,
            ),
            allow(
                "CreateNotificationRulesForItself",
                ["codestar-notifications:CreateNotificationRule", "codestar-notifications:TagResource"],
                "*",
                {
                    "StringEquals": {
                        "aws:RequestTag/repository": self.repository,
                        "aws:RequestTag/environment": self.label.stage,
                    }
                },
            ),
            allow(
                "PassItsOwnRolesToItsOwnServices",
                ["iam:PassRole"],
                [self.role_arn(self.build_role), self.role_arn(self.pull_request_role)],
                {"StringEquals": {"iam:PassedToService": "codebuild.amazonaws.com"}},
            ),
            allow(
                "PassItsPipelineRole",
                ["iam:PassRole"],
                self.role_arn(self.codepipeline_role),
                {"StringEquals": {"iam:PassedToService": ["codepipeline.amazonaws.com", "events.amazonaws.com"]}},
            ),
            *self._source(pass_connection=True),
            allow(
                # Build logs and topics are encrypted with the central keys; CodeBuild and
                # SNS check that the key exists.
                "DescribeTheCentralKeys",
                ["kms:DescribeKey"],
                self.arn("kms", "key/*"),
                {
                    "ForAnyValue:StringEquals": {
                        "kms:ResourceAliases": [self.artifact_key_alias, self.notification_key_alias]
                    }
                },
            ),
            allow(
                "NotifyItsTopic",
                ["kms:Decrypt", "kms:GenerateDataKey"],
                self.arn("kms", "key/*"),
                {
                    "ForAnyValue:StringEquals": {"kms:ResourceAliases": [self.notification_key_alias]},
                    "StringEquals": {"kms:ViaService": f"sns.{self.region}.amazonaws.com"},
                },
            ),
            allow(
                "ActionsWithoutResourceTypes",
                [
                    "codebuild:ListProjects",
                    "codepipeline:ListPipelines",
                    "logs:DescribeLogGroups",
                    "sts:GetCallerIdentity",
                ],
                "*",
            ),
        ]

    def codepipeline_permissions(self) -> list[Statement]:
        starts = []
        if self.codecommit:  # the push rule starts its pipeline (CodeCommit has no trigger)
            starts.append(
                allow(
                    "PushesStartItsPipeline",
                    ["codepipeline:StartPipelineExecution"],
                    self.arn("codepipeline", self.pipeline_name),
                )
            )
        return [
            *starts,
            *self._artifacts(),
            allow(
                "RunItsOwnBuilds",
                ["codebuild:BatchGetBuilds", "codebuild:StartBuild", "codebuild:StopBuild"],
                self.arn("codebuild", f"project/{self.prefix}*"),
            ),
            allow(
                # Approval requests go to its topic.
                "NotifyItsTopic",
                ["sns:Publish"],
                self.arn("sns", self.prefix + "*"),
            ),
            allow(
                "EncryptItsNotifications",
                ["kms:Decrypt", "kms:GenerateDataKey"],
                self.arn("kms", "key/*"),
                {
                    "ForAnyValue:StringEquals": {"kms:ResourceAliases": [self.notification_key_alias]},
                    "StringEquals": {"kms:ViaService": f"sns.{self.region}.amazonaws.com"},
                },
            ),
            *self._source(pass_connection=False),
        ]

    def pull_request_permissions(self) -> list[Statement]:
        statements = [
            allow("AssumeOnlyItsPlanRole", ["sts:AssumeRole"], self.plan_role_arn),
            *self._state(write=False, stacks=self.deployed_stacks),
            allow(
                "WriteItsBuildLogs",
                ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                self.arn("logs", f"log-group:/aws/codebuild/{self.project('pr')}*"),
            ),
            allow(
                "EncryptItsLogs",
                ["kms:Decrypt", "kms:GenerateDataKey"],
                self.arn("kms", "key/*"),
                {"ForAnyValue:StringEquals": {"kms:ResourceAliases": [self.artifact_key_alias]}},
            ),
            *self._source(pass_connection=False, own_only=True),
            *self._cache("pr"),
            allow("WhoAmI", ["sts:GetCallerIdentity"], "*"),
        ]
        if self.pull_request_token:
            statements.append(
                allow(
                    "ReadTheCommentToken",
                    ["secretsmanager:GetSecretValue"],
                    self.arn("secretsmanager", f"secret:{self.pull_request_token}-??????"),
                )
            )
        return statements

    # Shared statements ---------------------------------------------------------------

    def _state(self, *, write: bool, stacks: tuple[str, ...]) -> list[Statement]:
        bucket = naming.bucket_arn(self.state_bucket, self.region)
        actions = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"] if write else ["s3:GetObject"]
        return [
            # Listing shows key names only; reading and writing stay per stack.
            allow("ListTheStateBucket", ["s3:ListBucket"], bucket),
            allow("ItsOwnStacksState", actions, [f"{bucket}/{stack}/*" for stack in stacks]),
            allow(
                "TheStateKeyThroughS3",
                ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"] if write else ["kms:Decrypt"],
                self.arn("kms", "key/*"),
                {
                    "ForAnyValue:StringEquals": {"kms:ResourceAliases": [self.state_key_alias]},
                    "StringEquals": {"kms:ViaService": f"s3.{self.region}.amazonaws.com"},
                },
            ),
        ]

    def _artifacts(self) -> list[Statement]:
        bucket = naming.bucket_arn(self.artifact_bucket, self.region)
        return [
            allow("ItsOwnArtifacts", ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"], f"{bucket}/*"),
            allow("ListItsOwnArtifacts", ["s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket"], bucket),
            allow(
                # With S3 bucket keys the encryption context is the bucket: only its own.
                "TheArtifactKeyForItsOwnBucket",
                ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                self.arn("kms", "key/*"),
                {
                    "ForAnyValue:StringEquals": {"kms:ResourceAliases": [self.artifact_key_alias]},
                    "StringEquals": {
                        "kms:EncryptionContext:aws:s3:arn": bucket,
                        "kms:ViaService": f"s3.{self.region}.amazonaws.com",
                    },
                },
            ),
            allow(
                "EncryptItsBuildLogs",
                ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                self.arn("kms", "key/*"),
                {
                    "ForAnyValue:StringEquals": {"kms:ResourceAliases": [self.artifact_key_alias]},
                    "StringEquals": {"kms:ViaService": f"codebuild.{self.region}.amazonaws.com"},
                },
            ),
        ]

    def _cache(self, build: str) -> list[Statement]:
        """Its own build cache in the artifact bucket (``cache/<build>/``), nothing else there."""
        bucket = naming.bucket_arn(self.artifact_bucket, self.region)
        return [
            allow("ItsOwnBuildCache", ["s3:GetObject", "s3:PutObject"], f"{bucket}/cache/{build}/*"),
            allow(
                "TheArtifactKeyForItsCache",
                ["kms:Decrypt", "kms:GenerateDataKey"],
                self.arn("kms", "key/*"),
                {
                    "ForAnyValue:StringEquals": {"kms:ResourceAliases": [self.artifact_key_alias]},
                    "StringEquals": {
                        "kms:EncryptionContext:aws:s3:arn": bucket,
                        "kms:ViaService": f"s3.{self.region}.amazonaws.com",
                    },
                },
            ),
        ]

    def _source(self, *, pass_connection: bool, own_only: bool = False) -> list[Statement]:
        repositories = (self.source_repositories[0],) if own_only else self.source_repositories
        if self.codecommit:
            return [
                allow(
                    "ReadItsRepositories",
                    [
                        "codecommit:CancelUploadArchive",
                        "codecommit:GetBranch",
                        "codecommit:GetCommit",
                        "codecommit:GetUploadArchiveStatus",
                        "codecommit:GitPull",
                        "codecommit:UploadArchive",
                    ],
                    [self.arn("codecommit", name.split("/")[-1]) for name in repositories],
                )
            ]
        connection = naming.arn("codestar-connections", self.region, self.account_id, "connection/*")
        statements = [
            allow(
                "UseTheConnectionForItsRepositories",
                ["codestar-connections:UseConnection"],
                connection,
                {"ForAllValues:StringEquals": {"codestar-connections:FullRepositoryId": list(repositories)}},
            ),
            allow("FindTheConnection", ["codestar-connections:GetConnection"], connection),
        ]
        if pass_connection:
            statements.append(
                allow(
                    "PassTheConnectionToItsPipeline",
                    ["codestar-connections:PassConnection"],
                    connection,
                    {"StringEquals": {"codestar-connections:PassedToService": "codepipeline.amazonaws.com"}},
                )
            )
        return statements
