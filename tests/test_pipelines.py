"""pipeline-<repo>-<env>: one self-updating pipeline per repository and environment.

Who may do what (a pull-request build can never apply, a pipeline updates only itself)
is evaluated in tests/test_iam_evaluation.py; here: the pipelines' shape as a user
relies on it, per environment and repository, and how config scales it.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from datalake_cdktf.config import load_config

from main import CONFIG_DIR
from tests.conftest import DEFAULT, expected_stacks
from tests.support.configs import edited_config, four_environments
from tests.support.synth import synthesize

CENTRAL = DEFAULT.central.account_id
PAIRS = [(env, repo) for env in DEFAULT.environments for repo in DEFAULT.repositories.all]
IDS = [f"{repo.name}-{env.name}" for env, repo in PAIRS]


@pytest.fixture(params=PAIRS, ids=IDS)
def case(request, stacks):
    env, repo = request.param
    stack = stacks[f"pipeline-{repo.name}-{env.name}"]
    (pipeline,) = stack.resources("aws_codepipeline").values()
    return env, repo, stack, pipeline


def stage_names(pipeline) -> list[str]:
    return [stage["name"] for stage in pipeline["stage"]]


def action(pipeline, stage: str) -> dict:
    (found,) = next(s for s in pipeline["stage"] if s["name"] == stage)["action"]
    return found


def project(stack, build: str) -> dict:
    return stack.resource("aws_codebuild_project", f"pipeline/{build}")


def test_stages_run_in_order_with_approval_exactly_where_the_environment_requires_it(case):
    env, _, _, pipeline = case
    expected = ["Source", "UpdatePipeline", "Test", "Plan", *(["Approval"] if env.approval_required else []), "Apply"]
    assert stage_names(pipeline) == expected
    if env.is_production:
        assert "Approval" in stage_names(pipeline), "production is always approved"


def test_apply_consumes_the_plans_the_plan_stage_saved(case):
    _, _, stack, pipeline = case
    plan, apply = action(pipeline, "Plan"), action(pipeline, "Apply")
    assert plan["output_artifacts"] == ["plan"] and plan["namespace"] == "Plan"
    assert apply["input_artifacts"][0] == "source" and apply["input_artifacts"][-1] == "plan"
    assert apply["configuration"]["PrimarySource"] == "source"
    commands = json.loads(project(stack, "apply")["source"]["buildspec"])["phases"]["build"]["commands"]
    assert commands == [f"make apply ENV={case[0].name} PLANS=$CODEBUILD_SRC_DIR_plan/plans"], commands


APPROVED = [(env, repo) for env, repo in PAIRS if env.approval_required]


@pytest.mark.parametrize(("env", "repo"), APPROVED, ids=[f"{r.name}-{e.name}" for e, r in APPROVED])
def test_the_approval_request_carries_the_counts_and_a_link_to_the_summary(stacks, env, repo):
    stack = stacks[f"pipeline-{repo.name}-{env.name}"]
    (pipeline,) = stack.resources("aws_codepipeline").values()
    approve = action(pipeline, "Approval")["configuration"]
    for variable in ("#{Plan.ADD}", "#{Plan.CHANGE}", "#{Plan.REPLACE}", "#{Plan.DESTROY}", "#{Plan.DATA_AT_RISK}"):
        assert variable in approve["CustomData"], approve
    assert approve["ExternalEntityLink"] == "#{Plan.SUMMARY_URL}"
    assert approve["NotificationArn"] == stack.ref("aws_sns_topic", "pipeline/topic", "arn")
    exported = json.loads(project(stack, "plan")["source"]["buildspec"])["env"]["exported-variables"]
    assert set(exported) >= {"ADD", "CHANGE", "REPLACE", "DESTROY", "DATA_AT_RISK", "SUMMARY_URL"}


def test_a_push_to_the_environments_branch_and_nothing_else_starts_it(case):
    env, repo, _, pipeline = case
    (trigger,) = pipeline["trigger"]
    git = trigger["git_configuration"]
    assert git["source_action_name"] == "Source"
    assert git["push"] == [{"branches": {"includes": [env.branch]}}]
    assert "pull_request" not in git
    source = next(
        a for a in next(s for s in pipeline["stage"] if s["name"] == "Source")["action"] if a["name"] == "Source"
    )
    assert source["configuration"]["FullRepositoryId"] == repo.full_repository_id
    assert source["configuration"]["BranchName"] == env.branch
    assert source["configuration"]["DetectChanges"] == "false", "the trigger starts runs: no second start"
    assert pipeline["pipeline_type"] == "V2" and pipeline["execution_mode"] == "QUEUED"


def test_an_etl_pipeline_updates_itself_from_the_infrastructure_repositorys_definitions(case):
    env, repo, stack, pipeline = case
    sources = next(s for s in pipeline["stage"] if s["name"] == "Source")["action"]
    update = action(pipeline, "UpdatePipeline")
    spec = json.loads(project(stack, "update")["source"]["buildspec"])
    commands = spec["phases"]["build"]["commands"]
    pipeline_name = DEFAULT.label(env).name(repo.name)
    assert commands[-1] == f"make pipeline-update ENV={env.name} REPOSITORY={repo.name} PIPELINE={pipeline_name}"
    if repo == DEFAULT.repositories.infrastructure:
        assert [a["name"] for a in sources] == ["Source"] and update["input_artifacts"] == ["source"]
    else:
        definitions = next(a for a in sources if a["name"] == "Definitions")
        assert (
            definitions["configuration"]["FullRepositoryId"] == DEFAULT.repositories.infrastructure.full_repository_id
        )
        assert update["input_artifacts"] == ["source", "definitions"]
        assert commands[0] == "cd $CODEBUILD_SRC_DIR_definitions", "it installs and runs in the definitions"
        install = spec["phases"]["install"]["commands"]
        assert install.index("cd $CODEBUILD_SRC_DIR_definitions") < install.index("make setup"), install


def test_every_build_runs_a_project_command_in_a_pinned_unprivileged_image(case):
    env, repo, stack, _ = case
    targets = {
        "update": "pipeline-update",
        "test": "test",
        "plan": "plan",
        "apply": "apply",
        "drift": "drift",
        "pr": "pr-plan",
    }
    for build, target in targets.items():
        conf = project(stack, build)
        assert conf["environment"]["image"] == DEFAULT.pipelines.build_image, conf["environment"]
        assert conf["environment"]["privileged_mode"] is False
        spec = json.loads(conf["source"]["buildspec"])
        assert spec["phases"]["build"]["commands"][-1 if build != "plan" else 0].startswith(f"make {target}"), spec
        setup = spec["phases"]["install"]["commands"][-1]
        assert setup == ("make setup-dev" if build in ("test", "pr") else "make setup"), "installs from the lock files"
        assert spec["cache"]["paths"] == ["/root/.cache/**/*"], "what it installs is kept for its next build"
        assert conf["encryption_key"].endswith(":alias/datalake-central-artifacts")
        assert conf["cache"]["type"] == "S3" and conf["cache"]["location"].startswith(
            f"datalake-{env.name}-{repo.name}-ci-"
        )
        group = stack.resource("aws_cloudwatch_log_group", f"pipeline/{build}-logs")
        assert conf["logs_config"]["cloudwatch_logs"]["group_name"] == stack.ref(
            "aws_cloudwatch_log_group", f"pipeline/{build}-logs", "name"
        )
        assert group["retention_in_days"] == DEFAULT.pipelines.log_retention_days and group["kms_key_id"], group


def test_builds_run_as_the_roles_bootstrap_made_and_the_stack_creates_no_iam(case):
    env, repo, stack, pipeline = case
    label = DEFAULT.label(env)
    assert not [t for t, _, _ in stack.all_resources() if t.startswith("aws_iam")], "no IAM in a pipeline stack"
    for build in ("update", "test", "plan", "apply", "drift"):
        assert project(stack, build)["service_role"] == f"arn:aws:iam::{CENTRAL}:role/{label.pipeline_role(repo.name)}"
    assert project(stack, "pr")["service_role"] == f"arn:aws:iam::{CENTRAL}:role/{label.pull_request_role(repo.name)}"
    assert pipeline["role_arn"] == f"arn:aws:iam::{CENTRAL}:role/{label.codepipeline_role(repo.name)}"
    assert stack.provider["allowed_account_ids"] == [CENTRAL] and "assume_role" not in stack.provider


def test_pull_requests_against_the_branch_plan_read_only_and_comment(case):
    env, _, stack, _ = case
    (webhook,) = stack.resources("aws_codebuild_webhook").values()
    (group,) = webhook["filter_group"]
    filters = {f["type"]: f["pattern"] for f in group["filter"]}
    assert filters == {
        "EVENT": "PULL_REQUEST_CREATED,PULL_REQUEST_UPDATED,PULL_REQUEST_REOPENED",
        "BASE_REF": f"^refs/heads/{env.branch}$",
        "ACTOR_ACCOUNT_ID": "^(1001)$",
    }
    spec = json.loads(project(stack, "pr")["source"]["buildspec"])
    assert spec["phases"]["build"]["commands"] == ["make test", f"make pr-plan ENV={env.name}"], "tests, then plan"
    assert spec["env"]["secrets-manager"] == {"PULL_REQUEST_TOKEN": DEFAULT.secrets["pull_request_token"]}
    assert "apply" not in json.dumps(spec), "a pull-request build has no path to apply"


def test_failures_approvals_and_applies_reach_an_encrypted_topic(case):
    _, _, stack, _ = case
    topic = stack.resource("aws_sns_topic", "pipeline/topic")
    assert topic["kms_master_key_id"].endswith(":alias/datalake-central-notifications")
    rules = {
        c["//"]["metadata"]["path"].split("/")[-1]: c
        for c in stack.resources("aws_codestarnotifications_notification_rule").values()
    }
    assert set(rules["pipeline-events"]["event_type_ids"]) == {
        "codepipeline-pipeline-manual-approval-needed",
        "codepipeline-pipeline-pipeline-execution-failed",
        "codepipeline-pipeline-pipeline-execution-succeeded",
    }
    assert rules["drift-events"]["event_type_ids"] == ["codebuild-project-build-state-failed"]
    for rule in rules.values():
        assert rule["target"] == [{"address": stack.ref("aws_sns_topic", "pipeline/topic", "arn")}]


def test_drift_is_checked_on_the_configured_schedule(case):
    env, _, stack, _ = case
    (rule,) = stack.resources("aws_cloudwatch_event_rule").values()
    assert rule["schedule_expression"] == DEFAULT.pipelines.drift_schedule
    (target,) = stack.resources("aws_cloudwatch_event_target").values()
    assert target["arn"] == stack.ref("aws_codebuild_project", "pipeline/drift", "arn")
    assert project(stack, "drift")["source_version"] == f"refs/heads/{env.branch}"
    spec = json.loads(project(stack, "drift")["source"]["buildspec"])
    assert spec["phases"]["build"]["commands"] == [f"make drift ENV={env.name}"]


def test_a_fourth_environment_and_a_second_etl_repository_add_exactly_their_stacks(tmp_path):
    """Config alone: no code change adds the environment's and the repository's stacks."""
    folder = four_environments(tmp_path / "envs")
    config = load_config(folder)
    stacks = synthesize(config, tmp_path / "out")
    assert list(stacks) == expected_stacks(config)
    assert len(stacks) == 1 + 4 * (2 + 3), list(stacks)
    assert {s for s in stacks if s.endswith("-qa")} == {
        "bootstrap-qa",
        "datalake-qa",
        "pipeline-datalake-infra-qa",
        "pipeline-sales-qa",
        "pipeline-marketing-qa",
    }
    qa_roles = {c["name"] for c in stacks["bootstrap-qa"].resources("aws_iam_role").values()}
    assert {"datalake-qa-marketing-deploy", "datalake-qa-marketing-pipeline", "datalake-qa-marketing-pr"} <= qa_roles


ETL_TEMPLATE = CONFIG_DIR.parent / "etl-template"


@pytest.mark.parametrize("repo", DEFAULT.repositories.all, ids=lambda r: r.name)
def test_every_command_a_build_runs_exists_in_the_checkout_it_runs_in(stacks, repo):
    """A buildspec may only call what the repository it starts in has: its own Makefile's
    targets (the infrastructure repository's for an ETL pipeline's UpdatePipeline, which
    runs in the definitions), standard tools and the shell. Checked with ``make -n``
    against each repository's real Makefile (the template stands for an ETL repository)."""
    infrastructure = repo == DEFAULT.repositories.infrastructure
    stack = stacks[f"pipeline-{repo.name}-dev"]
    for build in ("update", "test", "plan", "apply", "drift", "pr"):
        spec = json.loads(project(stack, build)["source"]["buildspec"])
        in_definitions = "cd $CODEBUILD_SRC_DIR_definitions" in spec["phases"]["build"]["commands"]
        checkout = CONFIG_DIR.parent if infrastructure or in_definitions else ETL_TEMPLATE
        for phase in ("install", "build"):
            for command in spec["phases"][phase]["commands"]:
                first = command.split()[0]
                if first != "make":
                    assert first in ("export", "cd", "if"), f"{build}: {command!r} is not a make target or builtin"
                    assert "scripts/" not in command, f"{build}: {command!r} calls a file of this repository"
                    continue
                dry = subprocess.run(
                    ["make", "-n", *command.split()[1:]],
                    cwd=checkout,
                    env={**os.environ, "DATALAKE_INDEX_URL": "https://index.invalid/simple/"},
                    capture_output=True,
                    text=True,
                    check=False,
                )
                assert dry.returncode == 0, f"{build} in {checkout.name}: `{command}`: {dry.stderr[-800:]}"


@pytest.mark.parametrize("env", DEFAULT.environments, ids=lambda e: e.name)
def test_an_etl_repositorys_builds_get_the_deployment_from_the_infrastructure_repository(stacks, env):
    """An ETL repository holds no copy of the deployment: every build of its pipeline has the
    infrastructure repository's branch of the same environment as ``definitions`` (a
    pipeline input, or the project's secondary source) and reads ``envs/`` from there."""
    infrastructure = DEFAULT.repositories.infrastructure
    for repo in DEFAULT.repositories.etl:
        stack = stacks[f"pipeline-{repo.name}-{env.name}"]
        (pipeline,) = stack.resources("aws_codepipeline").values()
        builds = [a for s in pipeline["stage"] for a in s["action"] if a["category"] == "Build"]
        assert builds and all("definitions" in a["input_artifacts"] for a in builds), builds
        for build in ("test", "plan", "apply", "drift", "pr"):
            conf = project(stack, build)
            spec = json.loads(conf["source"]["buildspec"])
            install = spec["phases"]["install"]["commands"]
            deployment = "export DATALAKE_DEPLOYMENT=$CODEBUILD_SRC_DIR_definitions/envs"
            assert install.index(deployment) < len(install) - 1, (build, install)
            if build in ("drift", "pr"):
                (secondary,) = conf["secondary_sources"]
                assert secondary["source_identifier"] == "definitions"
                assert secondary["location"].endswith(f"/{infrastructure.full_repository_id}.git"), secondary
                assert conf["secondary_source_version"] == [
                    {"source_identifier": "definitions", "source_version": f"refs/heads/{env.branch}"}
                ]


ALICE = "arn:aws:iam::111111111111:user/alice"
"""The one author whose CodeCommit pull requests build, in :func:`codecommit_config`."""


def codecommit_config(tmp_path):
    def edit(root):
        root.update(source={"provider": "CodeCommit"})
        root["pipelines"]["pull_request_authors"] = [ALICE]

    return load_config(edited_config(tmp_path / "envs", edit))


@pytest.mark.parametrize("authors", [["1001", "20.02+x"], []], ids=["two authors", "none"])
def test_only_the_listed_authors_pull_requests_build(tmp_path, authors):
    """The webhook's filters, as the pipeline runner applies them (CodeBuild's filter group
    semantics): a pull request by a listed author builds; anyone else's, from a fork or not,
    starts nothing; with no author listed, there is no webhook at all. Authors are matched
    whole and literally (a dot is not any character)."""
    from tests.support.git_host import PullRequest
    from tests.support.pipeline_runner import _filters_match

    def edit(root):
        root["pipelines"]["pull_request_authors"] = authors

    config = load_config(edited_config(tmp_path / "envs", edit))
    stacks = synthesize(config, tmp_path / "out")
    for env in config.environments:
        for repo in config.repositories.all:
            webhooks = list(stacks[f"pipeline-{repo.name}-{env.name}"].resources("aws_codebuild_webhook").values())
            if not authors:
                assert not webhooks, "no author: no pull-request builds"
                continue
            (webhook,) = webhooks
            groups = [
                [{"type": f["type"], "pattern": f["pattern"]} for f in group["filter"]]
                for group in webhook["filter_group"]
            ]

            def builds(actor: str, from_fork: bool = False, groups=groups, env=env) -> bool:
                request = PullRequest("o/r", 1, "feature", env.branch, actor=actor, from_fork=from_fork)
                return any(_filters_match(group, "PULL_REQUEST_CREATED", request) for group in groups)

            assert builds("1001") and builds("20.02+x") and builds("1001", from_fork=True)
            assert not builds("2002") and not builds("2002", from_fork=True), "an unlisted author"
            assert not builds("10012") and not builds("x1001") and not builds("20x02+x"), "matched whole, literally"


def test_with_codecommit_a_push_to_the_branch_starts_the_pipeline_and_a_pull_request_its_build(tmp_path):
    """CodeCommit has no CodePipeline trigger and no CodeBuild webhook: EventBridge rules on
    the repository's events start them. Each rule's pattern is matched against the events
    CodeCommit sends (moto's EventBridge pattern matcher), and the role its target names is
    asked (IAM evaluator) whether it may start what the target names."""
    from moto.events.models import EventPattern

    from tests.support.iam import AccessModel

    config = codecommit_config(tmp_path)
    stacks = synthesize(config, tmp_path / "out")
    model = AccessModel.from_stacks(stacks, {e.account_id: e.admin_role_name for e in config.environments})
    for env in config.environments:
        for repo in config.repositories.all:
            stack = stacks[f"pipeline-{repo.name}-{env.name}"]
            (pipeline,) = stack.resources("aws_codepipeline").values()
            assert "trigger" not in pipeline and not stack.resources("aws_codebuild_webhook")
            rules = {r["name"].rsplit("-", 1)[-1]: r for r in stack.resources("aws_cloudwatch_event_rule").values()}
            targets = {t["rule"]: t for t in stack.resources("aws_cloudwatch_event_target").values()}
            name = repo.full_repository_id.split("/")[-1]
            arn = f"arn:aws:codecommit:{config.central.region}:{config.central.account_id}:{name}"

            def event(detail_type: str, arn: str = arn, **detail) -> dict:
                return {"source": "aws.codecommit", "detail-type": detail_type, "resources": [arn], "detail": detail}

            push = EventPattern.load(rules["push"]["event_pattern"])
            pushed = event("CodeCommit Repository State Change", event="referenceUpdated", referenceType="branch")
            assert push.matches_event({**pushed, "detail": {**pushed["detail"], "referenceName": env.branch}})
            assert not push.matches_event({**pushed, "detail": {**pushed["detail"], "referenceName": "feature"}})
            other = {
                **pushed,
                "resources": [arn + "-other"],
                "detail": {**pushed["detail"], "referenceName": env.branch},
            }
            assert not push.matches_event(other), "another repository's push"
            requests = EventPattern.load(rules["requests"]["event_pattern"])
            opened = event(
                "CodeCommit Pull Request State Change",
                event="pullRequestCreated",
                pullRequestStatus="Open",
                destinationReference=f"refs/heads/{env.branch}",
            )
            assert not requests.matches_event(opened), "no author named: nobody's pull request builds"
            opened["detail"]["callerUserArn"] = ALICE
            assert requests.matches_event(opened)
            elsewhere = {**opened, "detail": {**opened["detail"], "destinationReference": "refs/heads/other"}}
            assert not requests.matches_event(elsewhere)
            stranger = {**opened, "detail": {**opened["detail"], "callerUserArn": ALICE.replace("alice", "mallory")}}
            assert not requests.matches_event(stranger), "an unlisted author's pull request"

            role = targets[stack.ref("aws_cloudwatch_event_rule", "pipeline/push-rule", "name")]["role_arn"]
            own = f"arn:aws:codepipeline:{config.central.region}:{config.central.account_id}:{pipeline['name']}"
            assert model.can(role, "codepipeline:StartPipelineExecution", own)
            assert not model.can(role, "codepipeline:StartPipelineExecution", own + "-other")
            pr = targets[stack.ref("aws_cloudwatch_event_rule", "pipeline/pull-requests-rule", "name")]
            assert pr["arn"] == stack.ref("aws_codebuild_project", "pipeline/pr", "arn")
            project_arn = (
                f"arn:aws:codebuild:{config.central.region}:{config.central.account_id}:project/{pipeline['name']}-pr"
            )
            assert model.can(pr["role_arn"], "codebuild:StartBuild", project_arn)
