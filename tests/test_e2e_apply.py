"""End to end, as people run it, through the pipelines as CodePipeline and CodeBuild run
them: an administrator's runbook commands, then pushes and pull requests to local Git
repositories, the pipelines' runs (tests/support/pipeline_runner.py) deploying dev to a
local AWS (tests/support/emulator.py, reached through the product's emulator profile,
$DATALAKE_EMULATOR) in its own accounts, and the result checked in those accounts.

The administrator's commands, as README.md "Bootstrapping" gives them (DEPLOYS):
`cdktf deploy central-bootstrap` (local state: it creates the state bucket), then
`cdktf deploy central-bootstrap bootstrap-dev 'pipeline-*-dev'` (cdktf orders them by their
declared dependencies; the two pipeline stacks go in parallel), from the deployment's
infrastructure repository. That repository is this one, as a deployment has it: a Git
repository of its own (the working tree's files) whose envs/ names the package index the
harness serves the library from (the only change). Then:

- a push to its `main` runs `datalake-dev-datalake-infra`, which deploys datalake-dev;
- the template, copied out of this tree into a Git repository of its own (its own lock
  file, the library from that index), pushed to its `main`, runs `datalake-dev-sales`,
  which deploys etl-sales-dev;
- the later tests follow the other workflows: a change to one job, a change to the
  pipelines' config, the drift schedule, pull requests (one of them reaching for what it
  must not have), approvals (with a commit reaching for the approval and the apply build,
  a replaced artifact, a stale plan, and approval turned off again, which waits for it).

Every first deploy must succeed in one pass and a second plan of every stack must be empty
(the pipeline stacks' made by each pipeline's apply role, which applies them).

moto does not evaluate IAM, trust or key policies: the role chain here proves the wiring
(names, accounts, state access path), and tests/test_iam_evaluation.py proves who may do
what by evaluating the same documents. Here the emulator asks the same evaluator about
every call a session of a deployed role makes, and answers AccessDenied where AWS would
(tests/support/iam.py AccessModel.authorizer); every call the emulator saw from a deploy or
pipeline role, and every call the runner made as CodePipeline, CodeBuild and EventBridge,
is also evaluated afterwards, with its answer in the test's report.
"""

from __future__ import annotations

import concurrent.futures
import fnmatch
import io
import json
import re
import resource
import shutil
import subprocess
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from datalake_cdktf import naming
from datalake_cdktf.contract import CONTRACT_VERSION, DATALAKE_KEYS, SUPPORTED_VERSIONS
from datalake_cdktf.plan_summary import MARKER

from tests.conftest import DEFAULT
from tests.support import checkov
from tests.support.emulator import Emulator
from tests.support.git_host import GitHost, PullRequest
from tests.support.iam import AccessModel, iam_action
from tests.support.pipeline_runner import SERVICE_CALLS, Execution, Runner
from tests.support.sandbox import ADMINISTRATOR_DEPLOYS, TOKEN_VALUE, Sandbox

ROOT = Path(__file__).resolve().parents[1]
CENTRAL = DEFAULT.central.account_id
DEV = DEFAULT.environment("dev")
INFRA = DEFAULT.repositories.infrastructure
(SALES,) = DEFAULT.repositories.etl
PIPELINES = {naming.pipeline_stack_id(r.name, "dev"): r for r in (INFRA, SALES)}
"""Each repository's dev pipeline stack: applied first by an administrator, then by its own apply."""
STAGES = ["Source", "Test", "Plan", "Seal", "Apply"]
"""A dev run's stages (no approval in dev)."""
APPROVED_STAGES = ["Source", "Test", "Plan", "Seal", "Approval", "Apply"]
"""The stages with dev's approval required (turned on by the run after the first)."""
ORDER = ("central-bootstrap", "bootstrap-dev", *PIPELINES, "datalake-dev", "etl-sales-dev")
STEPS = ("deploy", "plan")
PIPELINE_APPLIED = {"datalake-dev": INFRA, "etl-sales-dev": SALES}
"""Stacks a pipeline applies (the others an administrator): stack -> repository."""
INFRA_PIPELINE = DEFAULT.label(DEV).name(INFRA.name)
SALES_PIPELINE = DEFAULT.label(DEV).name(SALES.name)


ADMIN_ROLES = {env.account_id: env.admin_role_name for env in DEFAULT.environments}


@pytest.fixture(scope="module")
def model(all_stacks) -> AccessModel:
    """The IAM evaluator over every synthesized stack (tests/support/iam.py)."""
    return AccessModel.from_stacks(all_stacks, ADMIN_ROLES)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory, model):
    """Dev's machine: the emulator, the Git host, the package index, the runner
    (tests/support/sandbox.py); the emulator refuses what the deployed documents refuse."""
    with Sandbox(tmp_path_factory.mktemp("sandbox")) as running:
        running.emulator.authorize(model.authorizer())
        yield running
        own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
        print(f"\n{own.ru_utime + own.ru_stime:8.0f} s CPU in this process (the emulator, the runner)")
        print(f"{children.ru_utime + children.ru_stime:8.0f} s CPU in the commands it ran, the builds' among them")
        print(running.runner.cpu_report())


@pytest.fixture(scope="module")
def emulator(sandbox) -> Emulator:
    return sandbox.emulator


@pytest.fixture(scope="module")
def terraform(sandbox):
    return sandbox.terraform


@pytest.fixture(scope="module")
def runner(sandbox) -> Runner:
    return sandbox.runner


@pytest.fixture(scope="module")
def git(sandbox) -> GitHost:
    return sandbox.git


@pytest.fixture(scope="module")
def git_api(sandbox):
    return sandbox.git_api


@dataclass
class Deployment:
    folders: dict[str, Path] = field(default_factory=dict)
    """Each stack's synthesized folder, where it was deployed (cdktf's output, or the
    folder of the pipeline's Apply build)."""
    results: dict[str, dict[str, subprocess.CompletedProcess]] = field(default_factory=dict)
    """Every step's result, by stack and step."""
    credentials: dict[str, dict[str, str] | None] = field(default_factory=dict)
    """The session each stack is planned with afterwards (None: the administrator)."""
    runs: dict[str, Execution] = field(default_factory=dict)
    """The pipeline run that deployed each pipeline-applied stack."""
    timings: list[tuple[str, float]] = field(default_factory=list)


def selected(stacks: tuple[str, ...]) -> list[str]:
    """The stacks of ORDER that ``cdktf deploy <stacks>`` selects (its arguments are globs)."""
    return [s for s in ORDER if any(fnmatch.fnmatch(s, pattern) for pattern in stacks)]


@pytest.fixture(scope="module")
def deployed(sandbox, terraform, tmp_path_factory) -> Deployment:
    """Dev deployed as the runbook says: the administrator's two ``cdktf deploy`` commands
    (ADMINISTRATOR_DEPLOYS) in dependency order with the infrastructure repository's
    config; then a push to it, whose pipeline run deploys datalake-dev; then the template
    pushed as the sales repository, whose run deploys etl-sales-dev. Each stack is
    planned again as soon as it is deployed, with the identity that owns it from then on."""
    base = tmp_path_factory.mktemp("e2e")
    deployment = Deployment()
    last_deploy = {s: n for n, stacks in enumerate(ADMINISTRATOR_DEPLOYS) for s in selected(stacks)}

    def plan(stack_id: str) -> subprocess.CompletedProcess:
        env, folder = deployment.credentials[stack_id], deployment.folders[stack_id]
        if stack_id in PIPELINE_APPLIED:
            # A build's folder: its providers link into its project's cache, which the runner
            # moves away when the build ends and back when the next build starts. Ours.
            shutil.rmtree(folder / ".terraform" / "providers", ignore_errors=True)
            terraform("init", "-input=false", cwd=folder, env=env)
        # Without the state lock: a run may be applying the same stack (they only read).
        return terraform("plan", "-detailed-exitcode", "-input=false", "-lock=false", cwd=folder, env=env)

    plans: dict[str, concurrent.futures.Future] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:  # independent: no locks shared
        for n, stacks in enumerate(ADMINISTRATOR_DEPLOYS):
            step = f"cdktf deploy {' '.join(stacks)}"
            log = base / "logs" / f"{n + 1:02d}-{LOG_NAME.sub('-', step).strip('-')}.log"
            started = time.monotonic()
            result = sandbox.administer(n, base / "app", log)
            deployment.timings.append((step, time.monotonic() - started))
            for stack_id in selected(stacks):
                deployment.folders[stack_id] = base / "app" / "stacks" / stack_id
                deployment.credentials.setdefault(stack_id, None)
                deployment.results.setdefault(stack_id, {}).setdefault("deploy", result)  # its first deploy
            if result.returncode != 0:
                return deployment  # later stacks need these
            for stack_id in [s for s in selected(stacks) if last_deploy[s] == n]:
                if stack_id in PIPELINES:
                    # From now on the pipeline's apply applies it: its role must read all of it.
                    role = DEFAULT.apply_role_arn(DEV, PIPELINES[stack_id])
                    deployment.credentials[stack_id] = sandbox.credentials(None, role=role)
                plans[stack_id] = pool.submit(plan, stack_id)

        # Both repositories push at once. The sales pipeline reads the data lake's contract
        # from its Plan on: the administrator holds it before that stage (DisableStageTransition)
        # until the infrastructure run has applied the data lake, then lets it go on.
        runner = sandbox.runner
        runner.disable_transition(SALES_PIPELINE, "Plan")
        started = time.monotonic()
        runs = {"datalake-dev": sandbox.push(INFRA, {}, "deploy dev"), "etl-sales-dev": None}
        runs["etl-sales-dev"] = sandbox.push_template(base / "sales")
        runs["datalake-dev"].wait()
        runner.enable_transition(SALES_PIPELINE, "Plan")
        if runs["datalake-dev"].status == "Succeeded":  # the next change, beside the sales run's end
            changes = {**keep_build_logs(sandbox.git, 400), **dev_config(sandbox.git, approval_required=True)}
            deployment.runs["build logs"] = sandbox.push(INFRA, changes, "Keep build logs 400 days; dev needs approval")
        runs["etl-sales-dev"].wait()
        for stack_id, run in runs.items():
            deployment.timings.append((f"push, then the run of {run.pipeline}", run.ended - run.started))
            deployment.runs[stack_id] = run
            result = subprocess.CompletedProcess(
                [run.pipeline], 0 if run.status == "Succeeded" else 1, run.report(), ""
            )
            deployment.results[stack_id] = {"deploy": result}
            if run.status != "Succeeded":
                print(run.report())
                continue
            deployment.folders[stack_id] = run.build("Apply").folder / "plans" / stack_id  # the sealed folder
            deployment.credentials[stack_id] = sandbox.stack_env(PIPELINE_APPLIED[stack_id])
            plans[stack_id] = pool.submit(plan, stack_id)
        if "build logs" in deployment.runs:  # it applies datalake-dev: the tests after it read that state
            deployment.runs["build logs"].wait()
        deployment.timings.append(("both first runs, side by side, and the next", time.monotonic() - started))
        started = time.monotonic()
        for stack_id, planned in plans.items():
            deployment.results[stack_id]["plan"] = planned.result()
    deployment.timings.append(
        ("terraform plan -detailed-exitcode, every stack (waited for after the last run)", time.monotonic() - started)
    )
    print("\n" + "\n".join(f"{seconds:7.1f} s  {step}" for step, seconds in deployment.timings))
    print(f"(each command's output: {base / 'logs'}; each build's: {sandbox.runner.workdir / 'logs'})")
    for stack_id in PIPELINE_APPLIED:
        run = deployment.runs[stack_id]
        print("\n".join(f"{seconds:7.1f} s  {run.pipeline} {action}" for action, seconds in run.timings()))
    for stack_id, steps in deployment.results.items():
        applied = APPLIED.findall(steps["deploy"].stdout)
        added = dict(applied).get(stack_id, "pipeline" if stack_id in PIPELINE_APPLIED else "?")
        second = steps["plan"].returncode if "plan" in steps else "not run"
        print(f"{stack_id:30} {added:>8} created, second plan: exit {second}")
    return deployment


LOG_NAME = re.compile(r"[^\w.-]+")
"""What a step's log file name may not contain."""
APPLIED = re.compile(r"^(\S+)\s+Apply complete! Resources: (\d+) added", re.MULTILINE)
"""cdktf's line for each stack it applied: (stack, resources added)."""


def output(result: subprocess.CompletedProcess) -> str:
    return (result.stdout + result.stderr)[-4000:]


@pytest.mark.parametrize("stack_id", ORDER)
def test_first_apply_succeeds_and_nothing_drifts(deployed, stack_id):
    assert stack_id in deployed.results, "an earlier stack failed: see its test"
    steps = deployed.results[stack_id]
    for step in STEPS:
        assert step in steps, f"{stack_id}: {step} not reached (an earlier command failed)"
        assert steps[step].returncode == 0, f"{stack_id} {step}:\n{output(steps[step])}"
    assert "No changes." in steps["plan"].stdout, output(steps["plan"])


def test_state_is_locked_and_encrypted_with_the_state_key_in_the_state_bucket(deployed, emulator):
    s3 = emulator.client("s3", CENTRAL)
    kms = emulator.client("kms", CENTRAL)
    state_key_arn = kms.describe_key(KeyId=DEFAULT.state_key_alias)["KeyMetadata"]["Arn"]
    for stack_id in ("bootstrap-dev", "datalake-dev"):
        head = s3.head_object(Bucket=DEFAULT.state_bucket, Key=f"{stack_id}/terraform.tfstate")
        assert head["ServerSideEncryption"] == "aws:kms", head
        assert head["SSEKMSKeyId"] in (state_key_arn, DEFAULT.state_key_alias_arn), head
    leftovers = s3.list_objects_v2(Bucket=DEFAULT.state_bucket, Prefix="datalake-dev/").get("Contents", [])
    assert [o["Key"] for o in leftovers] == ["datalake-dev/terraform.tfstate"], "lock file released"


@pytest.mark.parametrize("repository", DEFAULT.repositories.all, ids=lambda r: r.name)
def test_each_repository_has_its_roles_in_the_right_accounts(deployed, emulator, repository):
    deploy = emulator.client("iam", DEV.account_id).get_role(RoleName=f"datalake-dev-{repository.name}-deploy")["Role"]
    boundary = deploy["PermissionsBoundary"]["PermissionsBoundaryArn"]
    assert boundary == f"arn:aws:iam::{DEV.account_id}:policy/datalake-dev-{repository.name}-boundary"
    trusted = deploy["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"]
    apply = emulator.client("iam", CENTRAL).get_role(RoleName=f"datalake-dev-{repository.name}-apply")["Role"]
    assert trusted == apply["Arn"] == DEFAULT.apply_role_arn(DEV, repository)


def test_the_data_lake_was_applied_by_its_pipeline_through_the_role_chain(deployed, emulator):
    """datalake-dev was applied by the Apply build of the infrastructure pipeline's run:
    CodeBuild assumed the apply role for that project, whose session assumed the deploy
    role in dev through the stack's profile; the resources are in dev, the pipelines'
    buckets in central. No other build's session assumed the deploy role."""
    run = deployed.runs["datalake-dev"]
    assert [a.stage for a in run.actions] == STAGES, run.report()
    apply = f"arn:aws:codebuild:{DEV.region}:{CENTRAL}:project/{INFRA_PIPELINE}-apply"
    assumed = [
        c for c in SERVICE_CALLS if c.action == "sts:AssumeRole" and dict(c.context).get("aws:SourceArn") == apply
    ]
    assert assumed and {c.resource for c in assumed} == {DEFAULT.apply_role_arn(DEV, INFRA)}, assumed
    deploy_role = DEFAULT.deploy_role_arn(DEV, INFRA)
    assumers = {c.principal for c in emulator.calls if c.action == "sts:AssumeRole" and c.resource == deploy_role}
    assert {p.split("/")[1] for p in assumers} == {DEFAULT.label(DEV).apply_role(INFRA.name)}, assumers
    deploy_session = DEFAULT.deploy_role_arn(DEV, INFRA).replace(":iam::", ":sts::").replace(":role/", ":assumed-role/")
    assert any(c.principal.startswith(deploy_session) and c.action == "s3:CreateBucket" for c in emulator.calls)
    assert deployed.credentials["bootstrap-dev"] is None
    s3 = emulator.client("s3", DEV.account_id)
    assert any(b["Name"].startswith("datalake-dev-raw-") for b in s3.list_buckets()["Buckets"])
    central_buckets = [b["Name"] for b in emulator.client("s3", CENTRAL).list_buckets()["Buckets"]]
    assert not [b for b in central_buckets if b.startswith("datalake-dev-") and b.endswith(DEV.region)], central_buckets
    assert sorted(b for b in central_buckets if b.endswith(f"-ci-{CENTRAL}")) == sorted(
        f"datalake-dev-{repo.name}-ci-{CENTRAL}" for repo in DEFAULT.repositories.all
    ), "each dev pipeline's artifact bucket is in the central account"


@pytest.mark.parametrize("repository", DEFAULT.repositories.all, ids=lambda r: r.name)
def test_each_repository_has_its_dev_pipeline_in_the_central_account(deployed, emulator, repository):
    pipeline = emulator.client("codepipeline", CENTRAL).get_pipeline(name=f"datalake-dev-{repository.name}")["pipeline"]
    assert pipeline["roleArn"] == f"arn:aws:iam::{CENTRAL}:role/datalake-dev-{repository.name}-codepipeline"
    assert pipeline["pipelineType"] == "V2" and pipeline["executionMode"] in ("QUEUED", "SUPERSEDED")
    # the infrastructure pipeline's run after its first turned dev's approval on (deployed)
    assert [s["name"] for s in pipeline["stages"]] == (APPROVED_STAGES if repository == INFRA else STAGES)
    (trigger,) = pipeline["triggers"]
    assert [p["branches"]["includes"] for p in trigger["gitConfiguration"]["push"]] == [[DEV.branch]]
    assert pipeline["artifactStore"]["location"] == f"datalake-dev-{repository.name}-ci-{CENTRAL}"
    assert not emulator.client("codepipeline", DEV.account_id).list_pipelines()["pipelines"], "no pipeline in dev"


def test_no_bucket_of_the_dev_account_can_be_made_public(deployed, emulator):
    block = emulator.client("s3control", DEV.account_id).get_public_access_block(AccountId=DEV.account_id)
    assert all(block["PublicAccessBlockConfiguration"].values()), block


def test_data_buckets_are_in_the_dev_account_and_encrypted_with_its_key(deployed, emulator):
    s3 = emulator.client("s3", DEV.account_id)
    key_arn = emulator.client("kms", DEV.account_id).describe_key(KeyId="alias/datalake-dev-data")["KeyMetadata"]["Arn"]
    for zone in ("raw", "conformed", "purpose-built"):
        bucket = f"datalake-dev-{zone}-{DEV.account_id}-{DEV.region}"
        (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        default = rule["ApplyServerSideEncryptionByDefault"]
        assert (default["SSEAlgorithm"], default["KMSMasterKeyID"]) == ("aws:kms", key_arn), rule
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"


def test_the_outputs_contract_is_readable_in_the_dev_account(deployed, emulator):
    ssm = emulator.client("ssm", DEV.account_id)
    names = [f"/datalake/dev/datalake/{key}" for key in DATALAKE_KEYS]
    found = {}
    for start in range(0, len(names), 10):  # GetParameters takes at most 10 names
        found |= {p["Name"]: p["Value"] for p in ssm.get_parameters(Names=names[start : start + 10])["Parameters"]}
    assert sorted(found) == sorted(names)
    assert found["/datalake/dev/datalake/buckets/raw/name"] == f"datalake-dev-raw-{DEV.account_id}-{DEV.region}"
    vpc_id = found["/datalake/dev/datalake/vpc/id"]
    vpc = emulator.client("ec2", DEV.account_id).describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    assert vpc["CidrBlock"] == str(DEV.vpc_cidr)


def test_the_sales_jobs_run_in_the_private_subnets_through_connections_of_the_data_lake(deployed, emulator):
    """Each job names its repository's connections; each connection, created by
    datalake-dev, puts the workers in one private subnet with the repository's group."""
    glue, ec2 = emulator.client("glue", DEV.account_id), emulator.client("ec2", DEV.account_id)
    vpc_id = emulator.client("ssm", DEV.account_id).get_parameter(Name="/datalake/dev/datalake/vpc/id")
    private = {
        s["SubnetId"]: s["AvailabilityZone"]
        for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id["Parameter"]["Value"]]}])["Subnets"]
    }
    (group,) = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["datalake-dev-sales-glue-jobs"]}]
    )["SecurityGroups"]
    names = [f"datalake-dev-sales-{zone}" for zone in DEV.availability_zones]
    for job in ("orders-conformed", "daily-sales"):
        assert glue.get_job(JobName=f"datalake-dev-sales-{job}")["Job"]["Connections"]["Connections"] == names
    for name, zone in zip(names, DEV.availability_zones, strict=True):
        connection = glue.get_connection(Name=name)["Connection"]
        requirements = connection["PhysicalConnectionRequirements"]
        assert private[requirements["SubnetId"]] == requirements["AvailabilityZone"] == zone, connection
        assert requirements["SecurityGroupIdList"] == [group["GroupId"]]
    assert group["VpcId"] == vpc_id["Parameter"]["Value"]


def test_a_file_arriving_in_raw_starts_the_sales_workflow_and_nothing_else_does(deployed, emulator, all_stacks):
    """The trigger, followed as far as the emulator runs it: an object created under the
    workflow's raw prefix reaches EventBridge (the raw bucket sends its events there), the
    rule matches it, and the state machine gets one execution whose input names that
    object, started through a role that may start exactly it. Objects under another
    prefix or in another zone start nothing. The execution then runs the deployed
    definition in moto's interpreter, its Task states answered by the harness (gap 14:
    moto runs no Glue job or Lambda code): an accepted file runs the jobs in the order
    etl.yaml gives (daily-sales after orders-conformed); a rejected one runs none and the
    execution fails as FileRejected. (The jobs' code runs on local Spark in the template's
    tests, the tasks' permissions are evaluated by the IAM evaluator.)"""
    from tests.support.iam import AccessModel

    raw, conformed = (f"datalake-dev-{zone}-{DEV.account_id}-{DEV.region}" for zone in ("raw", "conformed"))
    name = "datalake-dev-sales-workflow"
    machine = f"arn:aws:states:{DEV.region}:{DEV.account_id}:stateMachine:{name}"
    s3, sfn = emulator.client("s3", DEV.account_id), emulator.client("stepfunctions", DEV.account_id)
    assert sfn.list_executions(stateMachineArn=machine)["executions"] == []
    before = len(emulator.deliveries)

    def answer(validation: str) -> None:
        """Each Task state of the deployed definition succeeds; the file is ``validation``."""
        states = json.loads(sfn.describe_state_machine(stateMachineArn=machine)["definition"])["States"]
        tasks = {state: definition["Resource"] for state, definition in states.items() if definition["Type"] == "Task"}
        results = {
            "lambda:invoke": {"Payload": {"status": validation, "reason": "e2e"}, "StatusCode": 200},
            "glue:startJobRun.sync": {"JobRunState": "SUCCEEDED"},
            "sns:publish": {"MessageId": "e2e"},
        }
        emulator.answer_tasks(name, {state: results[resource.split(":::")[1]] for state, resource in tasks.items()})

    def finished(key: str) -> tuple[dict, list[dict]]:
        """The execution started for ``key``, once it has ended, and its history."""
        deadline = time.monotonic() + 60
        while True:
            started = [
                sfn.describe_execution(executionArn=e["executionArn"])
                for e in sfn.list_executions(stateMachineArn=machine)["executions"]
            ]
            mine = [e for e in started if json.loads(e["input"]).get("key") == key]
            if (mine and mine[0]["status"] != "RUNNING") or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert len(mine) == 1, started
        return mine[0], sfn.get_execution_history(executionArn=mine[0]["executionArn"])["events"]

    def entered(history: list[dict]) -> list[str]:
        return [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]

    s3.put_object(Bucket=raw, Key="sales/returns/2026-11-27.csv", Body=b"order_id\n1\n")  # another prefix
    s3.put_object(Bucket=conformed, Key="sales/orders/part-0.parquet", Body=b"PAR1")  # another zone
    assert sfn.list_executions(stateMachineArn=machine)["executions"] == []

    answer("ACCEPTED")
    key = "sales/orders/2026-11-27.csv"
    s3.put_object(Bucket=raw, Key=key, Body=b"order_id,amount\n1,9.50\n")
    execution, history = finished(key)
    assert json.loads(execution["input"]) == {"bucket": raw, "key": key}
    assert execution["status"] == "SUCCEEDED", history
    assert history[0]["type"] == "ExecutionStarted"
    assert json.loads(history[0]["executionStartedEventDetails"]["input"]) == {"bucket": raw, "key": key}
    jobs = ["Run datalake-dev-sales-orders-conformed", "Run datalake-dev-sales-daily-sales"]
    assert entered(history) == ["Validate", "Accepted?", *jobs], entered(history)
    (delivery,) = emulator.deliveries[before:]
    assert delivery.rule == "datalake-dev-sales-arrivals" and delivery.target_arn == machine
    model = AccessModel.from_stacks(all_stacks, {env.account_id: env.admin_role_name for env in DEFAULT.environments})
    assert model.can(delivery.role_arn, "states:StartExecution", machine)
    other = machine.replace("sales-workflow", "other-workflow")
    assert not model.can(delivery.role_arn, "states:StartExecution", other)

    answer("REJECTED")
    key = "sales/orders/2026-11-28.csv"
    s3.put_object(Bucket=raw, Key=key, Body=b"not,a,sales,file\n")
    execution, history = finished(key)
    assert execution["status"] == "FAILED" and execution.get("error") == "FileRejected", execution
    assert entered(history) == ["Validate", "Accepted?", "NotifyRejected", "Rejected"], entered(history)


def planned_summary(terraform, workdir: Path, env, *args: str):
    """``terraform plan -out`` then ``show -json``, summarized (the pipeline's own steps).

    Without refreshing: what is summarized is the plan's content, and the deployment's
    second plans already compared every stack with what the emulator holds."""
    from datalake_cdktf.plan_summary import summarize

    plan_file = f"review{'-'.join(args)}.tfplan"  # one per kind of plan: they may run at once
    plan = terraform(
        "plan", "-input=false", "-lock=false", "-refresh=false", f"-out={plan_file}", *args, cwd=workdir, env=env
    )
    assert plan.returncode == 0, output(plan)
    shown = terraform("show", "-json", plan_file, cwd=workdir, env=env)
    assert shown.returncode == 0, output(shown)
    return summarize([(workdir.name, json.loads(shown.stdout))])


def test_the_plan_summary_of_real_plans_of_the_data_lake(deployed, terraform, tmp_path):
    """An empty plan, a bucket replaced (its name changed, which the summary names as
    what forces it) and a destroy, as the summary shows them to the approver:
    data-bearing replaces and destroys first."""
    env = deployed.credentials["datalake-dev"]
    live = deployed.folders["datalake-dev"]
    renamed = tmp_path / "datalake-dev"
    shutil.copytree(live, renamed, symlinks=True)
    stack = json.loads((renamed / "cdk.tf.json").read_text())
    (raw,) = [n for n, conf in stack["resource"]["aws_s3_bucket"].items() if "-raw-" in conf["bucket"]]
    stack["resource"]["aws_s3_bucket"][raw]["bucket"] += "-v2"
    (renamed / "cdk.tf.json").write_text(json.dumps(stack))
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:  # read-only, no lock: independent
        unchanged, replaced, destroyed = pool.map(
            lambda plan: planned_summary(terraform, *plan),
            [(live, env), (renamed, env), (live, env, "-destroy")],
        )

    assert unchanged.headline() == "no changes in 1 stack", unchanged.markdown()
    assert ("datalake-dev", "replace", f"aws_s3_bucket.{raw}") in replaced.at_risk(), replaced.markdown()
    assert replaced.total("destroy") == 0, replaced.markdown()
    assert f"replace `aws_s3_bucket.{raw}` (forced by `bucket`)" in replaced.markdown(), "what forces the replace"

    risky = {(kind, address.split(".")[0]) for _, kind, address in destroyed.at_risk()}
    assert {("destroy", "aws_kms_key"), ("destroy", "aws_s3_bucket"), ("destroy", "aws_glue_catalog_database")} <= risky
    text = destroyed.markdown()
    assert text.index("Data at risk") < text.index("| stack |"), text
    assert "arn:aws:kms" not in text and DEV.account_id not in text, "addresses only, never values"


def contract_reader(outdir: Path) -> Path:
    """An ETL repository's dev stack that reads the data lake's contract (as in the README)."""
    from datalake_cdktf import DataLakeContract, EtlStack, new_app

    app = new_app(outdir)
    stack = EtlStack(app, config=DEFAULT, environment=DEV, repository=SALES.name)
    DataLakeContract(stack, "lake", label=stack.label)
    app.synth()
    return outdir / "stacks" / stack.stack_id


def test_a_plan_against_an_unsupported_contract_version_is_refused(deployed, sandbox, emulator, terraform, tmp_path):
    """The ETL stack plans as its pipeline's plan build does (the code's role, the plan role
    through the stack's profile); when the data lake publishes a contract version the
    library does not read, the plan fails and says why."""
    workdir = contract_reader(tmp_path / "out")
    override = emulator.provider_override()
    override.update(
        emulator.backend_override(json.loads((workdir / "cdk.tf.json").read_text())["terraform"]["backend"]["s3"])
    )
    (workdir / "zz_emulator_override.tf.json").write_text(json.dumps(override))
    env = sandbox.stack_env(SALES, "plan")
    assert terraform("init", "-input=false", cwd=workdir, env=env).returncode == 0
    supported = terraform("plan", "-input=false", "-refresh=false", "-lock=false", cwd=workdir, env=env)
    assert supported.returncode == 0, output(supported)
    ssm = emulator.client("ssm", DEV.account_id)
    name = "/datalake/dev/datalake/contract/version"
    unsupported = max(SUPPORTED_VERSIONS) + 1
    ssm.put_parameter(Name=name, Value=str(unsupported), Type="String", Overwrite=True)
    try:
        refused = terraform("plan", "-input=false", "-refresh=false", "-lock=false", cwd=workdir, env=env)
    finally:
        ssm.put_parameter(Name=name, Value=str(CONTRACT_VERSION), Type="String", Overwrite=True)
    assert refused.returncode != 0, output(refused)
    message = " ".join(refused.stderr.split())
    assert f"The dev data lake publishes SSM contract version {unsupported}" in message, output(refused)
    assert "Upgrade datalake-cdktf in this repository" in message, output(refused)


def returns_job(git: GitHost) -> dict[str, str]:
    """The changes a team makes in a pull request: a new job (returns, raw -> conformed) and
    its Lambda helper renamed (its audit table with it)."""
    repository = SALES.full_repository_id
    config = git.read(repository, DEV.branch, "etl.yaml")
    returns = (
        "  - name: returns-conformed\n"
        "    script: jobs/returns_conformed.py\n"
        "    extra_python_modules: [src/sales_transforms.py]\n"
        "    reads: [{zone: raw, prefix: sales/returns/}]\n"
        "    writes: [{zone: conformed, prefix: sales/returns/}]\n\n"
    )
    config = config.replace("\nworkflow:", "\n" + returns + "workflow:", 1).replace("validate-arrival", "validate-file")
    script = git.read(repository, DEV.branch, "jobs/orders_conformed.py")
    return {"etl.yaml": config, "jobs/returns_conformed.py": script}


def shown(sandbox: Sandbox, folder: Path) -> dict:
    """``terraform show -json`` of the saved plan in a plan artifact's stack folder (in a copy)."""
    copy = sandbox.workdir / "shown" / f"{folder.name}-{time.monotonic_ns()}"
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns(".terraform"))
    init = sandbox.terraform("init", "-input=false", "-backend=false", cwd=copy)
    assert init.returncode == 0, output(init)
    result = sandbox.terraform("show", "-json", "plan.tfplan", cwd=copy)
    assert result.returncode == 0, output(result)
    return json.loads(result.stdout)


def session_calls(emulator: Emulator, session: str, since: int = 0) -> list:
    """The calls one build's session made (its session ARN: the build's, tests/support/pipeline_runner.py)."""
    return [c for c in emulator.calls[since:] if c.principal == session]


def pull_request_workflow(sandbox: Sandbox, request: PullRequest) -> None:
    """The pull request's next push (hostile_pull_request_workflow opened it), once the job
    changed on dev is applied: the hostile change undone, and what the pull request is for,
    a new job and a renamed helper. Its webhook starts the `-pr` build (the
    administrator's), which tests and plans through the read-only plan role, with no
    secret, and leaves its plans for the comment build; that build's end starts the comment
    build (the gate), which summarizes the plans and updates the comment it wrote for the
    first push, in place, with this repository's token; the person's look-alike comment is
    left as it is. The summary names the stack, the counts and, per change, the attributes
    (never a value), and calls out the audit table the rename destroys; only the new job's
    files would be uploaded; every call of the plan went through the plan role and read
    only; checkov finds nothing in the plan beyond what the accepted lists accept."""
    runner, git, git_api, emulator = sandbox.runner, sandbox.git, sandbox.git_api, sandbox.emulator
    repository = SALES.full_repository_id
    project, commenting = f"{SALES_PIPELINE}-pr", f"{SALES_PIPELINE}-comment"
    (first,) = [c for c in git_api.comments[(repository, request.number)] if c["user"]["login"] != "a-reviewer"]
    builds, calls = len(runner.builds), len(emulator.calls)
    undone = {"Makefile": git.read(repository, DEV.branch, "Makefile"), "pipeline.json": None}
    git.commit(repository, request.head, {**undone, **returns_job(git)}, "A returns job")
    build = runner.build_of(project, after=builds)
    assert build.status == "SUCCEEDED", f"{build.describe()}: {build.failed_command}\n{build.tail()}"
    comment_build = runner.build_of(commenting, after=builds)
    assert comment_build.status == "SUCCEEDED", comment_build.tail()

    spoof, *tools = git_api.comments[(repository, request.number)]
    assert spoof["user"]["login"] == "a-reviewer" and "looks like the tool's" in spoof["body"], "never touched"
    (comment,) = tools
    assert comment["url"] == first["url"] and comment["user"]["login"] == f"datalake-bot-{SALES.name}", comment
    patched = [r for r in git_api.requests if r.method == "PATCH"]
    assert [r.path for r in patched] == [comment["url"].removeprefix(git_api.url)], "updated in place, once"
    summary = comment["body"]
    assert summary.startswith(MARKER) and "etl-sales-dev" in summary and "Data at risk" in summary, summary
    at_risk = summary[summary.index("Data at risk") : summary.index("| stack |")]
    assert "aws_dynamodb_table" in at_risk and "destroy" in at_risk, summary
    token = f"{TOKEN_VALUE}-{SALES.name}"
    for log in (build.log, comment_build.log):
        assert token not in log.read_text(), "the token never reaches a log"

    # The new job's files are uploaded; the files that did not change are not uploaded again.
    plan = shown(sandbox, build.folder / "plans" / "etl-sales-dev")
    objects = [c["change"] for c in plan["resource_changes"] if c["type"] == "aws_s3_object"]
    changed = sorted((c["actions"][0], c["after"]["key"]) for c in objects if c["actions"] != ["no-op"])
    assert changed and all(action == "create" and "/returns-conformed/" in key for action, key in changed), changed
    assert len(objects) > len(changed), "the existing jobs' files are in the plan, unchanged"

    # The plan was made as the plan role, which only reads.
    plan_session = DEFAULT.plan_role_arn(DEV, SALES).replace(":iam::", ":sts::").replace(":role/", ":assumed-role/")
    made = {c.action for c in emulator.calls[calls:] if c.principal.startswith(plan_session + "/")}
    assert made, "the plan went through the plan role"
    writes = sorted(a for a in made if a.split(":")[1].startswith(("Put", "Create", "Delete", "Update", "Tag")))
    assert not writes, writes

    planned = sandbox.workdir / "shown" / "etl-sales-dev.json"
    planned.write_text(json.dumps(plan))
    report, stderr = checkov.scan("-f", str(planned), framework="terraform_plan")
    assert report["summary"]["passed"] > 50 and report["summary"]["parsing_errors"] == 0, stderr[-3000:]
    accepted = checkov.skips()
    unexpected = [
        f"{c['check_id']} {c['resource']}: {c['check_name']}"
        for c in report["results"]["failed_checks"]
        if not checkov.accepted_in_plan(accepted, c["check_id"], "etl-sales-dev", c["resource"])
    ]
    assert not unexpected, "\n".join(unexpected)


REACHING = (
    "env | sort",
    "-aws secretsmanager get-secret-value --secret-id {token} --query SecretString --output text",
    "-aws sts assume-role --role-arn {deploy} --role-session-name reaching --query Credentials.AccessKeyId",
    "-aws codepipeline put-approval-result --pipeline-name {pipeline} --stage-name Approval --action-name Approve"
    " --token x --result summary=mine,status=Approved",
    "-aws codepipeline update-pipeline --pipeline file://pipeline.json",
    "-aws codebuild update-project --name {pipeline}-apply --description reached",
)
"""What a hostile change's Makefile runs in a build of its code (``make`` goes on past a
failure): it prints its environment and reaches for the comment token, the deploy role,
the approval, its pipeline's definition and the apply build."""


def reaching(git: GitHost, repository, target: str, *, instead: bool = False) -> dict[str, str]:
    """The repository's Makefile with ``target``'s recipe starting with REACHING (``instead``:
    REACHING is all it runs), and the pipeline definition it would put in place of its own
    (no Approval stage)."""
    pipeline = DEFAULT.label(DEV).name(repository.name)
    values = {"token": repository.pull_request_token, "deploy": DEFAULT.deploy_role_arn(DEV, repository)}
    lines = "".join(f"\t{line.format(pipeline=pipeline, **values)}\n" for line in REACHING)
    makefile = git.read(repository.full_repository_id, DEV.branch, "Makefile")
    head, found, rest = makefile.partition(f"\n{target}:")
    assert found, f"no {target} target in {repository.name}'s Makefile"
    first, _, body = rest.partition("\n")
    if instead:
        body = body[body.index("\n\n") :]  # the recipe's lines end at the first blank line
    definition = {
        "name": pipeline,
        "roleArn": f"arn:aws:iam::{CENTRAL}:role/{DEFAULT.label(DEV).codepipeline_role(repository.name)}",
        "artifactStore": {"type": "S3", "location": DEFAULT.label(DEV).pipeline_bucket(repository.name, CENTRAL)},
        "stages": [],
    }
    return {"Makefile": f"{head}\n{target}:{first}\n{lines}{body}", "pipeline.json": json.dumps(definition)}


HOSTILE_SESSIONS: set[str] = set()
"""The sessions of the builds that ran REACHING: their calls are refused by design, and
test_every_call_a_pipeline_role_made_is_allowed_by_its_policies leaves them out."""


def refused_reaches(sandbox: Sandbox, model: AccessModel, build, since: int) -> None:
    """What REACHING asked for, as ``build``'s session made it: each call there, refused by
    the emulator (AccessDenied, as the evaluator answers for AWS); nothing written but the
    artifacts CodeBuild uploads after the commands (BuildResult.uploaded); the
    environment printed holds no key, token or secret."""
    HOSTILE_SESSIONS.add(build.session)
    log = build.log.read_text()
    calls = session_calls(sandbox.emulator, build.session, since)
    asked = {c.action for c in calls}
    for action in (
        "secretsmanager:GetSecretValue",
        "sts:AssumeRole",
        "codepipeline:PutApprovalResult",
        "codepipeline:UpdatePipeline",
        "codebuild:UpdateProject",
    ):
        assert action in asked, (action, sorted(asked))
    role = build.session.split("/")[1]
    role_arn = f"arn:aws:iam::{CENTRAL}:role/{role}"
    reached = [c for c in calls if not model.allows_call(role_arn, c.action, c.resource, c.context)]
    assert {c.action for c in reached} >= {
        "secretsmanager:GetSecretValue",
        "sts:AssumeRole",
        "codepipeline:PutApprovalResult",
        "codepipeline:UpdatePipeline",
        "codebuild:UpdateProject",
    }, reached
    assert log.count("AccessDenied") >= len(REACHING) - 1, log[-3000:]
    written = [
        c
        for c in calls
        if c.action.split(":")[1].startswith(("Put", "Create", "Delete", "Update", "Start"))
        and c.resource not in build.uploaded  # CodeBuild's upload of the build's artifacts
    ]
    assert all(c in reached for c in written), [c for c in written if c not in reached]
    printed = log[log.index("AWS_") - 200 :] if "AWS_" in log else log
    for secret in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "PULL_REQUEST_TOKEN", TOKEN_VALUE):
        assert secret not in printed, secret


def hostile_pull_request_workflow(sandbox: Sandbox, model: AccessModel) -> PullRequest:
    """A pull request, branched from dev, whose first push's Makefile runs, in place of the
    tests, what prints the environment and reaches for the comment token, the deploy role, the approval API, the
    pipeline and the apply build (REACHING); a reviewer posts a comment that looks like the
    tool's. The build has no secret and no credential that can write, each reach is refused,
    nothing changes, and the comment (the gate's, with this repository's token) is still
    posted, beside the reviewer's. Returns the pull request, which pull_request_workflow
    pushes to next."""
    runner, git, git_api = sandbox.runner, sandbox.git, sandbox.git_api
    repository = SALES.full_repository_id
    apply_before = runner.client("codebuild", fake=True).batch_get_projects(names=[f"{SALES_PIPELINE}-apply"])
    builds, calls = len(runner.builds), len(sandbox.emulator.calls)
    git.commit(repository, "returns", reaching(git, SALES, "test", instead=True), "Just a test change", base=DEV.branch)
    request = git.open_pull_request(repository, "returns", DEV.branch)
    spoof = git_api.post(repository, request.number, "a-reviewer", f"{MARKER}\nlooks like the tool's")
    build = runner.build_of(f"{SALES_PIPELINE}-pr", after=builds)
    assert build.status == "SUCCEEDED", build.tail()
    refused_reaches(sandbox, model, build, calls)
    commented = runner.build_of(f"{SALES_PIPELINE}-comment", after=builds)
    assert commented.status == "SUCCEEDED", commented.tail()
    first, comment = git_api.comments[(repository, request.number)]
    assert first == spoof, "a person's comment is never touched"
    assert comment["user"]["login"] == f"datalake-bot-{SALES.name}", comment
    assert comment["body"].startswith(MARKER) and "`etl-sales-dev`" in comment["body"], comment["body"]
    apply_after = runner.client("codebuild", fake=True).batch_get_projects(names=[f"{SALES_PIPELINE}-apply"])
    assert apply_after["projects"] == apply_before["projects"], "the apply build is as the administrator made it"
    return request


def keep_build_logs(git: GitHost, days: int) -> dict[str, str]:
    """envs/deployment.yaml with the pipelines' build logs kept ``days`` days."""
    config = yaml.safe_load(git.read(INFRA.full_repository_id, DEV.branch, "envs/deployment.yaml"))
    config["pipelines"]["log_retention_days"] = days
    return {"envs/deployment.yaml": yaml.safe_dump(config, sort_keys=False)}


def test_a_change_to_the_pipelines_config_is_applied_by_the_runs_apply(deployed, emulator):
    """A reviewed change to envs/ (build logs kept 400 days, not 365; dev needs approval),
    pushed to the infrastructure repository as soon as the data lake was deployed: that run
    plans pipeline-<infra>-dev with the rest and its Apply applies it, unapproved (dev
    needed no approval yet): the log groups of the pipeline's own builds change, and so
    does its definition (an Approval stage before Apply), so CodePipeline ends the run once
    its Apply has ended (Cancelled). The administrator's builds keep their log groups until
    bootstrap-dev is applied again; the sales pipeline changes on its own next run."""
    run = deployed.runs["build logs"].wait()
    assert [a.stage for a in run.actions] == STAGES and run.actions[-1].status == "Succeeded", run.report()
    assert run.status == "Cancelled", "CodePipeline ends a run whose pipeline was redefined, after its action"
    summary = (run.build("Seal").folder / "review" / "summary.md").read_text()
    assert "`pipeline-datalake-infra-dev`" in summary and "`retention_in_days`" in summary, summary
    assert "`stage`" in summary, summary  # the pipeline's stages
    stages = emulator.client("codepipeline", CENTRAL).get_pipeline(name=INFRA_PIPELINE)["pipeline"]["stages"]
    assert [s["name"] for s in stages] == APPROVED_STAGES, "applied unapproved, then approval required"
    logs = emulator.client("logs", CENTRAL)
    groups = {
        g["logGroupName"].rsplit("-", 1)[1]: g["retentionInDays"]
        for g in logs.describe_log_groups(logGroupNamePrefix=f"/aws/codebuild/{INFRA_PIPELINE}-")["logGroups"]
    }
    assert groups == {"test": 400, "plan": 400, **dict.fromkeys(("seal", "apply", "drift", "pr", "comment"), 365)}
    sales = logs.describe_log_groups(logGroupNamePrefix=f"/aws/codebuild/{SALES_PIPELINE}-")["logGroups"]
    assert {g["retentionInDays"] for g in sales} == {DEFAULT.pipelines.log_retention_days}, "until its next run"


def push_one_job(sandbox: Sandbox) -> tuple[Execution, str]:
    """One changed line in one job's script, pushed to the sales repository's main: the run
    that starts, once it has read its sources (the deployment's included), and the script."""
    repository = SALES.full_repository_id
    script = sandbox.git.read(repository, DEV.branch, "jobs/daily_sales.py") + "\n# e2e: one changed line\n"
    run = sandbox.push(SALES, {"jobs/daily_sales.py": script}, "Daily sales: a comment")
    run.reached("Test")
    return run, script


def one_job_workflow(sandbox: Sandbox, pushed: tuple[Execution, str]) -> None:
    """The run of push_one_job plans exactly one change (that script's object), the seal's
    summary names it and its changed attributes, and the apply applies it; the object in
    the assets bucket then holds the new script. Its Apply also applied its pipeline stack's
    change from the config changed before (the build logs' retention, dev's approval): its
    pipeline redefined, the run ends Cancelled after its Apply. Its Test build installed
    nothing: the project's cache holds what the same lock files install."""
    emulator = sandbox.emulator
    run, script = pushed
    run.wait()
    assert [a.stage for a in run.actions] == ["Source", "Source", *STAGES[1:]], run.report()
    assert all(a.status == "Succeeded" for a in run.actions) and run.status == "Cancelled", run.report()
    installed = run.build("Test").log.read_text()
    assert "pipenv sync" not in installed and "npm ci" not in installed, installed[:3000]
    plan = shown(sandbox, run.build("Apply").folder / "plans" / "etl-sales-dev")
    changed = [c for c in plan["resource_changes"] if c["change"]["actions"] != ["no-op"]]
    assert [(c["type"], c["change"]["actions"]) for c in changed] == [("aws_s3_object", ["update"])], changed
    (obj,) = changed
    after = obj["change"]["after"]
    assert "/daily-sales/" in after["key"], after
    summary = (run.build("Seal").folder / "review" / "summary.md").read_text()
    headline = "### Terraform plan: 0 to add, 4 to change, 0 to replace, 0 to destroy in 2 stacks"
    assert summary.splitlines()[1] == headline, summary  # the object; its own builds' two log groups, its pipeline
    (line,) = [line for line in summary.splitlines() if line.startswith(f"- change `{obj['address']}`: ")]
    assert "`source`" in line and after["key"] not in summary, line  # names, never values
    body = emulator.client("s3", DEV.account_id).get_object(Bucket=after["bucket"], Key=after["key"])["Body"].read()
    assert body.decode() == script
    groups = emulator.client("logs", CENTRAL).describe_log_groups(
        logGroupNamePrefix=f"/aws/codebuild/{SALES_PIPELINE}-"
    )
    own = {g["logGroupName"].rsplit("-", 1)[1]: g["retentionInDays"] for g in groups["logGroups"]}
    assert own["test"] == own["plan"] == 400, "the config applied on this run"


def drift_workflow(sandbox: Sandbox) -> None:
    """The drift schedule comes due (EventBridge delivers to the administrator's `-drift`
    project as the CodePipeline role): the gate reads back everything the state holds
    through the drift role, with the configuration the job's run applied; quiet while the
    environment is as declared; after someone changes a log group's retention by hand, the
    build fails and names the stack, the resource and the attribute."""
    runner, emulator = sandbox.runner, sandbox.emulator
    rule = DEFAULT.label(DEV).repository_prefix(SALES.name) + "drift"
    project = f"{SALES_PIPELINE}-drift"
    logs = emulator.client("logs", DEV.account_id)
    (group,) = [
        g
        for g in logs.describe_log_groups(logGroupNamePrefix=f"/datalake/dev/{SALES.name}/")["logGroups"]
        if "retentionInDays" in g
    ][:1]
    builds = len(runner.builds)
    runner.fire_schedule(rule)
    quiet = runner.build_of(project, after=builds)
    assert quiet.status == "SUCCEEDED" and "no drift" in quiet.log.read_text(), quiet.tail()
    codepipeline_role = DEFAULT.label(DEV).codepipeline_role(SALES.name)
    assert emulator.deliveries[-1].role_arn.endswith(f":role/{codepipeline_role}"), emulator.deliveries[-1]
    logs.put_retention_policy(logGroupName=group["logGroupName"], retentionInDays=731)  # by hand, outside Terraform
    try:
        builds = len(runner.builds)
        runner.fire_schedule(rule)
        drifted = runner.build_of(project, after=builds)
    finally:
        logs.put_retention_policy(logGroupName=group["logGroupName"], retentionInDays=group["retentionInDays"])
    log = drifted.log.read_text()
    assert drifted.status == "FAILED" and "drift in etl-sales-dev" in log, drifted.tail()
    assert "retention_in_days" in log, drifted.tail()


def dev_config(git: GitHost, *, access_log_days: int | None = None, **changes) -> dict[str, str]:
    """envs/environments/dev.yaml as on dev's branch, with ``changes`` (top-level fields)
    and dev's access logs kept ``access_log_days`` days if given (one lifecycle rule of
    one bucket of datalake-dev changes)."""
    path = "envs/environments/dev.yaml"
    config = yaml.safe_load(git.read(INFRA.full_repository_id, DEV.branch, path))
    config.update(changes)
    if access_log_days is not None:
        config["retention"]["access_log_days"] = access_log_days
    return {path: yaml.safe_dump(config, sort_keys=False)}


def access_log_days(emulator: Emulator) -> int:
    bucket = f"datalake-dev-access-logs-{DEV.account_id}-{DEV.region}"
    rules = emulator.client("s3", DEV.account_id).get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    return next(r["Expiration"]["Days"] for r in rules if "Expiration" in r)


def replace_sealed_plans(sandbox: Sandbox, run: Execution) -> None:
    """Replace the sealed artifact ``run`` waits with (as anyone who could write the artifact
    bucket might): the same plans, one byte of the data lake's configuration changed."""
    s3 = sandbox.emulator.client("s3", CENTRAL)
    bucket, key = f"datalake-dev-{INFRA.name}-ci-{CENTRAL}", run.artifacts["seal"]
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    with zipfile.ZipFile(io.BytesIO(body)) as old, io.BytesIO() as buffer:
        with zipfile.ZipFile(buffer, "w") as new:
            for item in old.infolist():
                data = old.read(item)
                if item.filename == "plans/datalake-dev/cdk.tf.json":
                    data = data.replace(b'"retention_in_days": 365', b'"retention_in_days": 366', 1)
                new.writestr(item, data)
        replaced = buffer.getvalue()
    assert replaced != body
    s3.put_object(Bucket=bucket, Key=key, Body=replaced)


def approval_workflow(sandbox: Sandbox, model: AccessModel) -> None:
    """On the infrastructure pipeline with its Approval stage (dev's approval turned on by
    the run after the first, test_a_change_to_the_pipelines_config_is_applied_by_the_runs_apply):

    - a run waits, its message carrying the counts and the digest of its sealed plans;
    - a hostile commit (REACHING in its plan's recipe) queues behind it: each reach is
      refused, and it waits to enter the Approval stage;
    - the first is rejected: nothing changes;
    - the hostile one's sealed plans are replaced before it is approved: its apply refuses
      them, and nothing changes;
    - the next, which changes the pipeline stack too (its builds' log retention), waits
      for approval with that change in its sealed plans and summary; once approved it
      applies exactly what it planned, the pipeline's change included; one planned before
      that apply is refused as stale.

    Dev keeps its Approval stage: nothing after this workflow runs its pipeline."""
    runner, git, emulator = sandbox.runner, sandbox.git, sandbox.emulator
    before = access_log_days(emulator)
    stages = runner.client("codepipeline").get_pipeline(name=INFRA_PIPELINE)["pipeline"]["stages"]
    assert [s["name"] for s in stages] == APPROVED_STAGES

    # Four pushes, one after another's sources are read: each run tests and plans while
    # those before it wait, then waits to enter the Approval stage (QUEUED).
    def push(changes: dict[str, str | None], message: str) -> Execution:
        run = sandbox.push(INFRA, changes, message)
        run.reached("Test")
        return run

    calls = len(emulator.calls)
    makefile = git.read(INFRA.full_repository_id, DEV.branch, "Makefile")
    rejected = push(dev_config(git, access_log_days=before + 1), "Access logs: 1 more day")
    hostile = push(reaching(git, INFRA, "plan"), "Plan: a small change")
    restored = {"Makefile": makefile, "pipeline.json": None}  # what the hostile commit changed, as it was
    pipeline_change = keep_build_logs(git, 545)  # a change of the pipeline stack alone
    approved = push(
        {**dev_config(git, access_log_days=before + 3), **restored, **pipeline_change}, "Access logs: 3 more days"
    )
    stale = push(dev_config(git, access_log_days=before + 4), "Access logs: 4 more days")

    waiting = rejected.approval()
    digest = rejected.variables["Seal"]["DIGEST"]
    assert waiting.message == (
        "dev: 0 to add, 1 to change, 0 to replace, 0 to destroy; 0 data-bearing resources destroyed or replaced. "
        f"Plan artifact SHA-256 {digest}: the apply applies exactly this one"
    ), waiting.message
    assert waiting.link == rejected.variables["Seal"]["SUMMARY_URL"] and "/build/" in waiting.link, waiting.link

    hostile.reached("Approval")
    assert hostile.waiting == "Approval" and not hostile.approvals, hostile.report()
    refused_reaches(sandbox, model, hostile.build("Plan"), calls)
    waiting.reject("not now")
    assert rejected.wait().status == "Failed"
    assert access_log_days(emulator) == before, "rejected: nothing changed"

    replace_sealed_plans(sandbox, hostile)
    hostile.approval().approve("the reviewer approved these plans")
    assert hostile.wait().status == "Failed"
    refusal = hostile.build("Apply").log.read_text()
    assert f"the approved one {hostile.variables['Seal']['DIGEST']}" in refusal, refusal[-2000:]
    assert access_log_days(emulator) == before, "a replaced artifact changes nothing"

    approval = approved.approval()
    stale.reached("Approval")  # planned before the approved run applies
    summary = (approved.build("Seal").folder / "review" / "summary.md").read_text()
    assert "`pipeline-datalake-infra-dev`" in summary and "`retention_in_days`" in summary, summary
    assert "0 to add, 3 to change" in approval.message, approval.message  # the rule, the two log groups
    planned = shown(sandbox, approved.build("Seal").folder / "plans" / "datalake-dev")
    changes = sorted(c["address"] for c in planned["resource_changes"] if c["change"]["actions"] != ["no-op"])
    assert infra_build_logs(emulator) == {400}, "the pipeline's change waits for the approval"
    approval.approve("reviewed")
    approved.succeeded()
    applied = approved.build("Apply").log.read_text()
    assert f"applying the plan artifact {approved.variables['Seal']['DIGEST']}" in applied, applied[-2000:]
    assert "Apply complete! Resources: 0 added, 1 changed, 0 destroyed." in applied, applied[-2000:]
    assert len(changes) == 1 and "aws_s3_bucket_lifecycle_configuration.access-logs" in changes[0], changes
    assert access_log_days(emulator) == before + 3, "exactly the approved plan"
    assert infra_build_logs(emulator) == {545}, "the pipeline's change, applied with it"

    stale.approval().approve("too late")
    assert stale.wait().status == "Failed"
    assert "Saved plan is stale" in stale.build("Apply").log.read_text()
    assert access_log_days(emulator) == before + 3


def infra_build_logs(emulator: Emulator) -> set[int]:
    """The retention of the infrastructure pipeline's own builds' log groups (its stack's)."""
    groups = emulator.client("logs", CENTRAL).describe_log_groups(
        logGroupNamePrefix=f"/aws/codebuild/{INFRA_PIPELINE}-"
    )
    return {g["retentionInDays"] for g in groups["logGroups"] if g["logGroupName"].endswith(("-test", "-plan"))}


def after(dependency: concurrent.futures.Future, name: str, workflow):
    """``workflow(sandbox)`` once ``dependency`` (the workflow ``name``) has succeeded."""

    def run(sandbox: Sandbox) -> None:
        try:
            dependency.result()
        except BaseException as error:
            raise AssertionError(f"not run: the workflow before it ({name}) failed") from error
        workflow(sandbox)

    return run


@pytest.fixture(scope="module")
def workflows(deployed, sandbox, model) -> dict[str, concurrent.futures.Future]:
    """The workflows after the first deployment, side by side where they cannot see each
    other. One changed job is pushed first, then the approval workflow's pushes to the
    infrastructure repository (its pipeline's stages are its own). Beside them, a pull
    request's hostile first push, branched
    from that job's commit (its plan compares with the recorded state, before or after the
    job is applied); its next push once both have ended (its plan names exactly the new
    job's changes; one build of a project at a time here); the drift schedule once the job
    is applied (the retention it changes by hand is refreshed by no plan of the pull
    request)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=5) as pool:
        one_job = pool.submit(one_job_workflow, sandbox, push_one_job(sandbox))
        approval = pool.submit(approval_workflow, sandbox, model)
        hostile = pool.submit(hostile_pull_request_workflow, sandbox, model)

        def next_push(sandbox: Sandbox) -> None:
            pull_request_workflow(sandbox, hostile.result())

        after_both = after(hostile, "hostile pull request", after(one_job, "one job", next_push))
        pull_request = pool.submit(after_both, sandbox)
        drift = pool.submit(after(one_job, "one job", drift_workflow), sandbox)
        yield {
            "one job": one_job,
            "approval": approval,
            "pull request": pull_request,
            "hostile pull request": hostile,
            "drift": drift,
        }


@pytest.fixture(scope="module")
def settled(workflows) -> None:
    """Every workflow has ended (what comes next destroys, or reads every call made)."""
    concurrent.futures.wait(workflows.values())


def test_a_change_to_one_job_deploys_that_change_only(workflows):
    workflows["one job"].result()


def test_a_pull_request_gets_its_read_only_plan_as_a_comment_updated_in_place(workflows):
    workflows["pull request"].result()


def test_a_pull_request_that_reaches_for_secrets_and_deploy_power_gets_nothing_and_its_comment(workflows):
    workflows["hostile pull request"].result()


def test_the_scheduled_drift_build_reports_drift_made_by_hand(workflows):
    workflows["drift"].result()


def test_with_approval_a_person_approves_exactly_what_is_applied_and_nothing_bypasses_it(workflows):
    workflows["approval"].result()


def test_protected_central_bootstrap_refuses_to_be_destroyed(deployed, settled, terraform, emulator):
    workdir = deployed.folders["central-bootstrap"]
    # prevent_destroy refuses while planning, from the configuration: no need to refresh
    result = terraform("destroy", "-auto-approve", "-input=false", "-refresh=false", cwd=workdir)
    assert result.returncode != 0, output(result)
    assert "Instance cannot be destroyed" in result.stderr, output(result)
    emulator.client("s3", CENTRAL).head_bucket(Bucket=DEFAULT.state_bucket)


def test_unprotected_dev_data_lake_destroys_completely(deployed, settled, terraform, emulator):
    """The ETL stack first (through its own deploy role), then the data lake it builds on."""
    # Without refreshing: the second plans and the drift checks compared state and emulator already.
    etl = terraform(
        "destroy",
        "-auto-approve",
        "-input=false",
        "-refresh=false",
        cwd=deployed.folders["etl-sales-dev"],
        env=deployed.credentials["etl-sales-dev"],
    )
    assert etl.returncode == 0, output(etl)
    assert not emulator.client("glue", DEV.account_id).get_jobs()["Jobs"]
    workdir = deployed.folders["datalake-dev"]
    result = terraform(
        "destroy",
        "-auto-approve",
        "-input=false",
        "-refresh=false",
        cwd=workdir,
        env=deployed.credentials["datalake-dev"],
    )
    assert result.returncode == 0, output(result)
    buckets = emulator.client("s3", DEV.account_id).list_buckets()["Buckets"]
    assert not [b["Name"] for b in buckets if b["Name"].startswith("datalake-dev-")], buckets
    assert not emulator.client("glue", DEV.account_id).get_connections()["ConnectionList"]


REFUSAL_TOLERATED = {
    "iam:GetUser": "the provider's account-id lookup tries it after sts:GetCallerIdentity and ignores a refusal",
}
"""Calls the AWS provider makes and needs no permission for, each with the reason."""


@pytest.mark.parametrize(("repository", "least"), [(INFRA, 50), (SALES, 30)], ids=["datalake-dev", "etl-sales-dev"])
def test_every_call_the_deploy_role_made_is_allowed_by_its_policies(
    deployed, settled, emulator, model, repository, least
):
    """Least privilege that still works: the emulator recorded every call Terraform made
    as the repository's deploy role (apply, plan and destroy of its dev stack); the IAM
    evaluator must allow each one, with the role's policies and boundary."""

    role = DEFAULT.deploy_role_arn(DEV, repository)
    session = role.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/"
    calls = {
        (iam_action(c.action), c.resource, c.context)
        for c in emulator.calls
        if c.principal.startswith(session) and c.action not in REFUSAL_TOLERATED
    }
    assert len(calls) > least, f"the deploy role made {len(calls)} distinct calls: was it used?"

    denied = sorted(f"{a} on {r} {dict(c) or ''}" for a, r, c in calls if not model.allows_call(role, a, r, c))
    assert not denied, "the deploy role's policies do not allow:\n" + "\n".join(denied)


def pipeline_roles(repository) -> dict[str, str]:
    """Every role a dev pipeline of ``repository`` runs as: its code's builds', CodePipeline's
    (and its rules'), the pull-request build's, the gate's (review, comment, apply), and the
    plan and drift roles those assume (the deploy role's calls: the test before)."""
    label = DEFAULT.label(DEV)
    central = DEFAULT.central
    return {
        "builds": DEFAULT.pipeline_role_arn(DEV, repository),
        "codepipeline": naming.role_arn(
            account_id=central.account_id, role_name=label.codepipeline_role(repository.name), region=central.region
        ),
        "pull requests": DEFAULT.pull_request_role_arn(DEV, repository),
        "review": DEFAULT.review_role_arn(DEV, repository),
        "comment": DEFAULT.comment_role_arn(DEV, repository),
        "apply": DEFAULT.apply_role_arn(DEV, repository),
        "plan": DEFAULT.plan_role_arn(DEV, repository),
        "drift": DEFAULT.drift_role_arn(DEV, repository),
    }


def test_every_call_a_pipeline_role_made_is_allowed_by_its_policies(deployed, settled, emulator, model):
    """The pipelines' own roles, as the emulator saw them and as the runner used them on
    CodePipeline's, CodeBuild's and EventBridge's behalf (SERVICE_CALLS: using the
    connection, starting builds, publishing the approval request): every call of every
    run above, including the pull request's plan and comment and the drift schedule's
    builds, but the hostile builds' (HOSTILE_SESSIONS: refused by design, and asked about
    by their own tests). The IAM evaluator must allow each one with the role's policies.
    (CodeStar calls are answered by the harness's fakes and not recorded; CodeBuild's are.)"""
    recorded = [*emulator.calls, *SERVICE_CALLS]
    for repository in (INFRA, SALES):
        for kind, role in pipeline_roles(repository).items():
            session = role.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/"
            calls = {
                (iam_action(c.action), c.resource, c.context)
                for c in recorded
                if c.principal.startswith(session)
                and c.action not in REFUSAL_TOLERATED
                and c.principal not in HOSTILE_SESSIONS
            }
            # Sales alone has pull requests, and drift_workflow fires its drift schedule alone.
            used = repository == SALES or kind not in ("pull requests", "comment", "drift")
            assert bool(calls) == used, f"{repository.name}'s {kind} role made {len(calls)} calls (used: {used})"

            denied = sorted(f"{a} on {r} {dict(c) or ''}" for a, r, c in calls if not model.allows_call(role, a, r, c))
            assert not denied, f"{role}'s policies do not allow:\n" + "\n".join(denied)


def test_codebuild_assumed_only_roles_that_trust_it_for_that_project(deployed, settled, all_stacks):
    """Each role CodeBuild assumed for a build (SERVICE_CALLS) trusts CodeBuild for that
    very project of the central account (the trust's aws:SourceArn and aws:SourceAccount),
    and would refuse the same for another account's project of the same name."""
    from tests.support.iam import AccessModel

    model = AccessModel.from_stacks(all_stacks, {env.account_id: env.admin_role_name for env in DEFAULT.environments})
    assumed = {(c.resource, c.context) for c in SERVICE_CALLS if c.principal == "service:codebuild.amazonaws.com"}
    projects = {dict(context)["aws:SourceArn"].rsplit("/", 1)[-1] for _, context in assumed}
    builds = ("test", "plan", "seal", "apply", "drift", "pr", "comment")
    assert {f"{SALES_PIPELINE}-{b}" for b in builds} <= projects, projects
    for role, context in assumed:
        assert model.service_may_assume("codebuild.amazonaws.com", role, **dict(context)), (role, context)
        elsewhere = {**dict(context), "aws:SourceAccount": DEV.account_id}
        elsewhere["aws:SourceArn"] = elsewhere["aws:SourceArn"].replace(f":{CENTRAL}:", f":{DEV.account_id}:")
        assert not model.service_may_assume("codebuild.amazonaws.com", role, **elsewhere), (role, elsewhere)


def test_codepipeline_and_eventbridge_assumed_only_roles_that_trust_them_for_that_resource(
    deployed, settled, emulator, all_stacks
):
    """Each role CodePipeline assumed for a run (SERVICE_CALLS) trusts CodePipeline for
    that very pipeline, and each role an EventBridge rule's target names (the drift
    schedule, CodeCommit's pushes, the data lake's triggers) trusts EventBridge for that
    rule (aws:SourceArn, aws:SourceAccount); the same request for another repository's
    pipeline of the same environment is refused."""
    from tests.support.iam import AccessModel

    model = AccessModel.from_stacks(all_stacks, {env.account_id: env.admin_role_name for env in DEFAULT.environments})
    runs = {(c.resource, c.context) for c in SERVICE_CALLS if c.principal == "service:codepipeline.amazonaws.com"}
    pipelines = {dict(context)["aws:SourceArn"].rsplit(":", 1)[-1] for _, context in runs}
    assert {SALES_PIPELINE, INFRA_PIPELINE} <= pipelines, pipelines
    for role, context in runs:
        assert model.service_may_assume("codepipeline.amazonaws.com", role, **dict(context)), (role, context)
        other = SALES_PIPELINE if dict(context)["aws:SourceArn"].endswith(INFRA_PIPELINE) else INFRA_PIPELINE
        elsewhere = {**dict(context), "aws:SourceArn": dict(context)["aws:SourceArn"].rsplit(":", 1)[0] + ":" + other}
        assert not model.service_may_assume("codepipeline.amazonaws.com", role, **elsewhere), (role, elsewhere)
    delivered = [d for d in emulator.deliveries if d.role_arn]
    assert delivered, "no rule delivered with a role"
    for delivery in delivered:
        account = delivery.rule_arn.split(":")[4]
        assert model.service_may_assume(
            "events.amazonaws.com",
            delivery.role_arn,
            **{"aws:SourceArn": delivery.rule_arn, "aws:SourceAccount": account},
        ), delivery
