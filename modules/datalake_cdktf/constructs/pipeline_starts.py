"""What starts one pipeline's runs and its builds that the run does not start, all of it
the administrator's (``bootstrap-<env>``): no role a build runs as may change a webhook,
an event rule or its targets.

- A scheduled build (the drift check): an EventBridge schedule.
- Through a connection (GitHub, GitLab, Bitbucket): the CodePipeline trigger starts runs
  (:meth:`~datalake_cdktf.constructs.pipeline_sources.Sources.trigger`, the pipeline
  stack's), and a CodeBuild webhook the pull-request build.
- CodeCommit has neither: EventBridge rules on the repository's events start a run on a
  push to the branch, and the pull-request build on a pull request against it (created,
  or its source branch updated), at the pull request's commit.
- The end of a pull request's build starts the comment build (an EventBridge rule on
  CodeBuild's state change), which is handed the build's id and nothing else.

Every rule's target runs as the pipeline's CodePipeline role. The resources are created
in the scope given, through ``provider`` (the central account's).
"""

from __future__ import annotations

import json
import re

from datalake_cdktf.engine import Construct, TerraformProvider
from datalake_cdktf.engine.aws import cloudwatch_event_rule, cloudwatch_event_target, codebuild_webhook
from datalake_cdktf.iam.pipeline import PipelineAccess

__all__ = ["codecommit_starts", "comment_start", "event_rule", "pull_request_webhook", "schedule"]


def event_rule(
    scope: Construct,
    access: PipelineAccess,
    name: str,
    *,
    rule_id: str | None = None,
    description: str,
    target: str,
    input_transformer=None,
    provider: TerraformProvider | None = None,
    **rule,
) -> None:
    """An EventBridge rule ``<prefix><name>`` (id ``rule_id``, by default ``<name>-rule``)
    whose one target (``<name>-target``) runs as the CodePipeline role."""
    created = cloudwatch_event_rule.CloudwatchEventRule(
        scope,
        rule_id or f"{name}-rule",
        name=access.prefix + name,
        description=description,
        provider=provider,
        **rule,
    )
    cloudwatch_event_target.CloudwatchEventTarget(
        scope,
        f"{name}-target",
        rule=created.name,
        arn=target,
        role_arn=access.role_arn(access.codepipeline_role),
        input_transformer=input_transformer,
        provider=provider,
    )


def schedule(
    scope: Construct,
    access: PipelineAccess,
    build: str,
    *,
    description: str,
    project_arn: str,
    expression: str,
    provider: TerraformProvider | None = None,
) -> None:
    """The schedule ``expression`` runs ``build`` (rule ``<prefix><build>``)."""
    event_rule(
        scope,
        access,
        build,
        rule_id=f"{build}-schedule",
        description=description,
        target=project_arn,
        schedule_expression=expression,
        provider=provider,
    )


def comment_start(
    scope: Construct,
    access: PipelineAccess,
    *,
    pull_request_project: str,
    comment_project_arn: str,
    provider: TerraformProvider | None = None,
) -> None:
    """The end of a build of ``pull_request_project`` (whatever its status) starts the
    comment build with that build's id (``PULL_REQUEST_BUILD``), which asks CodeBuild
    for the rest (rule ``<prefix>comment``). CodeBuild alone sends ``aws.codebuild`` events."""
    pattern = {
        "source": ["aws.codebuild"],
        "detail-type": ["CodeBuild Build State Change"],
        "detail": {
            "project-name": [pull_request_project],
            "build-status": ["SUCCEEDED", "FAILED", "FAULT", "STOPPED", "TIMED_OUT"],
        },
    }
    event_rule(
        scope,
        access,
        "comment",
        description=f"The end of a build of {pull_request_project} puts its plan summary on its pull request",
        target=comment_project_arn,
        event_pattern=json.dumps(pattern, sort_keys=True),
        input_transformer=cloudwatch_event_target.CloudwatchEventTargetInputTransformer(
            input_paths={"build": "$.detail.build-id"},
            input_template=(
                '{"environmentVariablesOverride": '
                '[{"name": "PULL_REQUEST_BUILD", "value": <build>, "type": "PLAINTEXT"}]}'
            ),
        ),
        provider=provider,
    )


def codecommit_starts(
    scope: Construct,
    access: PipelineAccess,
    *,
    repository_id: str,
    branch: str,
    pipeline_arn: str,
    pull_request_project_arn: str,
    pull_request_authors: tuple[str, ...] = (),
    provider: TerraformProvider | None = None,
) -> None:
    """The push rule (a push to ``branch`` starts the pipeline) and the pull-request rule
    (a pull request against it by one of ``pull_request_authors``, IAM principals' ARNs,
    runs the pull-request build at its commit; no authors: no pull-request rule)."""
    repository = repository_id.split("/")[-1]
    events = {"source": ["aws.codecommit"], "resources": [access.arn("codecommit", repository)]}
    push = {
        "event": ["referenceCreated", "referenceUpdated"],
        "referenceType": ["branch"],
        "referenceName": [branch],
    }
    event_rule(
        scope,
        access,
        "push",
        description=f"A push to {branch} of {repository} starts {access.pipeline_name}",
        target=pipeline_arn,
        event_pattern=json.dumps(
            {**events, "detail-type": ["CodeCommit Repository State Change"], "detail": push}, sort_keys=True
        ),
        provider=provider,
    )
    if not pull_request_authors:
        return
    pull_request = {
        "event": ["pullRequestCreated", "pullRequestSourceBranchUpdated"],
        "destinationReference": [f"refs/heads/{branch}"],
        "pullRequestStatus": ["Open"],
        "callerUserArn": list(pull_request_authors),
    }
    event_rule(
        scope,
        access,
        "pull-requests",
        description=f"A pull request against {branch} of {repository} runs its read-only plan",
        target=pull_request_project_arn,
        event_pattern=json.dumps(
            {**events, "detail-type": ["CodeCommit Pull Request State Change"], "detail": pull_request},
            sort_keys=True,
        ),
        input_transformer=cloudwatch_event_target.CloudwatchEventTargetInputTransformer(
            input_paths={"commit": "$.detail.sourceCommit", "number": "$.detail.pullRequestId"},
            input_template=(
                '{"sourceVersion": <commit>, "environmentVariablesOverride": '
                '[{"name": "PULL_REQUEST_ID", "value": <number>, "type": "PLAINTEXT"}]}'
            ),
        ),
        provider=provider,
    )


def pull_request_webhook(
    scope: Construct,
    *,
    project_name: str,
    branch: str,
    authors: tuple[str, ...],
    provider: TerraformProvider | None = None,
) -> None:
    """A pull request against ``branch`` (opened, updated, reopened) by one of ``authors``
    (the Git host's account ids) runs ``project_name``; anyone else's, from a fork or not,
    runs nothing. (A newer AWS provider's ``pull_request_build_policy`` would also let a
    listed person approve an outside pull request's build by a comment; the pinned one has
    only the ``ACTOR_ACCOUNT_ID`` filter.)"""
    actors = "|".join(re.escape(author) for author in authors)
    codebuild_webhook.CodebuildWebhook(
        scope,
        "pull-requests",
        project_name=project_name,
        build_type="BUILD",
        provider=provider,
        filter_group=[
            codebuild_webhook.CodebuildWebhookFilterGroup(
                filter=[
                    codebuild_webhook.CodebuildWebhookFilterGroupFilter(
                        type="EVENT", pattern="PULL_REQUEST_CREATED,PULL_REQUEST_UPDATED,PULL_REQUEST_REOPENED"
                    ),
                    codebuild_webhook.CodebuildWebhookFilterGroupFilter(
                        type="BASE_REF", pattern=f"^refs/heads/{branch}$"
                    ),
                    codebuild_webhook.CodebuildWebhookFilterGroupFilter(
                        type="ACTOR_ACCOUNT_ID", pattern=f"^({actors})$"
                    ),
                ]
            )
        ],
    )
