"""What one repository's pipeline of one environment may do in the central account.

Three roles per repository and environment (:class:`Role`), created by an administrator
in ``bootstrap-<env>`` and never by a pipeline (a pipeline that could edit the role it
runs as would be an administrator):

- ``<project>-<env>-<repo>-pipeline`` (:attr:`Role.BUILD`): the pipeline's builds that run
  as it (update itself, test, plan, apply, drift: see ``datalake_cdktf.builds``). It
  assumes only the repository's deploy role in the environment; reads and writes the
  state of the repository's stacks of that environment and of its own pipeline stack;
  uses its own artifact bucket; manages only its own pipeline's resources (pipeline,
  build projects, topic, rules, log groups), which carry no IAM.
- ``<project>-<env>-<repo>-codepipeline`` (:attr:`Role.CODEPIPELINE`): CodePipeline itself
  (and the drift schedule): reads the source through the connection, runs the pipeline's
  builds, uses its artifact bucket.
- ``<project>-<env>-<repo>-pr`` (:attr:`Role.PULL_REQUEST`): pull-request builds. It
  assumes only the repository's read-only plan role, reads (never writes) its stacks'
  state, reads the pull-request token by its name. Nothing it can reach can apply.

Each permission is one small function per concern (``(access, builds) -> statements``,
``builds`` the names of the builds the role runs); a role is the list of its concerns
(:data:`CONCERNS`), in the order its policy lists them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from datalake_cdktf import naming
from datalake_cdktf.iam.statements import Statement, allow, key_by_alias, service_trust, tls_only
from datalake_cdktf.naming import Label

__all__ = [
    "BUILD_ROLES",
    "CODEBUILD",
    "CONCERNS",
    "OWN_PIPELINE_ACTIONS",
    "SERVICES",
    "Concern",
    "PipelineAccess",
    "Role",
    "topic_policy",
]


class Role(Enum):
    """A role of one repository's pipeline of one environment (the value: its construct
    id's start in ``PipelineIdentities``)."""

    BUILD = "build"
    CODEPIPELINE = "codepipeline"
    PULL_REQUEST = "pr"


CODEBUILD = "codebuild.amazonaws.com"
"""The service builds run in: a role it assumes is a role builds run as."""
SERVICES: dict[Role, tuple[str, ...]] = {
    Role.BUILD: (CODEBUILD,),
    Role.CODEPIPELINE: ("codepipeline.amazonaws.com", "events.amazonaws.com"),
    Role.PULL_REQUEST: (CODEBUILD,),
}
"""The services that assume each role, and to which the build role may pass it."""
BUILD_ROLES = tuple(role for role in Role if SERVICES[role] == (CODEBUILD,))
"""The roles builds run as (each build says which: ``datalake_cdktf.builds``)."""


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

    @property
    def prefix(self) -> str:
        """``<project>-<env>-<repo>-``: the start of every name the pipeline owns."""
        return self.label.repository_prefix(self.repository)

    @property
    def pipeline_name(self) -> str:
        """The CodePipeline's name, ``<project>-<env>-<repo>``."""
        return self.label.name(self.repository)

    @property
    def build_role(self) -> str:
        """The name of the :attr:`Role.BUILD` role."""
        return self.role_name(Role.BUILD)

    @property
    def codepipeline_role(self) -> str:
        """The name of the :attr:`Role.CODEPIPELINE` role."""
        return self.role_name(Role.CODEPIPELINE)

    @property
    def pull_request_role(self) -> str:
        """The name of the :attr:`Role.PULL_REQUEST` role."""
        return self.role_name(Role.PULL_REQUEST)

    @property
    def artifact_bucket(self) -> str:
        """The pipeline's artifact bucket, ``<project>-<env>-<repo>-ci-<account>``."""
        return self.label.pipeline_bucket(self.repository, self.account_id)

    def role_name(self, role: Role) -> str:
        """The name of ``role`` for this pipeline."""
        names = {
            Role.BUILD: self.label.pipeline_role,
            Role.CODEPIPELINE: self.label.codepipeline_role,
            Role.PULL_REQUEST: self.label.pull_request_role,
        }
        return names[role](self.repository)

    def project(self, build: str) -> str:
        """The CodeBuild project of ``build``, ``<project>-<env>-<repo>-<build>``."""
        return self.prefix + build

    def role_arn(self, name: str) -> str:
        """The ARN of the central account's role ``name``."""
        return naming.role_arn(account_id=self.account_id, role_name=name, region=self.region)

    def arn(self, service: str, resource: str) -> str:
        """An ARN of the central account and region."""
        return naming.arn(service=service, region=self.region, account_id=self.account_id, resource=resource)

    def trust(self, role: Role, builds: tuple[str, ...] = ()) -> list[Statement]:
        """Who may assume ``role``: each of its :data:`SERVICES`, on behalf of this account
        and only for this pipeline's own resources (``aws:SourceArn``: the confused deputy):
        CodeBuild for the projects of ``builds``; CodePipeline for this pipeline; EventBridge
        for this pipeline's own rules (the drift schedule, CodeCommit's pushes)."""
        if role in BUILD_ROLES:
            projects = sorted(self.arn("codebuild", f"project/{self.project(b)}") for b in builds)
            return [service_trust(CODEBUILD, self.account_id, sid="OnlyThisPipelinesBuilds", source_arn=projects)]
        return [
            service_trust(
                "codepipeline.amazonaws.com",
                self.account_id,
                sid="OnlyThisPipeline",
                source_arn=self.arn("codepipeline", self.pipeline_name),
            ),
            service_trust(
                "events.amazonaws.com",
                self.account_id,
                sid="OnlyThisPipelinesRules",
                source_arn=self.arn("events", f"rule/{self.prefix}*"),
            ),
        ]

    def permissions(self, role: Role, builds: tuple[str, ...] = ()) -> list[Statement]:
        """The statements of ``role``'s policy: its :data:`CONCERNS`, in order, for ``builds``."""
        return [statement for concern in CONCERNS[role] for statement in concern(self, builds)]


Concern = Callable[[PipelineAccess, tuple[str, ...]], list[Statement]]
"""One purpose of a role's policy: its statements, given the pipeline and the role's builds."""


def _one(resources: list[str]) -> str | list[str]:
    return resources[0] if len(resources) == 1 else resources


def _central_key(
    a: PipelineAccess, sid: str, actions: list[str], aliases: list[str], through: dict[str, str] | None = None
) -> Statement:
    """A grant on the central keys that ``aliases`` name; ``through``: its ``StringEquals``
    conditions (the service it is used through, the encryption context)."""
    condition = key_by_alias(*aliases)
    if through:
        condition["StringEquals"] = through
    return allow(sid, actions, a.arn("kms", "key/*"), condition)


def _via(a: PipelineAccess, service: str) -> str:
    return f"{service}.{a.region}.amazonaws.com"


# Role assumption in the environment -----------------------------------------------


def deploy_role(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    return [allow("AssumeOnlyItsDeployRole", ["sts:AssumeRole"], a.deploy_role_arn)]


def plan_role(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    return [allow("AssumeOnlyItsPlanRole", ["sts:AssumeRole"], a.plan_role_arn)]


# Terraform state ---------------------------------------------------------------------


def _state(a: PipelineAccess, *, write: bool, stacks: tuple[str, ...]) -> list[Statement]:
    bucket = naming.bucket_arn(bucket_name=a.state_bucket, region=a.region)
    actions = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"] if write else ["s3:GetObject"]
    return [
        # Listing shows key names only; reading and writing stay per stack.
        allow("ListTheStateBucket", ["s3:ListBucket"], bucket),
        allow("ItsOwnStacksState", actions, [f"{bucket}/{stack}/*" for stack in stacks]),
        _central_key(
            a,
            "TheStateKeyThroughS3",
            ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"] if write else ["kms:Decrypt"],
            [a.state_key_alias],
            {"kms:ViaService": _via(a, "s3")},
        ),
    ]


def state(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """Read and write the state of its stacks in the environment and of its own pipeline stack."""
    return _state(a, write=True, stacks=(*a.deployed_stacks, a.pipeline_stack))


def state_read(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """Read, never write, the state of its stacks in the environment."""
    return _state(a, write=False, stacks=a.deployed_stacks)


# Artifacts, logs and caches ----------------------------------------------------------


def artifacts(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """Its own artifact bucket, and the artifact key for it and for its build logs."""
    bucket = naming.bucket_arn(bucket_name=a.artifact_bucket, region=a.region)
    return [
        allow("ItsOwnArtifacts", ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"], f"{bucket}/*"),
        allow("ListItsOwnArtifacts", ["s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket"], bucket),
        # With S3 bucket keys the encryption context is the bucket: only its own.
        _central_key(
            a,
            "TheArtifactKeyForItsOwnBucket",
            ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
            [a.artifact_key_alias],
            {"kms:EncryptionContext:aws:s3:arn": bucket, "kms:ViaService": _via(a, "s3")},
        ),
        _central_key(
            a,
            "EncryptItsBuildLogs",
            ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
            [a.artifact_key_alias],
            {"kms:ViaService": _via(a, "codebuild")},
        ),
    ]


def build_logs(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """The log groups of its own builds, encrypted with the artifact key."""
    groups = [a.arn("logs", f"log-group:/aws/codebuild/{a.project(b)}*") for b in builds]
    return [
        allow("WriteItsBuildLogs", ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], _one(groups)),
        _central_key(a, "EncryptItsLogs", ["kms:Decrypt", "kms:GenerateDataKey"], [a.artifact_key_alias]),
    ]


def build_cache(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """Its own builds' caches in the artifact bucket (``cache/<build>/``), nothing else there."""
    bucket = naming.bucket_arn(bucket_name=a.artifact_bucket, region=a.region)
    return [
        allow("ItsOwnBuildCache", ["s3:GetObject", "s3:PutObject"], _one([f"{bucket}/cache/{b}/*" for b in builds])),
        _central_key(
            a,
            "TheArtifactKeyForItsCache",
            ["kms:Decrypt", "kms:GenerateDataKey"],
            [a.artifact_key_alias],
            {"kms:EncryptionContext:aws:s3:arn": bucket, "kms:ViaService": _via(a, "s3")},
        ),
    ]


# Its own pipeline's resources --------------------------------------------------------


OWN_PIPELINE_ACTIONS = (
    # The pipeline: what Terraform calls to manage it, and the restart after a redefinition
    # (deploy.update_pipeline). Never PutApprovalResult, RetryStageExecution,
    # OverrideStageCondition, EnableStageTransition or the job workers' Put*/Acknowledge*.
    "codepipeline:CreatePipeline",
    "codepipeline:DeletePipeline",
    "codepipeline:GetPipeline",
    "codepipeline:ListTagsForResource",
    "codepipeline:StartPipelineExecution",
    "codepipeline:TagResource",
    "codepipeline:UntagResource",
    "codepipeline:UpdatePipeline",
    # Its build projects and the pull-request webhook: managed, never started (no
    # StartBuild, StartBuildBatch or RetryBuild: a build started with overrides could
    # run any command as any of its projects' roles).
    "codebuild:BatchGetProjects",
    "codebuild:CreateProject",
    "codebuild:CreateWebhook",
    "codebuild:DeleteProject",
    "codebuild:DeleteWebhook",
    "codebuild:UpdateProject",
    "codebuild:UpdateWebhook",
    # Its rules (the drift schedule, CodeCommit's starts).
    "events:DeleteRule",
    "events:DescribeRule",
    "events:ListTagsForResource",
    "events:ListTargetsByRule",
    "events:PutRule",
    "events:PutTargets",
    "events:RemoveTargets",
    "events:TagResource",
    "events:UntagResource",
    # Its build log groups, and the builds' own log streams.
    "logs:AssociateKmsKey",
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:DeleteLogGroup",
    "logs:DeleteRetentionPolicy",
    "logs:DisassociateKmsKey",
    "logs:ListTagsForResource",
    "logs:ListTagsLogGroup",
    "logs:PutLogEvents",
    "logs:PutRetentionPolicy",
    "logs:TagLogGroup",
    "logs:TagResource",
    "logs:UntagLogGroup",
    "logs:UntagResource",
    # Its topic.
    "sns:CreateTopic",
    "sns:DeleteTopic",
    "sns:GetTopicAttributes",
    "sns:ListTagsForResource",
    "sns:SetTopicAttributes",
    "sns:TagResource",
    "sns:UntagResource",
)
"""What the self-update does to its own pipeline's resources (none of them IAM)."""


def own_pipeline(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """Its own pipeline stack: the self-update (:data:`OWN_PIPELINE_ACTIONS`)."""
    own = a.prefix + "*"
    resources = [
        a.arn("codepipeline", a.pipeline_name),
        a.arn("codepipeline", f"{a.pipeline_name}/*"),
        a.arn("codebuild", f"project/{own}"),
        a.arn("events", f"rule/{own}"),
        a.arn("logs", f"log-group:/aws/codebuild/{own}"),
        a.arn("sns", own),
    ]
    return [allow("ItsOwnPipeline", list(OWN_PIPELINE_ACTIONS), resources)]


def notification_rules(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """Notification rules tagged with its repository and environment, and only those: it
    creates them with those tags, and cannot re-tag another pipeline's rule into its own."""
    tags = {"repository": a.repository, "environment": a.label.stage}
    return [
        allow(
            "ItsOwnNotificationRules",
            ["codestar-notifications:*"],
            a.arn("codestar-notifications", "notificationrule/*"),
            {"StringEquals": {f"aws:ResourceTag/{key}": value for key, value in tags.items()}},
        ),
        allow(
            "CreateNotificationRulesForItself",
            ["codestar-notifications:CreateNotificationRule"],
            "*",
            {"StringEquals": {f"aws:RequestTag/{key}": value for key, value in tags.items()}},
        ),
        allow(
            # The tags a new rule is created with; a rule that already carries a repository
            # tag (another pipeline's) cannot be re-tagged into this one's.
            "TagNotificationRulesAsTheyAreCreated",
            ["codestar-notifications:TagResource"],
            "*",
            {
                "StringEquals": {f"aws:RequestTag/{key}": value for key, value in tags.items()},
                "Null": {"aws:ResourceTag/repository": "true"},
            },
        ),
    ]


def pass_roles(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """Its own pipeline's roles, each to the service that assumes it (:data:`SERVICES`)."""
    return [
        allow(
            "PassItsOwnRolesToItsOwnServices",
            ["iam:PassRole"],
            [a.role_arn(a.role_name(role)) for role in BUILD_ROLES],
            {"StringEquals": {"iam:PassedToService": CODEBUILD}},
        ),
        allow(
            "PassItsPipelineRole",
            ["iam:PassRole"],
            a.role_arn(a.codepipeline_role),
            {"StringEquals": {"iam:PassedToService": list(SERVICES[Role.CODEPIPELINE])}},
        ),
    ]


def run_builds(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """Start and follow its own pipeline's builds."""
    return [
        allow(
            "RunItsOwnBuilds",
            ["codebuild:BatchGetBuilds", "codebuild:StartBuild", "codebuild:StopBuild"],
            a.arn("codebuild", f"project/{a.prefix}*"),
        )
    ]


def pushes_start_pipeline(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """CodeCommit has no trigger: the push rule starts its pipeline (as the CodePipeline role)."""
    if not a.codecommit:
        return []
    return [
        allow("PushesStartItsPipeline", ["codepipeline:StartPipelineExecution"], a.arn("codepipeline", a.pipeline_name))
    ]


def listings(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """The actions that take no resource, which Terraform and the builds call."""
    actions = [
        "codebuild:ListProjects",
        "codepipeline:ListPipelines",
        "logs:DescribeLogGroups",
        "sts:GetCallerIdentity",
    ]
    return [allow("ActionsWithoutResourceTypes", actions, "*")]


def who_am_i(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    return [allow("WhoAmI", ["sts:GetCallerIdentity"], "*")]


# Notifications and the central keys --------------------------------------------------


def describe_keys(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """Build logs and topics are encrypted with the central keys; CodeBuild and SNS check
    that the key exists."""
    aliases = [a.artifact_key_alias, a.notification_key_alias]
    return [_central_key(a, "DescribeTheCentralKeys", ["kms:DescribeKey"], aliases)]


def _notification_key(a: PipelineAccess, sid: str) -> Statement:
    actions = ["kms:Decrypt", "kms:GenerateDataKey"]
    return _central_key(a, sid, actions, [a.notification_key_alias], {"kms:ViaService": _via(a, "sns")})


def topic_key(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """The notification key, through SNS: its own topic is encrypted with it."""
    return [_notification_key(a, "NotifyItsTopic")]


def notify(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """Publish to its own topic (approval requests) and encrypt what it publishes."""
    return [
        allow("NotifyItsTopic", ["sns:Publish"], a.arn("sns", a.prefix + "*")),
        _notification_key(a, "EncryptItsNotifications"),
    ]


# Sources -------------------------------------------------------------------------------


def _source(a: PipelineAccess, repositories: tuple[str, ...]) -> list[Statement]:
    if a.codecommit:
        actions = [
            "codecommit:CancelUploadArchive",
            "codecommit:GetBranch",
            "codecommit:GetCommit",
            "codecommit:GetUploadArchiveStatus",
            "codecommit:GitPull",
            "codecommit:UploadArchive",
        ]
        return [allow("ReadItsRepositories", actions, [a.arn("codecommit", r.split("/")[-1]) for r in repositories])]
    connection = a.arn("codestar-connections", "connection/*")
    return [
        allow(
            "UseTheConnectionForItsRepositories",
            ["codestar-connections:UseConnection"],
            connection,
            {"ForAllValues:StringEquals": {"codestar-connections:FullRepositoryId": list(repositories)}},
        ),
        allow("FindTheConnection", ["codestar-connections:GetConnection"], connection),
    ]


def sources(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """Read every repository it builds from (its own and the one that defines it)."""
    return _source(a, a.source_repositories)


def own_source(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """Read its own repository only."""
    return _source(a, a.source_repositories[:1])


def pass_connection(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """Hand the connection to its own pipeline (its self-update; no connection: nothing)."""
    if a.codecommit:
        return []
    return [
        allow(
            "PassTheConnectionToItsPipeline",
            ["codestar-connections:PassConnection"],
            a.arn("codestar-connections", "connection/*"),
            {"StringEquals": {"codestar-connections:PassedToService": "codepipeline.amazonaws.com"}},
        )
    ]


def comment_token(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """Read the pull-request token by its name (no token: nothing)."""
    if not a.pull_request_token:
        return []
    secret = a.arn("secretsmanager", f"secret:{a.pull_request_token}-??????")
    return [allow("ReadTheCommentToken", ["secretsmanager:GetSecretValue"], secret)]


CONCERNS: dict[Role, tuple[Concern, ...]] = {
    Role.BUILD: (
        deploy_role,
        state,
        artifacts,
        own_pipeline,
        notification_rules,
        pass_roles,
        sources,
        pass_connection,
        describe_keys,
        topic_key,
        listings,
    ),
    Role.CODEPIPELINE: (pushes_start_pipeline, artifacts, run_builds, notify, sources),
    Role.PULL_REQUEST: (plan_role, state_read, build_logs, own_source, build_cache, who_am_i, comment_token),
}
"""Each role's policy: the concerns it is made of, in order."""


def topic_policy(topic_arn: str, account_id: str) -> list[Statement]:
    """The pipeline topic's policy: CodeStar Notifications of ``account_id`` publish to it, over TLS only."""
    return [
        {
            "Sid": "NotificationsOfThisAccount",
            "Effect": "Allow",
            "Principal": {"Service": "codestar-notifications.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        },
        tls_only("sns:Publish", topic_arn),
    ]
