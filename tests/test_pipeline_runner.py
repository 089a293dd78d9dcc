"""The pipeline runner itself (tests/support/pipeline_runner.py), on a small pipeline made
for it: what CodePipeline and CodeBuild document, so that the end-to-end runs of the
real pipelines (tests/test_e2e_apply.py) can rely on it.

Each test creates a pipeline and its build projects in the emulator through the APIs,
pushes to a local Git repository and follows what the runner does.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.support.emulator import running_emulator
from tests.support.git_host import GitHost
from tests.support.pipeline_runner import DIFFERENCES, SERVICE_CALLS, Runner

CENTRAL = "111111111111"
REPOSITORY = "example-org/app"


def buildspec(*commands: str, **extra) -> str:
    return json.dumps(
        {"version": 0.2, "env": {"shell": "bash"}, "phases": {"build": {"commands": list(commands)}}, **extra}
    )


@pytest.fixture(scope="module")
def runtime(tmp_path_factory) -> Path:
    """One runtime folder (the runtimes' links and the AWS CLI, ~15 s to install) for every
    runner of this module."""
    return tmp_path_factory.mktemp("runtime")


@pytest.fixture
def world(tmp_path, runtime):
    with running_emulator(CENTRAL) as emulator:
        iam = emulator.client("iam", CENTRAL)
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"},
                {"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"},
            ],
        }
        role = iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        emulator.client("s3", CENTRAL).create_bucket(
            Bucket="app-artifacts", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        (tmp_path / "repo").mkdir()
        (tmp_path / "repo" / "hello.txt").write_text("one\n")
        (tmp_path / "repo" / "run.sh").write_text("#!/bin/sh\necho ran\n")
        (tmp_path / "repo" / "run.sh").chmod(0o755)
        host = GitHost(tmp_path / "git")
        host.root.mkdir()
        host.create(REPOSITORY, tmp_path / "repo", branch="main")
        runner = Runner(
            emulator,
            host,
            tmp_path / "runner",
            account_id=CENTRAL,
            environment={},
            echo=lambda _: None,
            runtime=runtime,
        )
        try:
            yield World(emulator, host, runner, role)
        finally:
            runner.close()


class World:
    def __init__(self, emulator, host, runner, role):
        self.emulator, self.host, self.runner, self.role = emulator, host, runner, role
        self.codebuild = runner.client("codebuild", fake=True)
        self.codepipeline = runner.client("codepipeline")

    def project(self, name: str, spec: str, **extra) -> None:
        environment = {"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0"}
        self.codebuild.create_project(
            name=name,
            source={"type": "CODEPIPELINE", "buildspec": spec},
            artifacts={"type": "CODEPIPELINE"},
            environment={**environment, "computeType": "BUILD_GENERAL1_SMALL", **extra.pop("environment", {})},
            serviceRole=self.role,
            **extra,
        )

    def pipeline(self, stages: list[dict], name: str = "app") -> dict:
        source = {
            "name": "Source",
            "actions": [
                {
                    "name": "Source",
                    "actionTypeId": {
                        "category": "Source",
                        "owner": "AWS",
                        "provider": "CodeStarSourceConnection",
                        "version": "1",
                    },
                    "outputArtifacts": [{"name": "source"}],
                    "namespace": "SourceVariables",
                    "configuration": {
                        "ConnectionArn": f"arn:aws:codestar-connections:eu-west-1:{CENTRAL}:connection/x",
                        "FullRepositoryId": REPOSITORY,
                        "BranchName": "main",
                        "OutputArtifactFormat": "CODE_ZIP",
                    },
                }
            ],
        }
        definition = {
            "name": name,
            "roleArn": self.role,
            "pipelineType": "V2",
            "executionMode": "QUEUED",
            "artifactStore": {"type": "S3", "location": "app-artifacts"},
            "stages": [source, *stages],
            "triggers": [
                {
                    "providerType": "CodeStarSourceConnection",
                    "gitConfiguration": {"sourceActionName": "Source", "push": [{"branches": {"includes": ["main"]}}]},
                }
            ],
        }
        self.codepipeline.create_pipeline(pipeline=definition)
        return definition


def build_stage(name: str, project: str, inputs=("source",), outputs=(), namespace=None, variables=None) -> dict:
    action = {
        "name": name,
        "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
        "inputArtifacts": [{"name": i} for i in inputs],
        "outputArtifacts": [{"name": o} for o in outputs],
        "configuration": {"ProjectName": project},
    }
    if namespace:
        action["namespace"] = namespace
    if variables:
        action["configuration"]["EnvironmentVariables"] = json.dumps(variables)
    return {"name": name, "actions": [action]}


def approval_stage(message: str) -> dict:
    action = {
        "name": "Approve",
        "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"},
        "configuration": {"CustomData": message},
    }
    return {"name": "Approval", "actions": [action]}


def test_every_difference_from_aws_is_listed_with_its_reason():
    assert {name for name, _ in DIFFERENCES} >= {"runtimes", "image", "home", "network", "credentials", "substitution"}
    assert all(len(reason) > 60 for _, reason in DIFFERENCES)


def test_a_push_runs_the_stages_in_order_with_artifacts_variables_and_the_role_session(world):
    spec = json.loads(
        buildspec(
            "test -x run.sh && ./run.sh",  # the source zip keeps the executable bit
            "test ! -e .git",  # CODE_ZIP: no Git metadata
            'echo "$(cat hello.txt)-$GREETING-$CODEBUILD_BUILD_NUMBER" > out.txt',
            "export MADE=$(cat out.txt)",
        )
    )
    spec["env"]["exported-variables"] = ["MADE"]
    spec["artifacts"] = {"files": ["out.txt"]}
    world.project("app-make", json.dumps(spec))
    world.project("app-use", buildspec('test "$(cat $CODEBUILD_SRC_DIR_made/out.txt)" = "$EXPECTED"', "cat hello.txt"))
    branch = [{"name": "GREETING", "value": "#{SourceVariables.BranchName}", "type": "PLAINTEXT"}]
    made = [{"name": "EXPECTED", "value": "#{Made.MADE}", "type": "PLAINTEXT"}]
    world.pipeline(
        [
            build_stage("Make", "app-make", outputs=["made"], namespace="Made", variables=branch),
            build_stage("Use", "app-use", inputs=("source", "made"), variables=made),
        ]
    )
    commit = world.host.commit(REPOSITORY, "main", {"hello.txt": "two\n"}, "second")
    (execution,) = world.runner.executions_of("app")
    execution.succeeded()
    assert execution.variables["Made"] == {"MADE": "two-main-1"}
    assert execution.revisions["source"] == commit
    stored = world.codepipeline.get_pipeline_execution(pipelineName="app", pipelineExecutionId=execution.id)
    assert stored["pipelineExecution"]["status"] == "Succeeded"
    session = world.role.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/")
    calls = {
        (c.action, c.resource.split(":::")[-1].split("/")[0])
        for c in world.emulator.calls
        if c.principal.startswith(session)
    }
    assert ("s3:PutObject", "app-artifacts") in calls and ("s3:GetObject", "app-artifacts") in calls, calls
    started = {c.resource.rsplit("/", 1)[-1] for c in SERVICE_CALLS if c.action == "codebuild:StartBuild"}
    assert started >= {"app-make", "app-use"}


def test_a_failing_command_fails_its_stage_and_names_the_command(world):
    world.project("app-fail", buildspec("echo fine", "scripts/install-terraform", "echo never"))
    world.pipeline([build_stage("Build", "app-fail")])
    world.host.commit(REPOSITORY, "main", {"x": "1"}, "x")
    (execution,) = world.runner.executions_of("app")
    execution.wait()
    assert execution.status == "Failed"
    report = execution.report()
    assert "Build/Build: Failed" in report and "scripts/install-terraform" in report, report
    assert "No such file or directory" in report, report


def test_a_builds_cpu_is_what_its_commands_and_their_children_spent_not_its_wall_time(world):
    busy = 'python3 -c "import time; end = time.process_time() + 1.5\nwhile time.process_time() < end: pass"'
    world.project("app-busy", buildspec(f"sh -c '{busy}'"))
    world.project("app-idle", buildspec("sleep 2"))
    world.pipeline([build_stage("Busy", "app-busy"), build_stage("Idle", "app-idle")])
    world.host.commit(REPOSITORY, "main", {"x": "1"}, "x")
    (execution,) = world.runner.executions_of("app")
    execution.succeeded()
    busy_build, idle_build = execution.build("Busy"), execution.build("Idle")
    assert 1.4 <= busy_build.cpu_seconds < 10, busy_build.describe()  # a grandchild's, counted
    assert idle_build.cpu_seconds < 1 and idle_build.ended - idle_build.started >= 2, idle_build.describe()
    assert f"cpu {busy_build.cpu_seconds:.0f} s" in busy_build.describe()
    report = world.runner.cpu_report().splitlines()
    assert report[0].endswith("s CPU in 2 builds") and "app-busy (1 builds)" in report[1], report


def test_queued_runs_wait_for_the_stage_ahead_and_an_approval_is_answered_by_the_test(world):
    world.project("app-build", buildspec("cat hello.txt"))
    world.pipeline([build_stage("Build", "app-build"), approval_stage("approve #{SourceVariables.CommitId}")])
    first = world.host.commit(REPOSITORY, "main", {"hello.txt": "a"}, "a")
    run_a = world.runner.executions_of("app")[0]
    approval = run_a.approval()
    assert approval.message == f"approve {first}"
    world.host.commit(REPOSITORY, "main", {"hello.txt": "b"}, "b")
    run_b = world.runner.executions_of("app")[1]
    run_b.reached("Approval")  # it built while the first waited, and now waits to enter
    assert run_b.waiting == "Approval" and not run_b.approvals, "the stage holds one execution at a time"
    assert [a.status for a in run_b.actions] == ["Succeeded", "Succeeded"]
    approval.reject()
    assert run_a.wait().status == "Failed"
    run_b.approval().approve()
    assert run_b.succeeded().status == "Succeeded"


def test_a_redefined_pipeline_cancels_the_run_after_its_action_and_builds_read_their_project_at_start(world):
    world.project("app-update", buildspec("sleep 2"))
    world.project("app-next", buildspec("echo first-definition"))
    definition = world.pipeline([build_stage("Update", "app-update"), build_stage("Next", "app-next")])
    world.host.commit(REPOSITORY, "main", {"hello.txt": "c"}, "c")
    (first,) = world.runner.executions_of("app")
    first.reached("Update")
    # A project changed while the run is in an earlier stage: its build reads the new buildspec.
    world.codebuild.update_project(
        name="app-next", source={"type": "CODEPIPELINE", "buildspec": buildspec("echo second")}
    )
    first.succeeded()
    assert "second" in first.build("Next").log.read_text()
    # The pipeline itself redefined while a build runs: that run is cancelled after the build.
    world.host.commit(REPOSITORY, "main", {"hello.txt": "d"}, "d")
    second = world.runner.executions_of("app")[1]
    second.reached("Update")
    definition["stages"][-1]["actions"][0]["name"] = "Renamed"
    world.codepipeline.update_pipeline(pipeline=definition)
    second.wait()
    assert second.status == "Cancelled", second.report()
    assert [a.stage for a in second.actions] == ["Source", "Update"]
    assert second.actions[-1].status == "Succeeded"


def test_cache_paths_survive_between_builds_of_a_project_and_nothing_else_does(world):
    spec = json.loads(
        buildspec(
            'test ! -e "$HOME/scratch"',
            'if [ -f "$HOME/.cache/marker" ]; then echo warm; else echo cold; fi',
            'mkdir -p "$HOME/.cache" && date > "$HOME/.cache/marker" && touch "$HOME/scratch"',
        )
    )
    spec["cache"] = {"paths": ["/root/.cache/**/*"]}
    world.project("app-cache", json.dumps(spec))
    world.pipeline([build_stage("Build", "app-cache")])
    world.host.commit(REPOSITORY, "main", {"hello.txt": "e"}, "e")
    world.runner.executions_of("app")[0].succeeded()
    world.host.commit(REPOSITORY, "main", {"hello.txt": "f"}, "f")
    second = world.runner.executions_of("app")[1].succeeded()
    logs = [Path(r.log).read_text() for r in world.runner.builds]
    assert "cold" in logs[0] and "warm" in logs[1], logs
    del second


def test_secrets_reach_the_build_read_as_its_role_and_never_its_log(world):
    world.emulator.client("secretsmanager", CENTRAL).create_secret(Name="app/token", SecretString="s3cr3t-value")
    spec = json.loads(buildspec('test "$TOKEN" = "s3cr3t-value"', "echo token-length ${#TOKEN}"))
    spec["env"]["secrets-manager"] = {"TOKEN": "app/token"}
    world.project("app-secret", json.dumps(spec))
    world.pipeline([build_stage("Build", "app-secret")])
    world.host.commit(REPOSITORY, "main", {"hello.txt": "g"}, "g")
    (execution,) = world.runner.executions_of("app")
    execution.succeeded()
    log = Path(execution.build("Build").log).read_text()
    assert "token-length 12" in log and "s3cr3t-value" not in log
    session = world.role.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/")
    assert any(
        c.action == "secretsmanager:GetSecretValue" and c.principal.startswith(session) for c in world.emulator.calls
    )


def test_a_disabled_transition_holds_runs_before_the_stage_until_it_is_enabled(world):
    world.project("app-first", buildspec("echo first"))
    world.project("app-second", buildspec("echo second"))
    world.pipeline([build_stage("First", "app-first"), build_stage("Second", "app-second")])
    world.runner.disable_transition("app", "Second")
    world.host.commit(REPOSITORY, "main", {"hello.txt": "h"}, "h")
    (execution,) = world.runner.executions_of("app")
    execution.reached("Second")
    assert execution.waiting == "Second" and [a.stage for a in execution.actions] == ["Source", "First"]
    world.runner.enable_transition("app", "Second")
    assert [a.stage for a in execution.succeeded().actions] == ["Source", "First", "Second"]


def test_a_build_reads_its_roles_session_from_the_container_credentials_endpoint(world):
    """As in CodeBuild: no keys in the environment, the session at the endpoint; a
    ``credential_source = EcsContainer`` profile works from it (the AWS CLI asks STS)."""
    spec = buildspec(
        'test -z "$AWS_ACCESS_KEY_ID" && test -n "$AWS_CONTAINER_CREDENTIALS_FULL_URI"',
        "aws sts get-caller-identity --query Arn --output text > who.txt",
        'printf "[profile app]\\ncredential_source = EcsContainer\\nrole_arn = %s\\n" "$ROLE" > config',
        "AWS_CONFIG_FILE=config AWS_PROFILE=app aws sts get-caller-identity --query Arn --output text >> who.txt",
        "cat who.txt",
    )
    world.project(
        "app-who",
        spec,
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
            "environmentVariables": [{"name": "ROLE", "value": world.role}],
        },
    )
    world.pipeline([build_stage("Build", "app-who")])
    world.host.commit(REPOSITORY, "main", {"hello.txt": "i"}, "i")
    (execution,) = world.runner.executions_of("app")
    execution.succeeded()
    session = world.role.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/")
    who = [line for line in Path(execution.build("Build").log).read_text().splitlines() if line.startswith("arn:")]
    assert len(who) == 2 and all(line.startswith(session) for line in who), who


def test_a_builds_end_is_an_event_and_its_record_what_batch_get_builds_answers(world):
    """A project with S3 artifacts leaves them at <location>/<path>/<build id>/<name>; its
    end reaches EventBridge as CodeBuild's Build State Change, whose rule here starts a
    NO_SOURCE build with the first build's id; that build asks BatchGetBuilds about it
    and copies its artifact with the AWS CLI."""
    events = world.emulator.client("events", CENTRAL)
    spec = json.loads(buildspec("mkdir -p out && echo planned > out/plan.txt && touch out/.hidden"))
    spec["artifacts"] = {"files": ["out/**/*"]}
    world.codebuild.create_project(
        name="app-pr",
        source={"type": "GITHUB", "location": f"https://github.com/{REPOSITORY}.git", "buildspec": json.dumps(spec)},
        artifacts={
            "type": "S3",
            "location": "app-artifacts",
            "path": "pull-requests",
            "namespaceType": "BUILD_ID",
            "name": "plans.zip",
            "packaging": "ZIP",
        },
        environment={"type": "LINUX_CONTAINER", "image": "x", "computeType": "BUILD_GENERAL1_SMALL"},
        serviceRole=world.role,
        encryptionKey=f"arn:aws:kms:eu-west-1:{CENTRAL}:alias/aws/s3",
    )
    follow = buildspec(
        'aws codebuild batch-get-builds --ids "$BUILD" > builds.json',
        "python3 -c \"import json; b = json.load(open('builds.json'))['builds'][0]; "
        "print(b['buildStatus'], b['artifacts']['location'])\" > found.txt",
        "cat found.txt",
        'aws s3 cp "s3://$(cut -d" " -f2 found.txt | sed "s|arn:aws:s3:::||")" plans.zip',
        "python3 -m zipfile -l plans.zip",
    )
    world.codebuild.create_project(
        name="app-follow",
        source={"type": "NO_SOURCE", "buildspec": follow},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={"type": "LINUX_CONTAINER", "image": "x", "computeType": "BUILD_GENERAL1_SMALL"},
        serviceRole=world.role,
    )
    pattern = {
        "source": ["aws.codebuild"],
        "detail-type": ["CodeBuild Build State Change"],
        "detail": {"project-name": ["app-pr"], "build-status": ["SUCCEEDED", "FAILED"]},
    }
    events.put_rule(Name="app-follow", EventPattern=json.dumps(pattern))
    events.put_targets(
        Rule="app-follow",
        Targets=[
            {
                "Id": "follow",
                "Arn": f"arn:aws:codebuild:eu-west-1:{CENTRAL}:project/app-follow",
                "RoleArn": world.role,
                "InputTransformer": {
                    "InputPathsMap": {"build": "$.detail.build-id"},
                    "InputTemplate": '{"environmentVariablesOverride": [{"name": "BUILD", "value": <build>}]}',
                },
            }
        ],
    )
    # A scheduled rule takes its schedule's events only (moto's empty pattern would match all).
    events.put_rule(Name="app-daily", ScheduleExpression="rate(1 day)")
    target = {"Id": "daily", "Arn": f"arn:aws:codebuild:eu-west-1:{CENTRAL}:project/app-follow", "RoleArn": world.role}
    events.put_targets(Rule="app-daily", Targets=[target])
    before = len(world.runner.builds)
    world.runner.run_build("app-pr", initiator="GitHub-Hookshot/1", source_version="main")
    followed = world.runner.build_of("app-follow", after=before, timeout=300)
    assert followed.status == "SUCCEEDED", followed.tail()
    log = followed.log.read_text()
    (pr,) = [b for b in world.runner.builds if b.project == "app-pr"]
    (uploaded,) = pr.uploaded
    assert uploaded.startswith("arn:aws:s3:::app-artifacts/pull-requests/") and uploaded.endswith("/plans.zip")
    assert f"SUCCEEDED {uploaded}" in log and log.count("plans.zip") >= 1, log
    assert "out/plan.txt" in log and "out/.hidden" in log, "hidden files travel too"
    session = world.role.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/")
    asked = [
        c for c in world.emulator.calls if c.action == "codebuild:BatchGetBuilds" and c.principal.startswith(session)
    ]
    assert asked and asked[0].resource == f"arn:aws:codebuild:eu-west-1:{CENTRAL}:project/app-pr", asked
    time.sleep(2)  # any other delivery would have started by now
    assert [b.project for b in world.runner.builds[before:]].count("app-follow") == 1, "the schedule took no event"


def test_artifacts_are_kept_where_codepipeline_keeps_them(world):
    """``<pipeline[:20]>/<artifact[:10]>/<random>``: the prefix a role's policy can name."""
    spec = json.loads(buildspec("echo x > x.txt"))
    spec["artifacts"] = {"files": ["x.txt"]}
    world.project("app-long", json.dumps(spec))
    world.pipeline(
        [build_stage("Build", "app-long", outputs=["averylongartifactname"])], name="a-pipeline-name-of-30-chars-x"
    )
    world.host.commit(REPOSITORY, "main", {"hello.txt": "j"}, "j")
    (execution,) = world.runner.executions_of("a-pipeline-name-of-30-chars-x")
    execution.succeeded()
    assert execution.artifacts["averylongartifactname"].startswith("a-pipeline-name-of-3/averylonga/")
    assert execution.artifacts["source"].startswith("a-pipeline-name-of-3/source/")
