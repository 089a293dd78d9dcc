"""End to end, as people run it: the runbook's `cdktf deploy` commands deploy dev to a
local AWS (tests/support/emulator.py, reached through the product's emulator profile,
$DATALAKE_EMULATOR) in its own accounts, and the result is checked in those accounts.

The commands, as README.md "Bootstrapping" gives them (DEPLOYS): an administrator runs
`cdktf deploy central-bootstrap` (local state: it creates the state bucket), then
`cdktf deploy central-bootstrap bootstrap-dev 'pipeline-*-dev'` (cdktf orders them by
their declared dependencies; the two pipeline stacks go in parallel). datalake-dev is
then deployed the way its pipeline does it, with the credentials of the central role
`datalake-dev-datalake-infra-pipeline` (its provider assumes
`datalake-dev-datalake-infra-deploy` in dev), and the template ETL repository's
etl-sales-dev from its own folder with the sales pipeline's credentials. Every first
deploy must succeed in one pass and a second plan of every stack must be empty (the
pipeline stacks' made by each pipeline's own role, as its UpdatePipeline stage will).
Then a file arriving in raw follows the ETL trigger, the pipeline commands plan and
apply, the protected central stack refuses `destroy` and dev destroys.

moto does not evaluate IAM, trust or key policies: the role chain here proves the wiring
(names, accounts, state access path), and tests/test_iam_evaluation.py proves who may
do what by evaluating the same documents; here every call the emulator saw from a
deploy or pipeline role is evaluated the same way.
"""

from __future__ import annotations

import concurrent.futures
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from datalake_cdktf import naming
from datalake_cdktf.contract import CONTRACT_VERSION, DATALAKE_KEYS, SUPPORTED_VERSIONS

from tests.conftest import DEFAULT
from tests.support import checkov
from tests.support.emulator import Emulator, running_emulator
from tests.support.tools import terraform_binary, terraform_runner, unavailable

ROOT = Path(__file__).resolve().parents[1]
CENTRAL = DEFAULT.central.account_id
DEV = DEFAULT.environment("dev")
INFRA = DEFAULT.repositories.infrastructure
(SALES,) = DEFAULT.repositories.etl
PIPELINES = {naming.pipeline_stack_id(r.name, "dev"): r for r in (INFRA, SALES)}
"""Each repository's dev pipeline stack: applied first by an administrator, then its own."""
ORDER = ("central-bootstrap", "bootstrap-dev", *PIPELINES, "datalake-dev", "etl-sales-dev")
STEPS = ("deploy", "plan")
PIPELINE_APPLIED = {"datalake-dev": INFRA, "etl-sales-dev": SALES}
"""Stacks a pipeline applies (the others an administrator): stack -> repository."""


@pytest.fixture(scope="module")
def emulator():
    with running_emulator(CENTRAL) as running:
        yield running


@pytest.fixture(scope="module")
def admin_credentials(emulator: Emulator) -> dict[str, str]:
    """An administrator of the central account, who can assume each environment's admin role."""
    iam = emulator.client("iam", CENTRAL)
    iam.create_user(UserName="admin")
    key = iam.create_access_key(UserName="admin")["AccessKey"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    emulator.client("iam", DEV.account_id).create_role(
        RoleName=DEV.admin_role_name, AssumeRolePolicyDocument=json.dumps(trust)
    )
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


@pytest.fixture(scope="module")
def terraform(tmp_path_factory, emulator, admin_credentials):
    return terraform_runner(
        tmp_path_factory.mktemp("e2e-cli"), AWS_REGION="eu-west-1", **admin_credentials, **emulator.terraform_env()
    )


def pipeline_credentials(
    emulator: Emulator, admin: dict[str, str], repository, role: str | None = None
) -> dict[str, str]:
    """A session of ``repository``'s dev pipeline role (or of ``role``) in the central
    account, as CodeBuild gets it."""
    sts = emulator.client("sts", CENTRAL, key=admin["AWS_ACCESS_KEY_ID"], secret=admin["AWS_SECRET_ACCESS_KEY"])
    role = role or DEFAULT.pipeline_role_arn(DEV, repository)
    session = sts.assume_role(RoleArn=role, RoleSessionName="codebuild")["Credentials"]
    identity = emulator.client(
        "sts",
        CENTRAL,
        key=session["AccessKeyId"],
        secret=session["SecretAccessKey"],
        token=session["SessionToken"],
    ).get_caller_identity()
    assert identity["Arn"].startswith(role.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/")), identity
    return {
        "AWS_ACCESS_KEY_ID": session["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": session["SecretAccessKey"],
        "AWS_SESSION_TOKEN": session["SessionToken"],
    }


@dataclass
class Deployment:
    workdir: Path
    """The synthesized stacks, each deployed in its folder here (cdktf's output)."""
    results: dict[str, dict[str, subprocess.CompletedProcess]] = field(default_factory=dict)
    """Every step's result, by stack and step."""
    credentials: dict[str, dict[str, str] | None] = field(default_factory=dict)
    """The session each stack was deployed with (None: the administrator)."""
    timings: list[tuple[str, float]] = field(default_factory=list)


CLI = ROOT / "node_modules" / ".bin" / "cdktf"
DEPLOYS = (
    # (who, folder, stacks, extra flags): the runbook's commands, as people type them
    (None, ROOT, ("central-bootstrap",), ()),  # first apply: creates the state bucket (local state)
    (None, ROOT, ("central-bootstrap", "bootstrap-dev", "pipeline-*-dev"), ()),
    # as its pipeline, from the app the previous command synthesized (same config and folder)
    (INFRA, ROOT, ("datalake-dev",), ("--ignore-missing-stack-dependencies", "--skip-synth")),
    (SALES, ROOT / "etl-template", ("etl-sales-dev",), ()),  # from the template's own folder
)


def cdktf_deploy(
    terraform, profile: Path, folder: Path, out: Path, stacks, flags, env, log: Path
) -> subprocess.CompletedProcess:
    """``cdktf deploy <stacks> --auto-approve`` in ``folder`` with the emulator profile;
    its output (stderr merged) also goes to ``log``, each line with its time."""
    if not CLI.exists():
        unavailable("the cdktf CLI is not installed: run `make setup` (npm ci installs it from package-lock.json)")
    command = [str(CLI), "deploy", *stacks, "--auto-approve", "--output", str(out), *flags]
    # --skip-provider-lock: Terraform installs the provider from the local mirror and may
    # not ask the registry for other platforms' checksums (there is no network here).
    command += ["--skip-provider-lock", "--parallelism", "4"]
    env = {
        **terraform.env,
        **(env or {}),
        "DATALAKE_EMULATOR": str(profile),
        "DATALAKE_BOOTSTRAP_LOCAL_STATE": "1",  # central-bootstrap keeps its state on disk here
        "DATALAKE_DEPLOYMENT": str(ROOT / "envs"),  # the template reads the deployment from it
        "TERRAFORM_BINARY_NAME": terraform_binary(),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "FORCE_COLOR": "0",
        "CI": "1",  # cdktf's plain line-per-event output, as in a build log, on a terminal too
    }
    return run_logged(command, cwd=folder, env=env, log=log, timeout=1200)


def run_logged(
    command: list[str], *, cwd: Path, env: dict[str, str], log: Path, timeout: float
) -> subprocess.CompletedProcess:
    """``subprocess.run`` with stderr merged into stdout, killed after ``timeout`` seconds;
    each line also goes to ``log`` as it comes, with its seconds since the start (for
    when a step fails or is slow: the log is there even if the run is killed)."""
    started = time.monotonic()
    lines: list[str] = []
    log.parent.mkdir(parents=True, exist_ok=True)
    with (
        log.open("w") as stamped,
        subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as process,
    ):
        killer = threading.Timer(timeout, process.kill)
        killer.start()
        try:
            for line in process.stdout:
                lines.append(line)
                stamped.write(f"{time.monotonic() - started:7.1f}s {line}")
        finally:
            killer.cancel()
        returncode = process.wait()
    return subprocess.CompletedProcess(command, returncode, "".join(lines), "")


def selected(stacks: tuple[str, ...]) -> list[str]:
    """The stacks of ORDER that ``cdktf deploy <stacks>`` selects (its arguments are globs)."""
    return [s for s in ORDER if any(fnmatch.fnmatch(s, pattern) for pattern in stacks)]


@pytest.fixture(scope="module")
def deployed(emulator, terraform, admin_credentials, tmp_path_factory) -> Deployment:
    """Deploy dev with the runbook's ``cdktf deploy`` commands (DEPLOYS), in dependency
    order, each stack with the identity the runbook names; then plan each again.

    A stack's second plan starts as soon as the last command that deploys it has ended,
    and runs while the next command deploys (which spends most of its time in the
    provider's lifecycle wait, see README.md "The workflows on a laptop")."""
    base = tmp_path_factory.mktemp("e2e")
    profile = emulator.write_profile(base / "emulator.json")
    deployment = Deployment(base / "app" / "stacks")
    last_deploy = {stack_id: n for n, (_, _, stacks, _) in enumerate(DEPLOYS) for stack_id in selected(stacks)}

    def plan(stack_id: str) -> subprocess.CompletedProcess:
        env = deployment.credentials[stack_id]
        return terraform("plan", "-detailed-exitcode", "-input=false", cwd=deployment.workdir / stack_id, env=env)

    plans: dict[str, concurrent.futures.Future] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:  # independent: no locks shared
        for n, (repository, folder, stacks, flags) in enumerate(DEPLOYS):
            env = pipeline_credentials(emulator, admin_credentials, repository) if repository else None
            out = base / ("app" if folder == ROOT else "etl")
            step = f"cdktf deploy {' '.join(stacks)}"
            log = base / "logs" / f"{n + 1:02d}-{LOG_NAME.sub('-', step).strip('-')}.log"
            started = time.monotonic()
            result = cdktf_deploy(terraform, profile, folder, out, stacks, flags, env, log)
            deployment.timings.append((step, time.monotonic() - started))
            for stack_id in selected(stacks):
                deployment.credentials.setdefault(stack_id, env)
                deployment.results.setdefault(stack_id, {}).setdefault("deploy", result)  # its first deploy
            if out.name == "etl" and (out / "stacks" / "etl-sales-dev").is_dir():
                (deployment.workdir / "etl-sales-dev").symlink_to(out / "stacks" / "etl-sales-dev")
            if result.returncode != 0:
                break  # later stacks need these
            for stack_id in [s for s in selected(stacks) if last_deploy[s] == n]:
                if stack_id in PIPELINES:
                    # From now on the pipeline updates itself: its own role must read all of it.
                    credentials = pipeline_credentials(emulator, admin_credentials, PIPELINES[stack_id])
                    deployment.credentials[stack_id] = credentials
                plans[stack_id] = pool.submit(plan, stack_id)
        started = time.monotonic()
        for stack_id, planned in plans.items():
            deployment.results[stack_id]["plan"] = planned.result()
    deployment.timings.append(
        (
            "terraform plan -detailed-exitcode, every stack (waited for after the last deploy)",
            time.monotonic() - started,
        )
    )
    print("\n" + "\n".join(f"{seconds:7.1f} s  {step}" for step, seconds in deployment.timings))
    print(f"(each command's output: {base / 'logs'})")
    for stack_id, steps in deployment.results.items():
        applied = APPLIED.findall(steps["deploy"].stdout)
        added = dict(applied).get(stack_id, "?")
        second = steps["plan"].returncode if "plan" in steps else "not run"
        print(f"{stack_id:30} {added:>4} resources created, second plan: exit {second}")
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
    pipeline = emulator.client("iam", CENTRAL).get_role(RoleName=f"datalake-dev-{repository.name}-pipeline")["Role"]
    assert trusted == pipeline["Arn"] == DEFAULT.pipeline_role_arn(DEV, repository)


def test_the_data_lake_was_applied_through_the_pipeline_role_chain(deployed, emulator):
    """The state was written by the pipeline's session; the resources were created in dev."""
    assert deployed.credentials["datalake-dev"] is not None
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
    assert [s["name"] for s in pipeline["stages"]] == ["Source", "UpdatePipeline", "Test", "Plan", "Apply"]
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
    """An empty plan, a bucket replaced (its name changed) and a destroy, as the
    summary shows them to the approver: data-bearing replaces and destroys first."""
    env = deployed.credentials["datalake-dev"]
    live = deployed.workdir / "datalake-dev"
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

    risky = {(kind, address.split(".")[0]) for _, kind, address in destroyed.at_risk()}
    assert {("destroy", "aws_kms_key"), ("destroy", "aws_s3_bucket"), ("destroy", "aws_glue_catalog_database")} <= risky
    text = destroyed.markdown()
    assert text.index("Data at risk") < text.index("| stack |"), text
    assert "arn:aws:kms" not in text and DEV.account_id not in text, "addresses only, never values"


def deploy_command(terraform, env: dict[str, str], *args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    """The project's pipeline command (``python -m datalake_cdktf.deploy``), as a build runs it."""
    return subprocess.run(
        [sys.executable, "-m", "datalake_cdktf.deploy", *map(str, args)],
        cwd=cwd,
        env={**terraform.env, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def with_retention(source: Path, target: Path, days: int) -> Path:
    """A copy of a deployed stack folder whose log groups keep logs ``days`` days."""
    shutil.copytree(source, target, symlinks=True)
    stack = json.loads((target / "cdk.tf.json").read_text())
    for group in stack["resource"]["aws_cloudwatch_log_group"].values():
        group["retention_in_days"] = days
    (target / "cdk.tf.json").write_text(json.dumps(stack))
    return target


def test_the_pipeline_commands_find_drift_and_refuse_a_stale_plan(deployed, terraform, emulator, tmp_path):
    """The commands the buildspecs run, on the sales repository's stack with its
    pipeline's session (the same commands serve every repository): someone changes the
    log groups' retention by hand; drift finds it (exit 2); plan -> apply of exactly the
    saved plan puts it back, which makes a plan saved before it stale: that plan is
    refused, not re-planned; drift is quiet again (exit 0)."""
    stack_id = "etl-sales-dev"
    live = deployed.workdir / stack_id
    resources = json.loads((live / "cdk.tf.json").read_text())["resource"]
    retention = {g["name"]: g["retention_in_days"] for g in resources["aws_cloudwatch_log_group"].values()}

    def deploy(command: str, stacks: Path, *args: str | Path) -> subprocess.CompletedProcess:
        env = deployed.credentials[stack_id]
        return deploy_command(terraform, env, command, "--stack", stack_id, "--stacks-dir", stacks, *args, cwd=tmp_path)

    stale = with_retention(live, tmp_path / "stale" / stack_id, 400)
    planned = deploy("plan", stale.parent, "--out", tmp_path / "stale-plans")
    assert planned.returncode == 0, planned.stderr
    counts = (tmp_path / "stale-plans" / "counts.env").read_text()
    assert counts.startswith(f"ADD=0\nCHANGE={len(retention)}\n"), planned.stdout

    logs = emulator.client("logs", DEV.account_id)
    for group in retention:
        logs.put_retention_policy(logGroupName=group, retentionInDays=731)  # by hand, outside Terraform
    drifted = deploy("drift", deployed.workdir)
    assert drifted.returncode == 2 and f"drift in {stack_id}" in drifted.stdout, drifted.stdout + drifted.stderr

    assert deploy("plan", deployed.workdir, "--out", tmp_path / "plans").returncode == 0
    assert deploy("apply", deployed.workdir, "--plans", tmp_path / "plans").returncode == 0
    kept = {g["logGroupName"]: g.get("retentionInDays") for g in logs.describe_log_groups()["logGroups"]}
    assert {group: kept[group] for group in retention} == retention, kept

    refused = deploy("apply", stale.parent, "--plans", tmp_path / "stale-plans")
    assert refused.returncode != 0
    assert "Saved plan is stale" in refused.stderr, refused.stderr
    quiet = deploy("drift", deployed.workdir)
    assert quiet.returncode == 0 and "no drift" in quiet.stdout, quiet.stdout + quiet.stderr


def contract_reader(outdir: Path) -> Path:
    """An ETL repository's dev stack that reads the data lake's contract (as in the README)."""
    from datalake_cdktf import DataLakeContract, EtlStack, new_app

    app = new_app(outdir)
    stack = EtlStack(app, config=DEFAULT, environment=DEV, repository=SALES.name)
    DataLakeContract(stack, "lake", label=stack.label)
    app.synth()
    return outdir / "stacks" / stack.stack_id


def test_a_plan_against_an_unsupported_contract_version_is_refused(
    deployed, emulator, terraform, admin_credentials, tmp_path
):
    """The ETL stack plans through its own pipeline and deploy role; when the data lake
    publishes a contract version the library does not read, the plan fails and says why."""
    workdir = contract_reader(tmp_path / "out")
    override = emulator.provider_override()
    override.update(
        emulator.backend_override(json.loads((workdir / "cdk.tf.json").read_text())["terraform"]["backend"]["s3"])
    )
    (workdir / "zz_emulator_override.tf.json").write_text(json.dumps(override))
    env = pipeline_credentials(emulator, admin_credentials, SALES)
    assert terraform("init", "-input=false", cwd=workdir, env=env).returncode == 0
    supported = terraform("plan", "-input=false", cwd=workdir, env=env)
    assert supported.returncode == 0, output(supported)
    ssm = emulator.client("ssm", DEV.account_id)
    name = "/datalake/dev/datalake/contract/version"
    unsupported = max(SUPPORTED_VERSIONS) + 1
    ssm.put_parameter(Name=name, Value=str(unsupported), Type="String", Overwrite=True)
    try:
        refused = terraform("plan", "-input=false", cwd=workdir, env=env)
    finally:
        ssm.put_parameter(Name=name, Value=str(CONTRACT_VERSION), Type="String", Overwrite=True)
    assert refused.returncode != 0, output(refused)
    message = " ".join(refused.stderr.split())
    assert f"The dev data lake publishes SSM contract version {unsupported}" in message, output(refused)
    assert "Upgrade datalake-cdktf in this repository" in message, output(refused)


def changed_template(target: Path) -> Path:
    """The template ETL repository with the changes a team makes in a pull request: a new
    job (returns, raw -> conformed) and its Lambda helper renamed (its audit table with it)."""
    shutil.copytree(ROOT / "etl-template", target, ignore=shutil.ignore_patterns("cdktf.out", "__pycache__"))
    shutil.copy(target / "jobs" / "orders_conformed.py", target / "jobs" / "returns_conformed.py")
    config = (target / "etl.yaml").read_text()
    returns = (
        "  - name: returns-conformed\n"
        "    script: jobs/returns_conformed.py\n"
        "    extra_python_modules: [src/sales_transforms.py]\n"
        "    reads: [{zone: raw, prefix: sales/returns/}]\n"
        "    writes: [{zone: conformed, prefix: sales/returns/}]\n\n"
    )
    config = config.replace("\nworkflow:", "\n" + returns + "workflow:", 1).replace("validate-arrival", "validate-file")
    (target / "etl.yaml").write_text(config)
    return target


def test_a_pull_request_plan_of_a_changed_etl_repository(deployed, emulator, terraform, admin_credentials, tmp_path):
    """The pull-request workflow of another team's repository: its own `main.py
    --read-only`, then the pipeline's plan command with the pull-request build's session
    (through the read-only plan role in dev, no state lock). The Markdown summary names
    the stack and counts, calls out the audit table the rename destroys, only the new
    job's files are uploaded, and checkov finds nothing in the plan beyond what
    tests/checkov_skips.yaml accepts."""
    repository = changed_template(tmp_path / "sales")
    pull_request = pipeline_credentials(
        emulator, admin_credentials, SALES, role=DEFAULT.pull_request_role_arn(DEV, SALES)
    )
    profile = emulator.write_profile(tmp_path / "emulator.json")
    synth = subprocess.run(
        [sys.executable, "main.py", "--read-only"],
        cwd=repository,
        env={
            **os.environ,
            "DATALAKE_DEPLOYMENT": str(ROOT / "envs"),
            "DATALAKE_EMULATOR": str(profile),
            "CDKTF_OUTDIR": str(tmp_path / "out"),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert synth.returncode == 0, output(synth)
    before = len(emulator.calls)
    planned = deploy_command(
        terraform,
        pull_request,
        "plan",
        "--read-only",
        "--stack",
        "etl-sales-dev",
        "--stacks-dir",
        tmp_path / "out" / "stacks",
        "--out",
        tmp_path / "plans",
        cwd=tmp_path,
    )
    assert planned.returncode == 0, output(planned)
    summary = (tmp_path / "plans" / "summary.md").read_text()
    counts = dict(line.split("=", 1) for line in (tmp_path / "plans" / "counts.env").read_text().split())
    # the new job: its script object, role, policy and job; the renamed helper's pieces
    assert int(counts["ADD"]) >= 4 and int(counts["DESTROY"]) >= 1, counts
    assert "etl-sales-dev" in summary and "Data at risk" in summary, summary
    at_risk = summary[summary.index("Data at risk") : summary.index("| stack |")]
    assert "aws_dynamodb_table" in at_risk and "destroy" in at_risk, summary

    # The new job's files are uploaded; the files that did not change are not uploaded again.
    plan = json.loads((tmp_path / "plans" / "etl-sales-dev.json").read_text())
    objects = [c["change"] for c in plan["resource_changes"] if c["type"] == "aws_s3_object"]
    changed = sorted((c["actions"][0], c["after"]["key"]) for c in objects if c["actions"] != ["no-op"])
    assert changed and all(action == "create" and "/returns-conformed/" in key for action, key in changed), changed
    assert len(objects) > len(changed), "the existing jobs' files are in the plan, unchanged"

    # The plan was made as the plan role, which only reads.
    plan_session = DEFAULT.plan_role_arn(DEV, SALES).replace(":iam::", ":sts::").replace(":role/", ":assumed-role/")
    made = {c.action for c in emulator.calls[before:] if c.principal.startswith(plan_session + "/")}
    assert made, "the plan went through the plan role"
    writes = sorted(a for a in made if a.split(":")[1].startswith(("Put", "Create", "Delete", "Update", "Tag")))
    assert not writes, writes

    report, stderr = checkov.scan("-f", str(tmp_path / "plans" / "etl-sales-dev.json"), framework="terraform_plan")
    assert report["summary"]["passed"] > 50 and report["summary"]["parsing_errors"] == 0, stderr[-3000:]
    accepted = checkov.skips()
    unexpected = [
        f"{c['check_id']} {c['resource']}: {c['check_name']}"
        for c in report["results"]["failed_checks"]
        if not checkov.accepted_in_plan(accepted, c["check_id"], "etl-sales-dev", c["resource"])
    ]
    assert not unexpected, "\n".join(unexpected)


def test_protected_central_bootstrap_refuses_to_be_destroyed(deployed, terraform, emulator):
    workdir = deployed.workdir / "central-bootstrap"
    # prevent_destroy refuses while planning, from the configuration: no need to refresh
    result = terraform("destroy", "-auto-approve", "-input=false", "-refresh=false", cwd=workdir)
    assert result.returncode != 0, output(result)
    assert "Instance cannot be destroyed" in result.stderr, output(result)
    emulator.client("s3", CENTRAL).head_bucket(Bucket=DEFAULT.state_bucket)


def test_unprotected_dev_data_lake_destroys_completely(deployed, terraform, emulator):
    """The ETL stack first (through its own deploy role), then the data lake it builds on."""
    # Without refreshing: the second plans and the drift checks compared state and emulator already.
    etl = terraform(
        "destroy",
        "-auto-approve",
        "-input=false",
        "-refresh=false",
        cwd=deployed.workdir / "etl-sales-dev",
        env=deployed.credentials["etl-sales-dev"],
    )
    assert etl.returncode == 0, output(etl)
    assert not emulator.client("glue", DEV.account_id).get_jobs()["Jobs"]
    workdir = deployed.workdir / "datalake-dev"
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

# moto names some S3 calls by their API, IAM by its action.
S3_API_TO_IAM = {
    "s3:HeadBucket": "s3:ListBucket",
    "s3:HeadObject": "s3:GetObject",
    "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "s3:PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "s3:DeletePublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "s3:GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "s3:PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "s3:GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "s3:PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "s3:GetBucketNotificationConfiguration": "s3:GetBucketNotification",
    "s3:PutBucketNotificationConfiguration": "s3:PutBucketNotification",
    "s3:DeleteBucketLifecycle": "s3:PutLifecycleConfiguration",
    "s3:DeleteBucketEncryption": "s3:PutEncryptionConfiguration",
    "s3:DeleteBucketOwnershipControls": "s3:PutBucketOwnershipControls",
    "s3:DeleteBucketTagging": "s3:PutBucketTagging",
    "s3:DeleteObjects": "s3:DeleteObject",
}
# ... and CloudWatch by its endpoint's name.
SERVICE_TO_IAM = {"monitoring": "cloudwatch"}


def iam_action(action: str) -> str:
    service, name = action.split(":", 1)
    return S3_API_TO_IAM.get(action, f"{SERVICE_TO_IAM.get(service, service)}:{name}")


@pytest.mark.parametrize(("repository", "least"), [(INFRA, 50), (SALES, 30)], ids=["datalake-dev", "etl-sales-dev"])
def test_every_call_the_deploy_role_made_is_allowed_by_its_policies(deployed, emulator, all_stacks, repository, least):
    """Least privilege that still works: the emulator recorded every call Terraform made
    as the repository's deploy role (apply, plan and destroy of its dev stack); the IAM
    evaluator must allow each one, with the role's policies and boundary."""
    from tests.support.iam import AccessModel

    model = AccessModel.from_stacks(all_stacks, {env.account_id: env.admin_role_name for env in DEFAULT.environments})
    role = DEFAULT.deploy_role_arn(DEV, repository)
    data_key = model.key_arn(naming.kms_alias_arn(DEV.account_id, DEV.region, DEFAULT.label(DEV).kms_alias("data")))
    session = role.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/"
    calls = {
        (iam_action(c.action), c.resource, c.context)
        for c in emulator.calls
        if c.principal.startswith(session) and c.action not in REFUSAL_TOLERATED
    }
    assert len(calls) > least, f"the deploy role made {len(calls)} distinct calls: was it used?"

    def allowed(action: str, resource: str, context: tuple) -> bool:
        if resource != "*":
            return model.can(role, action, resource, **dict(context))
        data_key_context = {"kms:ResourceAliases": [DEFAULT.label(DEV).kms_alias("data")], **dict(context)}
        if action.startswith("kms:") and model.can(role, action, data_key, **data_key_context):
            return True  # the emulator does not say which key; these stacks use only the data key
        return model.can_somewhere(role, action, **dict(context))

    denied = sorted(f"{a} on {r} {dict(c) or ''}" for a, r, c in calls if not allowed(a, r, c))
    assert not denied, "the deploy role's policies do not allow:\n" + "\n".join(denied)


def test_every_call_a_pipeline_role_made_is_allowed_by_its_policies(deployed, emulator, stacks):
    """The pipelines' own roles, as the emulator saw them: state reads and writes for
    datalake-dev, and the refresh of each pipeline stack (its UpdatePipeline stage). The
    IAM evaluator must allow every call with the role's policies. (CodeBuild and CodeStar
    calls are answered by the harness's fakes and not recorded.)"""
    from tests.support.iam import AccessModel

    model = AccessModel.from_stacks(stacks, {env.account_id: env.admin_role_name for env in DEFAULT.environments})
    for repository in (INFRA, SALES):
        role = DEFAULT.pipeline_role_arn(DEV, repository)
        session = role.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/"
        calls = {
            (iam_action(c.action), c.resource, c.context)
            for c in emulator.calls
            if c.principal.startswith(session) and c.action not in REFUSAL_TOLERATED
        }
        services = {action.split(":")[0] for action, _, _ in calls}
        assert {"codepipeline", "events", "logs", "s3", "sns"} <= services, (repository.name, sorted(services))

        def allowed(action: str, resource: str, context: tuple, role: str = role) -> bool:
            if resource != "*":
                return model.can(role, action, resource, **dict(context))
            return model.can_somewhere(role, action, **dict(context))

        denied = sorted(f"{a} on {r} {dict(c) or ''}" for a, r, c in calls if not allowed(a, r, c))
        assert not denied, f"{role}'s policies do not allow:\n" + "\n".join(denied)
