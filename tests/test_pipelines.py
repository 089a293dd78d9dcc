"""One pipeline per repository and environment: the pipeline stack's part and the
administrator's part (in bootstrap-<env>).

Who may do what (code under review holds nothing, only the apply build deploys, no role a
build runs as controls a pipeline) is evaluated in tests/test_iam_evaluation.py; here:
the pipelines' shape as a user relies on it, per environment and repository, what each
build runs and in which checkout, and how config scales it.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess

import pytest
from datalake_cdktf import gate
from datalake_cdktf.config import load_config

from main import CONFIG_DIR
from tests.conftest import DEFAULT, expected_stacks
from tests.support.configs import edited_config, four_environments
from tests.support.synth import SynthStack, synthesize

CENTRAL = DEFAULT.central.account_id
PAIRS = [(env, repo) for env in DEFAULT.environments for repo in DEFAULT.repositories.all]
IDS = [f"{repo.name}-{env.name}" for env, repo in PAIRS]
REPOSITORY_BUILDS = ("test", "plan", "pr")
"""The builds that run a repository's code."""
GATE_BUILDS = ("seal", "apply", "drift", "comment")
"""The administrator's builds that run the gate."""


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


def project(stacks: dict[str, SynthStack], env, repo, build: str) -> dict:
    """The project of ``build``: the pipeline stack's own, or the administrator's in bootstrap."""
    own = stacks[f"pipeline-{repo.name}-{env.name}"].resources("aws_codebuild_project")
    name = DEFAULT.label(env).name(repo.name, build)
    found = [p for p in own.values() if p["name"] == name]
    found += [
        p for p in stacks[f"bootstrap-{env.name}"].resources("aws_codebuild_project").values() if p["name"] == name
    ]
    (conf,) = found
    return conf


def spec(stacks, env, repo, build: str) -> dict:
    return json.loads(project(stacks, env, repo, build)["source"]["buildspec"])


def commands(buildspec: dict) -> list[str]:
    return [c for phase in buildspec["phases"].values() for c in phase.get("commands", [])]


def targets_by_rule(stack: SynthStack) -> dict[str, dict]:
    """Each event target of ``stack`` by the name of its rule (a target names its rule by reference)."""
    names = {
        f"${{aws_cloudwatch_event_rule.{key}.name}}": r["name"]
        for key, r in stack.resources("aws_cloudwatch_event_rule").items()
    }
    return {names.get(t["rule"], t["rule"]): t for t in stack.resources("aws_cloudwatch_event_target").values()}


def test_stages_run_in_order_with_approval_exactly_where_the_environment_requires_it(case):
    env, _, _, pipeline = case
    expected = ["Source", "Test", "Plan", "Seal", *(["Approval"] if env.approval_required else []), "Apply"]
    assert stage_names(pipeline) == expected
    if env.is_production:
        assert "Approval" in stage_names(pipeline), "production is always approved"


def test_apply_applies_the_sealed_plans_of_the_digest_the_seal_computed(case, stacks):
    """The plan build hands on the code's plans; the seal build reads them alone (no
    source) and hands on a sealed copy with its digest; the apply build reads that copy
    alone and is given the digest by the pipeline (``#{Seal.DIGEST}``), not by any build."""
    env, repo, _, pipeline = case
    plan, seal, apply = action(pipeline, "Plan"), action(pipeline, "Seal"), action(pipeline, "Apply")
    assert plan["output_artifacts"] == ["plan"]
    assert seal["input_artifacts"] == ["plan"] and seal["output_artifacts"] == ["seal"] and seal["namespace"] == "Seal"
    assert apply["input_artifacts"] == ["seal"] and "output_artifacts" not in apply
    variables = json.loads(apply["configuration"]["EnvironmentVariables"])
    assert variables == [{"name": "APPROVED_DIGEST", "value": "#{Seal.DIGEST}", "type": "PLAINTEXT"}]
    (command,) = spec(stacks, env, repo, "apply")["phases"]["build"]["commands"]
    assert command.startswith('python3 "$HOME/datalake-gate.py" apply --plans plans --digest "$APPROVED_DIGEST" ')
    assert "DIGEST" in spec(stacks, env, repo, "seal")["env"]["exported-variables"]


APPROVED = [(env, repo) for env, repo in PAIRS if env.approval_required]


@pytest.mark.parametrize(("env", "repo"), APPROVED, ids=[f"{r.name}-{e.name}" for e, r in APPROVED])
def test_the_approval_request_carries_the_counts_the_digest_and_a_link_to_the_summary(stacks, env, repo):
    stack = stacks[f"pipeline-{repo.name}-{env.name}"]
    (pipeline,) = stack.resources("aws_codepipeline").values()
    approve = action(pipeline, "Approval")["configuration"]
    for variable in ("ADD", "CHANGE", "REPLACE", "DESTROY", "DATA_AT_RISK", "DIGEST"):
        assert f"#{{Seal.{variable}}}" in approve["CustomData"], approve
    assert len(approve["CustomData"]) < 1000, "CodePipeline's limit of an action's configuration field"
    assert approve["ExternalEntityLink"] == "#{Seal.SUMMARY_URL}"
    assert approve["NotificationArn"] == stack.ref("aws_sns_topic", "pipeline/topic", "arn")
    exported = spec(stacks, env, repo, "seal")["env"]["exported-variables"]
    assert set(exported) >= {"ADD", "CHANGE", "REPLACE", "DESTROY", "DATA_AT_RISK", "DIGEST", "SUMMARY_URL"}
    assert stage_names(pipeline).index("Approval") == stage_names(pipeline).index("Apply") - 1


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


def test_the_plan_build_plans_the_pipeline_stack_too_from_the_infrastructure_repositorys_definitions(case, stacks):
    """A change to the pipeline itself is planned with the rest and applied by the apply
    build, after the approval where there is one; an ETL pipeline's is defined in the
    infrastructure repository's checkout (``definitions``, with its own packages)."""
    env, repo, _, pipeline = case
    sources = next(s for s in pipeline["stage"] if s["name"] == "Source")["action"]
    build = spec(stacks, env, repo, "plan")["phases"]["build"]["commands"]
    if repo == DEFAULT.repositories.infrastructure:
        assert [a["name"] for a in sources] == ["Source"]
        (command,) = build
        assert (
            command == f"make plan pipeline-plan ENV={env.name} PLANS=$CODEBUILD_SRC_DIR/plans REPOSITORY={repo.name}"
        )
        dry = subprocess.run(
            [*command.replace("$CODEBUILD_SRC_DIR", "/tmp").split(), "-n"],
            cwd=CONFIG_DIR.parent,
            capture_output=True,
            text=True,
            check=True,
        )
        assert dry.stdout.count("python main.py") == 1, "one make: the stacks are synthesized once for both plans"
        assert "--stack datalake-" in dry.stdout and "--stack pipeline-" in dry.stdout, dry.stdout
    else:
        pipeline_plan = f"make pipeline-plan ENV={env.name} REPOSITORY={repo.name} PLANS=$CODEBUILD_SRC_DIR/plans"
        assert build[0] == f"make plan ENV={env.name} PLANS=$CODEBUILD_SRC_DIR/plans"
        assert build[-1] == pipeline_plan
        definitions = next(a for a in sources if a["name"] == "Definitions")
        assert (
            definitions["configuration"]["FullRepositoryId"] == DEFAULT.repositories.infrastructure.full_repository_id
        )
        assert build[1:-1] == [
            "cd $CODEBUILD_SRC_DIR_definitions",
            "export PIPENV_CUSTOM_VENV_NAME=plan-definitions",
            "export NODE_MODULES_CACHE=$HOME/.cache/node_modules/plan-definitions",
            "make setup",
        ]
    assert "UpdatePipeline" not in stage_names(pipeline), "nothing changes the pipeline before the apply"


@pytest.mark.parametrize("build", REPOSITORY_BUILDS)
def test_every_repository_build_runs_a_project_command_in_a_pinned_unprivileged_image(stacks, env, build):
    for repo in DEFAULT.repositories.all:
        conf = project(stacks, env, repo, build)
        assert conf["environment"]["image"] == DEFAULT.pipelines.build_image, conf["environment"]
        assert conf["environment"]["privileged_mode"] is False
        buildspec = json.loads(conf["source"]["buildspec"])
        assert buildspec["phases"]["build"]["commands"][0].startswith("make "), buildspec
        setup = buildspec["phases"]["install"]["commands"][-1]
        assert setup == ("make setup-dev" if build in ("test", "pr") else "make setup"), "installs from the lock files"
        assert buildspec["cache"]["paths"] == ["/root/.cache/**/*"], "what it installs is kept for its next build"
        assert "secrets-manager" not in buildspec["env"] and "parameter-store" not in buildspec["env"], "no secret"
        assert conf["encryption_key"].endswith(":alias/datalake-central-artifacts")
        assert conf["cache"]["location"] == f"datalake-{env.name}-{repo.name}-ci-{CENTRAL}/cache/{build}"


@pytest.mark.parametrize("build", GATE_BUILDS)
def test_the_gate_builds_run_the_gate_they_carry_and_no_code_of_any_repository(stacks, env, build, tmp_path):
    """What a gate build runs is in its own definition: its commands call the gate and
    nothing else of any repository, it reads no source (the seal and apply builds only
    their one artifact, the drift and comment builds none), and the gate it unpacks is,
    byte for byte, datalake_cdktf/gate.py, checked against its SHA-256."""
    for repo in DEFAULT.repositories.all:
        conf = project(stacks, env, repo, build)
        buildspec = json.loads(conf["source"]["buildspec"])
        assert conf["source"]["type"] == ("CODEPIPELINE" if build in ("seal", "apply") else "NO_SOURCE")
        assert not conf.get("secondary_sources"), "no second checkout either"
        assert buildspec["phases"]["install"]["runtime-versions"] == {"python": "3.11"}
        assert not [c for c in commands(buildspec) if c.split()[0] in ("make", "pipenv", "npm", "npx", "cd")]
        assert all('"$HOME/datalake-gate.py"' in c for c in buildspec["phases"]["build"]["commands"] if "gate" in c)
        unpack = next(c for c in buildspec["phases"]["install"]["commands"] if "datalake-gate.py" in c)
        home = tmp_path / f"{repo.name}-{build}"
        home.mkdir()
        ran = subprocess.run(["bash", "-c", unpack], env={"HOME": str(home), "PATH": "/usr/bin:/bin"}, check=False)
        assert ran.returncode == 0
        gate_file = (home / "datalake-gate.py").read_bytes()
        with open(gate.__file__, "rb") as source:
            assert gate_file == source.read(), "the gate the build carries is the library's"
        assert hashlib.sha256(gate_file).hexdigest() in unpack, "and its checksum is checked"
        assert len(conf["source"]["buildspec"]) < 25600, "CodeBuild's limit of an inline buildspec"


def test_the_pipeline_stack_holds_no_iam_no_secret_and_starts_nothing(case, stacks):
    """What updates itself holds nothing that decides who runs what: no IAM, no webhook, no
    event rule, no project that runs the gate or a pull request; its own builds run as the
    code role, the pipeline as the CodePipeline role."""
    env, repo, stack, pipeline = case
    label = DEFAULT.label(env)
    kinds = {t for t, _, _ in stack.all_resources()}
    assert not {k for k in kinds if k.startswith("aws_iam")}, "no IAM in a pipeline stack"
    assert not kinds & {"aws_codebuild_webhook", "aws_cloudwatch_event_rule", "aws_cloudwatch_event_target"}
    assert sorted(p["name"] for p in stack.resources("aws_codebuild_project").values()) == [
        label.name(repo.name, "plan"),
        label.name(repo.name, "test"),
    ]
    roles = {
        build: project(stacks, env, repo, build)["service_role"].split("/")[-1]
        for build in (*REPOSITORY_BUILDS, *GATE_BUILDS)
    }
    assert roles == {
        "test": label.pipeline_role(repo.name),
        "plan": label.pipeline_role(repo.name),
        "pr": label.pull_request_role(repo.name),
        "seal": label.review_role(repo.name),
        "drift": label.review_role(repo.name),
        "comment": label.comment_role(repo.name),
        "apply": label.apply_role(repo.name),
    }
    assert pipeline["role_arn"] == f"arn:aws:iam::{CENTRAL}:role/{label.codepipeline_role(repo.name)}"
    assert stack.provider["allowed_account_ids"] == [CENTRAL] and "assume_role" not in stack.provider
    assert "secret" not in json.dumps(stack.json).lower().replace("secretsmanager", "")


def test_the_stacks_a_pipeline_deploys_name_one_profile_and_each_build_maps_it_to_its_one_role(stacks, env):
    """One saved plan, planned read-only and applied by the apply build alone: the stacks
    name the profile ``<project>-<env>-<repo>``; the plan and pull-request builds map it
    to the plan role, the apply build to the deploy role, the drift build to the drift role."""
    label = DEFAULT.label(env)
    for repo in DEFAULT.repositories.all:
        if repo == DEFAULT.repositories.infrastructure:
            provider = stacks[f"datalake-{env.name}"].provider
            assert provider["profile"] == label.profile(repo.name) and "assume_role" not in provider
        roles = {"plan": "plan", "pr": "plan", "apply": "deploy", "drift": "drift"}
        for build, role in roles.items():
            (config,) = [
                c for c in spec(stacks, env, repo, build)["phases"]["install"]["commands"] if ".aws/config" in c
            ]
            arn = f"arn:aws:iam::{env.account_id}:role/{label.name(repo.name, role)}"
            assert f"[profile {label.profile(repo.name)}]\\nrole_arn = {arn}\\n" in config, (build, config)
        for build in ("test", "seal", "comment"):
            assert not [c for c in commands(spec(stacks, env, repo, build)) if ".aws/config" in c], build


def test_pull_requests_build_read_only_without_a_secret_and_the_gate_comments(stacks, env):
    """The pull request's build (the administrator's, like its webhook) runs the tests and
    the read-only plan with no secret and leaves its plans in ``pull-requests/``; the end of
    it starts the comment build, which alone reads this repository's token."""
    from moto.events.models import EventPattern

    bootstrap = stacks[f"bootstrap-{env.name}"]
    label = DEFAULT.label(env)
    for repo in DEFAULT.repositories.all:
        webhooks = [w for w in bootstrap.resources("aws_codebuild_webhook").values() if repo.name in w["project_name"]]
        (webhook,) = webhooks
        (group,) = webhook["filter_group"]
        filters = {f["type"]: f["pattern"] for f in group["filter"]}
        assert filters == {
            "EVENT": "PULL_REQUEST_CREATED,PULL_REQUEST_UPDATED,PULL_REQUEST_REOPENED",
            "BASE_REF": f"^refs/heads/{env.branch}$",
            "ACTOR_ACCOUNT_ID": "^(1001)$",
        }
        pr = project(stacks, env, repo, "pr")
        assert pr["artifacts"] == {
            "type": "S3",
            "location": label.pipeline_bucket(repo.name, CENTRAL),
            "path": "pull-requests",
            "namespace_type": "BUILD_ID",
            "name": "plans.zip",
            "packaging": "ZIP",
        }
        assert json.loads(pr["source"]["buildspec"])["phases"]["build"]["commands"] == [
            "make test",
            f"make plan ENV={env.name} PLANS=$CODEBUILD_SRC_DIR/plans",
        ], "tests, then the read-only plan"
        comment = spec(stacks, env, repo, "comment")
        assert comment["env"]["secrets-manager"] == {"PULL_REQUEST_TOKEN": repo.pull_request_token}
        rules = {r["name"]: r for r in bootstrap.resources("aws_cloudwatch_event_rule").values()}
        rule = rules[label.name(repo.name, "comment")]
        pattern = EventPattern.load(rule["event_pattern"])
        event = {
            "source": "aws.codebuild",
            "detail-type": "CodeBuild Build State Change",
            "detail": {"project-name": pr["name"], "build-status": "FAILED", "build-id": "arn:x"},
        }
        assert pattern.matches_event(event), "a failed build is commented on too"
        assert not pattern.matches_event({**event, "detail": {**event["detail"], "build-status": "IN_PROGRESS"}})
        other = {**event, "detail": {**event["detail"], "project-name": label.name(repo.name, "plan")}}
        assert not pattern.matches_event(other), "only pull requests' builds"
        target = targets_by_rule(bootstrap)[rule["name"]]
        assert target["arn"] == bootstrap.ref("aws_codebuild_project", f"{repo.name}-builds/comment", "arn")
        assert target["input_transformer"]["input_paths"] == {"build": "$.detail.build-id"}, (
            "the build's id, nothing else"
        )


def test_failures_approvals_and_applies_reach_an_encrypted_topic(case):
    env, repo, stack, _ = case
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
    drift = DEFAULT.label(env).name(repo.name, "drift")
    assert rules["drift-events"]["resource"] == f"arn:aws:codebuild:eu-west-1:{CENTRAL}:project/{drift}"
    for rule in rules.values():
        assert rule["target"] == [{"address": stack.ref("aws_sns_topic", "pipeline/topic", "arn")}]


def test_drift_is_checked_on_the_configured_schedule_against_the_configuration_last_applied(stacks, env):
    """The drift build reads back everything the state of each stack of the repository
    holds, with the configuration the apply build last applied: the apply build keeps it
    (``--keep``) exactly where the drift build reads it (``--applied``), in the pipeline's
    own artifact bucket; the stacks it checks are those in the environment (the pipeline
    stack's resources are the central account's, which the drift role does not read).
    (Who may write and read the configuration: the IAM evaluation's power matrix.)"""
    bootstrap = stacks[f"bootstrap-{env.name}"]
    label = DEFAULT.label(env)
    for repo in DEFAULT.repositories.all:
        rules = {r["name"]: r for r in bootstrap.resources("aws_cloudwatch_event_rule").values()}
        assert rules[label.name(repo.name, "drift")]["schedule_expression"] == DEFAULT.pipelines.drift_schedule
        (drift,) = spec(stacks, env, repo, "drift")["phases"]["build"]["commands"]
        (apply,) = spec(stacks, env, repo, "apply")["phases"]["build"]["commands"]
        kept = apply.split("--keep ")[1]
        assert kept == f"s3://{label.pipeline_bucket(repo.name, CENTRAL)}/applied/plans.zip", apply
        stacks_checked = " ".join(f"--stack {s}" for s in DEFAULT.deployed_stacks(env, repo))
        assert drift.endswith(f" drift --applied {kept} {stacks_checked}"), drift  # not its pipeline stack


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
    suffixes = ("deploy", "plan", "drift", "pipeline", "pr", "review", "apply", "codepipeline")
    assert {f"datalake-qa-marketing-{suffix}" for suffix in suffixes} <= qa_roles
    projects = {c["name"] for c in stacks["bootstrap-qa"].resources("aws_codebuild_project").values()}
    assert {f"datalake-qa-marketing-{b}" for b in ("seal", "apply", "drift", "pr", "comment")} <= projects


ETL_TEMPLATE = CONFIG_DIR.parent / "etl-template"


@pytest.mark.parametrize("repo", DEFAULT.repositories.all, ids=lambda r: r.name)
def test_every_command_a_build_runs_exists_in_the_checkout_it_runs_in(stacks, repo):
    """A repository build may only call what the repository it starts in has: its own
    Makefile's targets (the infrastructure repository's after ``cd`` into the definitions),
    standard tools and the shell. Checked with ``make -n`` against each repository's real
    Makefile (the template stands for an ETL repository)."""
    infrastructure = repo == DEFAULT.repositories.infrastructure
    env = DEFAULT.environment("dev")
    for build in REPOSITORY_BUILDS:
        buildspec = spec(stacks, env, repo, build)
        checkout = CONFIG_DIR.parent if infrastructure else ETL_TEMPLATE
        for phase in ("install", "build"):
            for command in buildspec["phases"][phase]["commands"]:
                first = command.split()[0]
                if command == "cd $CODEBUILD_SRC_DIR_definitions":
                    checkout = CONFIG_DIR.parent
                    continue
                if first != "make":
                    assert first in ("export", "if", "mkdir"), f"{build}: {command!r} is not a make target or builtin"
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
    """An ETL repository holds no copy of the deployment: every build of its code has the
    infrastructure repository's branch of the same environment as ``definitions`` (a
    pipeline input, or the pull request's build's secondary source) and reads ``envs/``
    from there."""
    infrastructure = DEFAULT.repositories.infrastructure
    for repo in DEFAULT.repositories.etl:
        stack = stacks[f"pipeline-{repo.name}-{env.name}"]
        (pipeline,) = stack.resources("aws_codepipeline").values()
        for stage in ("Test", "Plan"):
            assert "definitions" in action(pipeline, stage)["input_artifacts"]
        for build in REPOSITORY_BUILDS:
            install = spec(stacks, env, repo, build)["phases"]["install"]["commands"]
            deployment = "export DATALAKE_DEPLOYMENT=$CODEBUILD_SRC_DIR_definitions/envs"
            assert install.index(deployment) < len(install) - 1, (build, install)
        conf = project(stacks, env, repo, "pr")
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
        webhooks = list(stacks[f"bootstrap-{env.name}"].resources("aws_codebuild_webhook").values())
        if not authors:
            assert not webhooks, "no author: no pull-request builds"
            continue
        assert len(webhooks) == len(config.repositories.all)
        for webhook in webhooks:
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
    """CodeCommit has no CodePipeline trigger and no CodeBuild webhook: the administrator's
    EventBridge rules on the repository's events start them. Each rule's pattern is matched
    against the events CodeCommit sends (moto's EventBridge pattern matcher), and the role
    its target names is asked (IAM evaluator) whether it may start what the target names.
    There is no comment build: comments go through GitHub's API."""
    from moto.events.models import EventPattern

    from tests.support.iam import AccessModel

    config = codecommit_config(tmp_path)
    stacks = synthesize(config, tmp_path / "out")
    model = AccessModel.from_stacks(stacks, {e.account_id: e.admin_role_name for e in config.environments})
    for env in config.environments:
        bootstrap = stacks[f"bootstrap-{env.name}"]
        label = config.label(env)
        for repo in config.repositories.all:
            stack = stacks[f"pipeline-{repo.name}-{env.name}"]
            (pipeline,) = stack.resources("aws_codepipeline").values()
            assert "trigger" not in pipeline and not bootstrap.resources("aws_codebuild_webhook")
            rules = {r["name"]: r for r in bootstrap.resources("aws_cloudwatch_event_rule").values()}
            targets = targets_by_rule(bootstrap)
            assert label.name(repo.name, "comment") not in rules
            name = repo.full_repository_id.split("/")[-1]
            arn = f"arn:aws:codecommit:{config.central.region}:{config.central.account_id}:{name}"

            def event(detail_type: str, arn: str = arn, **detail) -> dict:
                return {"source": "aws.codecommit", "detail-type": detail_type, "resources": [arn], "detail": detail}

            push_rule = label.name(repo.name, "push")
            push = EventPattern.load(rules[push_rule]["event_pattern"])
            pushed = event("CodeCommit Repository State Change", event="referenceUpdated", referenceType="branch")
            assert push.matches_event({**pushed, "detail": {**pushed["detail"], "referenceName": env.branch}})
            assert not push.matches_event({**pushed, "detail": {**pushed["detail"], "referenceName": "feature"}})
            other = {
                **pushed,
                "resources": [arn + "-other"],
                "detail": {**pushed["detail"], "referenceName": env.branch},
            }
            assert not push.matches_event(other), "another repository's push"
            requests_rule = label.name(repo.name, "pull-requests")
            requests = EventPattern.load(rules[requests_rule]["event_pattern"])
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

            role = targets[push_rule]["role_arn"]
            own = f"arn:aws:codepipeline:{config.central.region}:{config.central.account_id}:{pipeline['name']}"
            assert targets[push_rule]["arn"] == own
            assert model.can(role, "codepipeline:StartPipelineExecution", own)
            assert not model.can(role, "codepipeline:StartPipelineExecution", own + "-other")
            pr = targets[requests_rule]
            project_arn = (
                f"arn:aws:codebuild:{config.central.region}:{config.central.account_id}:project/{pipeline['name']}-pr"
            )
            assert model.can(pr["role_arn"], "codebuild:StartBuild", project_arn)
