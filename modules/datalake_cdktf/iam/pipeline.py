"""What one repository's pipeline of one environment may do in the central account.

Six roles per repository and environment (:class:`Role`), created by an administrator
in ``bootstrap-<env>`` and never by a pipeline (a pipeline that could edit the role it
runs as would be an administrator). Which builds run as which role is
``datalake_cdktf.builds``'s table; the split is by what a build runs:

- ``<project>-<env>-<repo>-pipeline`` (:attr:`Role.BUILD`): the run's builds that run the
  repository's code (test, plan). It may assume the read-only plan role and nothing else,
  read its stacks' state and its run's artifacts, and write only its plan artifact: code
  under review holds no credential that can write anything that is not its own output.
- ``<project>-<env>-<repo>-pr`` (:attr:`Role.PULL_REQUEST`): pull-request builds, the
  same power for a pull request's code, writing only its plans for the comment build.
  No secret.
- ``<project>-<env>-<repo>-review`` (:attr:`Role.REVIEW`): the administrator's builds that
  read what code produced, or the live resources, and change nothing (seal, drift): they
  run the gate (``datalake_cdktf.gate``), no repository code. Reads the plans, writes the
  sealed copy, assumes the drift role (configuration reads).
- ``<project>-<env>-<repo>-comment`` (:attr:`Role.COMMENT`): the administrator's comment
  build, the gate again: reads a pull request's build record and plans, and this
  repository's comment token, the one secret any build of the pipeline reads.
- ``<project>-<env>-<repo>-apply`` (:attr:`Role.APPLY`): the apply build, which runs the
  gate on the sealed plans only. The one role that may assume the deploy role; writes its
  stacks' state; manages the pipeline stack's own resources (the pipeline, its
  test and plan builds, their logs, topic and notification rules, no IAM), never the
  administrator's builds, rules or webhooks.
- ``<project>-<env>-<repo>-codepipeline`` (:attr:`Role.CODEPIPELINE`): CodePipeline itself,
  and EventBridge for the administrator's rules of this pipeline (the drift schedule,
  CodeCommit's starts, the comment build's start): reads the sources through the
  connection, starts this pipeline's builds, uses its artifact bucket, publishes approval
  requests.

No role a build runs as may approve a run, start or retry a build, change a webhook or an
event rule, or touch another repository's or environment's pipeline.

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
    "APPLIED_PLANS",
    "BUILD_ROLES",
    "CODEBUILD",
    "CONCERNS",
    "OWN_PIPELINE_ACTIONS",
    "PLAN_ARTIFACT",
    "PULL_REQUEST_ARTIFACTS",
    "PULL_REQUEST_BUILD",
    "SEALED_ARTIFACT",
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
    REVIEW = "review"
    COMMENT = "comment"
    APPLY = "apply"


PLAN_ARTIFACT = "plan"
"""The run artifact the plan build hands on (the build's name): the code's plans, unsealed."""
SEALED_ARTIFACT = "seal"
"""The run artifact the seal build hands on (the build's name): the plans as sealed."""
PULL_REQUEST_BUILD = "pr"
"""The build a pull request starts (its name)."""
PULL_REQUEST_ARTIFACTS = "pull-requests"
"""Where in the artifact bucket pull-request builds leave their plans for the comment build."""
APPLIED_PLANS = "applied/plans.zip"
"""Where in the artifact bucket the apply build keeps the configuration it last applied
(written by the apply role alone), which the drift build reads."""
CODEBUILD = "codebuild.amazonaws.com"
"""The service builds run in: a role it assumes is a role builds run as."""
SERVICES: dict[Role, tuple[str, ...]] = {
    Role.BUILD: (CODEBUILD,),
    Role.CODEPIPELINE: ("codepipeline.amazonaws.com", "events.amazonaws.com"),
    Role.PULL_REQUEST: (CODEBUILD,),
    Role.REVIEW: (CODEBUILD,),
    Role.COMMENT: (CODEBUILD,),
    Role.APPLY: (CODEBUILD,),
}
"""The services that assume each role, and to which the build role may pass it."""
BUILD_ROLES = tuple(role for role in Role if SERVICES[role] == (CODEBUILD,))
"""The roles builds run as (each build says which: ``datalake_cdktf.builds``)."""


@dataclass(frozen=True)
class PipelineAccess:
    """One repository's pipeline of one environment: every name its documents use.

    - ``label``: the environment's naming context; ``repository``: the repository's name.
    - ``account_id`` / ``region``: the central account.
    - ``deploy_role_arn`` / ``plan_role_arn`` / ``drift_role_arn``: the roles its builds
      assume in the environment (apply, the code's plans, the drift check).
    - ``state_bucket``, ``state_key_alias``: the Terraform state; ``deployed_stacks``:
      the repository's stacks in this environment; ``pipeline_stack``: its own.
    - ``artifact_key_alias``, ``notification_key_alias``: the central keys.
    - ``source_repositories``: ``owner/name`` of the repositories it reads (its own and,
      for an ETL repository, the infrastructure repository that defines its pipeline);
      ``codecommit``: whether they are CodeCommit repositories (else a connection).
    - ``pull_request_token``: the Secrets Manager name of this repository's token that
      comments on its pull requests (``None``: no comments).
    - ``pipeline_builds``: the builds the pipeline stack defines (its own, updated by its
      apply); ``builds``: every build of the pipeline, the administrator's included.
    """

    label: Label
    repository: str
    account_id: str
    region: str
    deploy_role_arn: str
    plan_role_arn: str
    drift_role_arn: str
    state_bucket: str
    state_key_alias: str
    deployed_stacks: tuple[str, ...]
    pipeline_stack: str
    artifact_key_alias: str
    notification_key_alias: str
    source_repositories: tuple[str, ...]
    codecommit: bool
    pull_request_token: str | None
    pipeline_builds: tuple[str, ...]
    builds: tuple[str, ...]

    @property
    def prefix(self) -> str:
        """``<project>-<env>-<repo>-``: the start of every name the pipeline owns."""
        return self.label.repository_prefix(self.repository)

    @property
    def pipeline_name(self) -> str:
        """The CodePipeline's name, ``<project>-<env>-<repo>``."""
        return self.label.name(self.repository)

    @property
    def codepipeline_role(self) -> str:
        """The name of the :attr:`Role.CODEPIPELINE` role."""
        return self.role_name(Role.CODEPIPELINE)

    @property
    def artifact_bucket(self) -> str:
        """The pipeline's artifact bucket, ``<project>-<env>-<repo>-ci-<account>``."""
        return self.label.pipeline_bucket(self.repository, self.account_id)

    @property
    def topic(self) -> str:
        """The pipeline's topic, ``<project>-<env>-<repo>-notifications``."""
        return self.prefix + "notifications"

    @property
    def artifact_bucket_arn(self) -> str:
        return naming.bucket_arn(bucket_name=self.artifact_bucket, region=self.region)

    def artifacts(self, name: str = "") -> str:
        """ARN of the run artifacts named ``name`` in the artifact bucket (every one, for
        ``""``). CodePipeline keys an artifact ``<pipeline[:20]>/<artifact[:10]>/<random>``;
        the builds' artifact names are at most ten characters, so a prefix is one artifact."""
        return f"{self.artifact_bucket_arn}/{self.pipeline_name[:20]}/" + (f"{name[:10]}/*" if name else "*")

    @property
    def applied_plans(self) -> str:
        """ARN of the configuration last applied (:data:`APPLIED_PLANS`)."""
        return f"{self.artifact_bucket_arn}/{APPLIED_PLANS}"

    @property
    def pull_request_artifacts(self) -> str:
        """ARN of the pull-request builds' plans in the artifact bucket (``pull-requests/``)."""
        return f"{self.artifact_bucket_arn}/{PULL_REQUEST_ARTIFACTS}/*"

    def role_name(self, role: Role) -> str:
        """The name of ``role`` for this pipeline."""
        names = {
            Role.BUILD: self.label.pipeline_role,
            Role.CODEPIPELINE: self.label.codepipeline_role,
            Role.PULL_REQUEST: self.label.pull_request_role,
            Role.REVIEW: self.label.review_role,
            Role.COMMENT: self.label.comment_role,
            Role.APPLY: self.label.apply_role,
        }
        return names[role](self.repository)

    def project(self, build: str) -> str:
        """The CodeBuild project of ``build``, ``<project>-<env>-<repo>-<build>``."""
        return self.prefix + build

    def project_arn(self, build: str) -> str:
        return self.arn("codebuild", f"project/{self.project(build)}")

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
            projects = sorted(self.project_arn(b) for b in builds)
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
                source_arn=self.arn("events", f"rule/{self.prefix}*"),  # only an administrator makes rules
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


def drift_role(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    return [allow("AssumeOnlyItsDriftRole", ["sts:AssumeRole"], a.drift_role_arn)]


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
    """Read, never write, the state of its stacks in the environment and of its pipeline stack."""
    return _state(a, write=False, stacks=(*a.deployed_stacks, a.pipeline_stack))


def deployed_state_read(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """Read, never write, the state of its stacks in the environment."""
    return _state(a, write=False, stacks=a.deployed_stacks)


# Artifacts, logs and caches ----------------------------------------------------------


def _artifact_key(a: PipelineAccess, sid: str, actions: list[str]) -> Statement:
    """The artifact key, through S3, for this pipeline's own bucket only (with S3 bucket
    keys the encryption context is the bucket)."""
    context = {"kms:EncryptionContext:aws:s3:arn": a.artifact_bucket_arn, "kms:ViaService": _via(a, "s3")}
    return _central_key(a, sid, actions, [a.artifact_key_alias], context)


def _objects(a: PipelineAccess, sid: str, *, read: list[str], write: list[str] = ()) -> list[Statement]:
    statements = [allow(f"Read{sid}", ["s3:GetObject", "s3:GetObjectVersion"], _one(read))]
    if write:
        statements.append(allow(f"Write{sid}", ["s3:PutObject"], _one(list(write))))
    statements.append(
        _artifact_key(
            a, f"TheArtifactKeyFor{sid}", ["kms:Decrypt", "kms:GenerateDataKey"] if write else ["kms:Decrypt"]
        )
    )
    return statements


def artifacts(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """Its own pipeline's run artifacts, read and written (CodePipeline stores the sources)."""
    return [
        allow("ItsOwnArtifacts", ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"], a.artifacts()),
        allow(
            "ListItsOwnArtifacts",
            ["s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket"],
            a.artifact_bucket_arn,
        ),
        _artifact_key(a, "TheArtifactKeyForItsOwnBucket", ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]),
    ]


def plan_artifact(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """Read the run's artifacts; write only the plan (the code's output, which the seal
    build reads and copies: nothing it writes reaches the apply build unsealed)."""
    return _objects(a, "TheRunsArtifacts", read=[a.artifacts()], write=[a.artifacts(PLAN_ARTIFACT)])


def pull_request_plans(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """Write its plans where the comment build reads them (``pull-requests/``), nothing else."""
    return [
        allow("WriteThePullRequestsPlans", ["s3:PutObject"], a.pull_request_artifacts),
        _artifact_key(a, "TheArtifactKeyForThePlans", ["kms:Decrypt", "kms:GenerateDataKey"]),
    ]


def sealing(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """Read the run's plans; write only the sealed copy."""
    return _objects(a, "ThePlans", read=[a.artifacts(PLAN_ARTIFACT)], write=[a.artifacts(SEALED_ARTIFACT)])


def pull_request_builds(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """Ask CodeBuild about its pull requests' builds, and read their plans."""
    return [
        allow("AskAboutItsPullRequestsBuilds", ["codebuild:BatchGetBuilds"], a.project_arn(PULL_REQUEST_BUILD)),
        *_objects(a, "ThePullRequestsPlans", read=[a.pull_request_artifacts]),
    ]


def sealed_plans(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """Read the sealed plans, which only the seal build writes; keep the configuration it
    applied (APPLIED_PLANS), which only it writes."""
    return [
        *_objects(a, "TheSealedPlans", read=[a.artifacts(SEALED_ARTIFACT)]),
        allow("KeepTheConfigurationApplied", ["s3:PutObject"], a.applied_plans),
        _artifact_key(a, "TheArtifactKeyForTheConfigurationApplied", ["kms:GenerateDataKey"]),
    ]


def applied_plans(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """Read the configuration last applied (the drift check's)."""
    return _objects(a, "TheConfigurationApplied", read=[a.applied_plans])


def build_logs(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """The log groups of its own builds (CloudWatch Logs encrypts them with the artifact
    key under the key's own policy: the writer needs no grant on the key)."""
    groups = [a.arn("logs", f"log-group:/aws/codebuild/{a.project(b)}*") for b in builds]
    return [
        allow("WriteItsBuildLogs", ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], _one(groups))
    ]


def build_cache(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """Its own builds' caches in the artifact bucket (``cache/<build>/``), nothing else there."""
    caches = _one([f"{a.artifact_bucket_arn}/cache/{b}/*" for b in builds])
    return [
        allow("ItsOwnBuildCache", ["s3:GetObject", "s3:PutObject"], caches),
        _artifact_key(a, "TheArtifactKeyForItsCache", ["kms:Decrypt", "kms:GenerateDataKey"]),
    ]


# Its own pipeline's resources --------------------------------------------------------


OWN_PIPELINE_ACTIONS = (
    # The pipeline: what Terraform calls to manage it. Never PutApprovalResult,
    # RetryStageExecution, OverrideStageCondition, StartPipelineExecution,
    # EnableStageTransition or the job workers' Put*/Acknowledge*.
    "codepipeline:CreatePipeline",
    "codepipeline:DeletePipeline",
    "codepipeline:GetPipeline",
    "codepipeline:ListTagsForResource",
    "codepipeline:TagResource",
    "codepipeline:UntagResource",
    "codepipeline:UpdatePipeline",
    # Its own builds (test, plan): managed, never started (no StartBuild, StartBuildBatch
    # or RetryBuild: a build started with overrides could run any command as its role),
    # and no webhook (the administrator's pull-request build has the only one).
    "codebuild:BatchGetProjects",
    "codebuild:CreateProject",
    "codebuild:DeleteProject",
    "codebuild:UpdateProject",
    # Those builds' log groups.
    "logs:AssociateKmsKey",
    "logs:CreateLogGroup",
    "logs:DeleteLogGroup",
    "logs:DeleteRetentionPolicy",
    "logs:DisassociateKmsKey",
    "logs:ListTagsForResource",
    "logs:ListTagsLogGroup",
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
"""What applying the pipeline stack does to the pipeline's own resources (none of them IAM)."""


def own_pipeline(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """Its own pipeline stack (:data:`OWN_PIPELINE_ACTIONS`), each resource by its name: the
    pipeline, its own builds and their log groups, its topic. The administrator's builds,
    rules and webhook share the prefix and are not among them."""
    resources = [
        a.arn("codepipeline", a.pipeline_name),
        a.arn("codepipeline", f"{a.pipeline_name}/*"),
        *(a.project_arn(b) for b in a.pipeline_builds),
        *(a.arn("logs", f"log-group:/aws/codebuild/{a.project(b)}") for b in a.pipeline_builds),
        *(a.arn("logs", f"log-group:/aws/codebuild/{a.project(b)}:*") for b in a.pipeline_builds),
        a.arn("sns", a.topic),
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
    """The roles its own pipeline stack names: its builds' role to CodeBuild, the pipeline's
    role to CodePipeline (never to EventBridge: only an administrator makes rules)."""
    return [
        allow(
            "PassItsBuildsRole",
            ["iam:PassRole"],
            a.role_arn(a.role_name(Role.BUILD)),
            {"StringEquals": {"iam:PassedToService": CODEBUILD}},
        ),
        allow(
            "PassItsPipelineRole",
            ["iam:PassRole"],
            a.role_arn(a.codepipeline_role),
            {"StringEquals": {"iam:PassedToService": "codepipeline.amazonaws.com"}},
        ),
    ]


def run_builds(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """Start and follow its own pipeline's builds (each by name; as each action and rule
    of the administrator's defines them)."""
    return [
        allow(
            "RunItsOwnBuilds",
            ["codebuild:BatchGetBuilds", "codebuild:StartBuild", "codebuild:StopBuild"],
            [a.project_arn(b) for b in a.builds],
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
    """The actions that take no resource, which Terraform calls."""
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
        allow("NotifyItsTopic", ["sns:Publish"], a.arn("sns", a.topic)),
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
    use = allow(
        "UseTheConnectionForItsRepositories",
        ["codestar-connections:UseConnection"],
        a.arn("codestar-connections", "connection/*"),
        {"ForAllValues:StringEquals": {"codestar-connections:FullRepositoryId": list(repositories)}},
    )
    return [use, *find_connection(a, ())]


def find_connection(a: PipelineAccess, builds: tuple[str, ...]) -> list[Statement]:
    """Look the connection up by name (the pipeline stack's data source; CodeCommit: none)."""
    if a.codecommit:
        return []
    connection = a.arn("codestar-connections", "connection/*")
    return [allow("FindTheConnection", ["codestar-connections:GetConnection"], connection)]


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
    """Read this repository's comment token by its name (no token: nothing)."""
    if not a.pull_request_token:
        return []
    secret = a.arn("secretsmanager", f"secret:{a.pull_request_token}-??????")
    return [allow("ReadThisRepositorysCommentToken", ["secretsmanager:GetSecretValue"], secret)]


CONCERNS: dict[Role, tuple[Concern, ...]] = {
    Role.BUILD: (plan_role, state_read, plan_artifact, build_logs, build_cache, find_connection, who_am_i),
    Role.PULL_REQUEST: (
        plan_role,
        deployed_state_read,
        pull_request_plans,
        build_logs,
        own_source,
        build_cache,
        who_am_i,
    ),
    Role.REVIEW: (drift_role, deployed_state_read, sealing, applied_plans, build_logs, build_cache, who_am_i),
    Role.COMMENT: (pull_request_builds, comment_token, build_logs, build_cache, who_am_i),
    Role.APPLY: (
        deploy_role,
        state,
        sealed_plans,
        build_logs,
        build_cache,
        own_pipeline,
        notification_rules,
        pass_roles,
        find_connection,
        pass_connection,
        describe_keys,
        topic_key,
        listings,
    ),
    Role.CODEPIPELINE: (pushes_start_pipeline, artifacts, run_builds, notify, sources),
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
