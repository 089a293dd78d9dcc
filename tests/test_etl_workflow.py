"""The template ETL repository's workflow, trigger, Lambda helper and alerts, as
synthesized for each environment: shape where shape is the point, evaluation for access."""

from __future__ import annotations

import json
import subprocess
import zipfile

import pytest
from datalake_cdktf.config.etl import load_etl_config
from datalake_cdktf.constructs.lambda_function import build_package

from tests.conftest import DEFAULT
from tests.support.synth import ETL_TEMPLATE
from tests.support.tools import asl_validator

ETL = load_etl_config(ETL_TEMPLATE / "etl.yaml")


@pytest.fixture
def etl(etl_stacks, env):
    return etl_stacks[f"etl-sales-{env.name}"]


@pytest.fixture(scope="module")
def model(all_stacks):
    from tests.support.iam import AccessModel

    return AccessModel.from_stacks(all_stacks, {e.account_id: e.admin_role_name for e in DEFAULT.environments})


def arn(env, service: str, resource: str) -> str:
    return f"arn:aws:{service}:{env.region}:{env.account_id}:{resource}"


def role(env, name: str) -> str:
    return f"arn:aws:iam::{env.account_id}:role/datalake-{env.name}-sales-{name}"


def definition(etl) -> dict:
    (machine,) = etl.resources("aws_sfn_state_machine").values()
    return json.loads(machine["definition"])


def test_every_state_machine_definition_passes_the_asl_validator(etl_stacks, tmp_path):
    command = asl_validator()
    paths = []
    for stack in etl_stacks.values():
        for name, machine in stack.resources("aws_sfn_state_machine").items():
            path = tmp_path / f"{stack.stack_id}-{name}.json"
            path.write_text(machine["definition"])
            paths += ["--json-path", str(path)]
    assert paths
    result = subprocess.run([*command, *paths], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_asl_validator_refuses_a_broken_definition(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"StartAt": "Missing", "States": {"Run": {"Type": "Pass", "End": True}}}))
    result = subprocess.run([*asl_validator(), "--json-path", str(broken)], capture_output=True, text=True)
    assert result.returncode != 0


def test_the_workflow_validates_then_runs_the_jobs_in_order(etl, env):
    states = definition(etl)["States"]
    assert definition(etl)["StartAt"] == "Validate"
    assert states["Validate"]["Parameters"]["FunctionName"] == f"datalake-{env.name}-sales-validate-arrival"
    accepted = states["Accepted?"]
    assert accepted["Choices"] == [
        {
            "Variable": "$.validation.status",
            "StringEquals": "ACCEPTED",
            "Next": "Run " + f"datalake-{env.name}-sales-orders-conformed",
        }
    ]
    assert states[accepted["Default"]]["Next"] == "Rejected" and states["Rejected"]["Type"] == "Fail"
    first, second = (f"Run datalake-{env.name}-sales-{job}" for job in ("orders-conformed", "daily-sales"))
    assert states[first]["Next"] == second and states[second]["End"] is True
    for step in (first, second):
        task = states[step]
        assert task["Resource"] == "arn:aws:states:::glue:startJobRun.sync", "waits for the job"
        (retry,) = task["Retry"]
        assert retry["MaxAttempts"] == ETL.workflow.retries and retry["BackoffRate"] > 1
        (catch,) = task["Catch"]
        assert catch["Next"] == "NotifyFailure"
    notify = states["NotifyFailure"]
    assert notify["Parameters"]["TopicArn"] == arn(env, "sns", f"datalake-{env.name}-sales-alerts")
    assert notify["Next"] == "Failed" and states["Failed"]["Type"] == "Fail"


def test_every_step_is_logged_encrypted_and_traced_without_job_results(etl, env):
    (machine,) = etl.resources("aws_sfn_state_machine").values()
    logging = machine["logging_configuration"]
    assert logging["include_execution_data"] is True and logging["level"] == "ALL"
    assert machine["tracing_configuration"] == {"enabled": True}
    job_steps = [s for s in definition(etl)["States"].values() if s.get("Resource", "").endswith("startJobRun.sync")]
    assert job_steps and all(s["ResultPath"] is None for s in job_steps), "job results stay out of the log"
    group = etl.resource("aws_cloudwatch_log_group", "etl/workflow/logs")
    assert group["name"] == f"/datalake/{env.name}/sales/states/workflow" and group["kms_key_id"]


def test_objects_created_under_the_raw_prefix_start_the_workflow(etl, env):
    rule = etl.resource("aws_cloudwatch_event_rule", "etl/workflow/trigger")
    pattern = json.loads(rule["event_pattern"])
    assert pattern == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {
            "bucket": {"name": [f"datalake-{env.name}-raw-{env.account_id}-{env.region}"]},
            "object": {"key": [{"prefix": "sales/orders/"}]},
        },
    }
    target = etl.resource("aws_cloudwatch_event_target", "etl/workflow/trigger-target")
    assert target["arn"] == etl.ref("aws_sfn_state_machine", "etl/workflow/workflow", "arn")
    assert target["input_transformer"]["input_paths"] == {
        "bucket": "$.detail.bucket.name",
        "key": "$.detail.object.key",
    }


def test_the_raw_bucket_sends_its_events_to_eventbridge(stacks, env):
    notification = stacks[f"datalake-{env.name}"].resource("aws_s3_bucket_notification", "raw/notifications")
    assert notification["eventbridge"] is True


def test_failures_reach_the_encrypted_alerts_topic(etl, env):
    topic = etl.resource("aws_sns_topic", "etl/workflow/alerts")
    assert (
        topic["kms_master_key_id"]
        == "${data.aws_ssm_parameter."
        + next(n for n, p in etl.json["data"]["aws_ssm_parameter"].items() if p["name"].endswith("/kms/key-arn"))
        + ".insecure_value}"
    )
    topic_ref = etl.ref("aws_sns_topic", "etl/workflow/alerts", "arn")
    alarms = {a["alarm_name"]: a for a in etl.resources("aws_cloudwatch_metric_alarm").values()}
    assert set(alarms) == {
        f"datalake-{env.name}-sales-workflow-failed",
        f"datalake-{env.name}-sales-validate-arrival-errors",
    }
    assert all(a["alarm_actions"] == [topic_ref] for a in alarms.values())
    rule = json.loads(etl.resource("aws_cloudwatch_event_rule", "etl/workflow/job-failures")["event_pattern"])
    assert sorted(rule["detail"]["jobName"]) == sorted(f"datalake-{env.name}-sales-{j.name}" for j in ETL.jobs)
    assert etl.resource("aws_cloudwatch_event_target", "etl/workflow/job-failures-target")["arn"] == topic_ref


def test_the_data_key_lets_alarms_and_rules_of_its_account_publish_to_encrypted_topics(stacks, env):
    key = stacks[f"datalake-{env.name}"].resource("aws_kms_key", "data-key/key")
    (grant,) = [
        s for s in json.loads(key["policy"])["Statement"] if s.get("Sid") == "AlarmsAndRulesPublishToEncryptedTopics"
    ]
    assert grant["Condition"] == {"StringEquals": {"aws:SourceAccount": env.account_id}}
    assert sorted(grant["Principal"]["Service"]) == ["cloudwatch.amazonaws.com", "events.amazonaws.com"]


def test_the_workflow_role_runs_only_this_repositorys_jobs_and_validator(model, env):
    workflow = role(env, "workflow")
    for job in ("orders-conformed", "daily-sales"):
        assert model.can(workflow, "glue:StartJobRun", arn(env, "glue", f"job/datalake-{env.name}-sales-{job}"))
    assert not model.can(workflow, "glue:StartJobRun", arn(env, "glue", f"job/datalake-{env.name}-other-load"))
    assert model.can(
        workflow, "lambda:InvokeFunction", arn(env, "lambda", f"function:datalake-{env.name}-sales-validate-arrival")
    )
    assert not model.can(workflow, "lambda:InvokeFunction", arn(env, "lambda", f"function:datalake-{env.name}-other-x"))
    assert model.can(workflow, "sns:Publish", arn(env, "sns", f"datalake-{env.name}-sales-alerts"))
    assert not model.can(workflow, "sns:Publish", arn(env, "sns", f"datalake-{env.name}-other-alerts"))
    assert not model.can(
        workflow,
        "s3:GetObject",
        f"arn:aws:s3:::datalake-{env.name}-raw-{env.account_id}-{env.region}/sales/orders/a.csv",
    )
    assert not model.can(workflow, "iam:PutRolePolicy", role(env, "workflow"))
    assert not model.can(workflow, "iam:CreatePolicyVersion", DEFAULT.boundary_arn(env, DEFAULT.repositories.etl[0]))
    from datalake_cdktf import naming

    key = model.key_arn(
        naming.kms_alias_arn(account_id=env.account_id, region=env.region, alias=f"alias/datalake-{env.name}-data")
    )
    aliases = {"kms:ResourceAliases": [f"alias/datalake-{env.name}-data"]}
    assert model.can(workflow, "kms:GenerateDataKey", key, **aliases), "publishes to the encrypted topic"
    assert not model.can(
        workflow, "kms:GenerateDataKey", key.rsplit("/", 1)[0] + "/other", **{"kms:ResourceAliases": ["alias/x"]}
    )
    trigger = role(env, "trigger")
    assert model.can(
        trigger, "states:StartExecution", arn(env, "states", f"stateMachine:datalake-{env.name}-sales-workflow")
    )
    assert not model.can(
        trigger, "states:StartExecution", arn(env, "states", f"stateMachine:datalake-{env.name}-other-workflow")
    )


def test_the_validator_reads_only_arriving_files_and_writes_only_its_audit_table(model, env):
    validator = role(env, "validate-arrival")
    raw = f"arn:aws:s3:::datalake-{env.name}-raw-{env.account_id}-{env.region}"
    assert model.can(validator, "s3:GetObject", f"{raw}/sales/orders/2026-11-27.csv")
    assert not model.can(validator, "s3:GetObject", f"{raw}/hr/people.csv")
    assert not model.can(validator, "s3:PutObject", f"{raw}/sales/orders/2026-11-27.csv")
    table = arn(env, "dynamodb", f"table/datalake-{env.name}-sales-validate-arrival")
    assert model.can(validator, "dynamodb:PutItem", table)
    assert not model.can(validator, "dynamodb:DeleteItem", table)
    assert not model.can(validator, "dynamodb:PutItem", arn(env, "dynamodb", f"table/datalake-{env.name}-other-audit"))


def test_the_audit_table_is_encrypted_recoverable_and_protected_where_data_is(etl, env):
    table = etl.resource("aws_dynamodb_table", "etl/lambda-validate-arrival/audit")
    assert table["server_side_encryption"] == {"enabled": True}  # KMS, the AWS managed key
    assert table["point_in_time_recovery"] == {"enabled": True}
    assert table["deletion_protection_enabled"] is env.protect_data
    function = etl.resource("aws_lambda_function", "etl/lambda-validate-arrival/function")
    assert function["environment"]["variables"] == {"AUDIT_TABLE": table["name"]}
    assert function["logging_config"]["log_group"] == etl.ref(
        "aws_cloudwatch_log_group", "etl/lambda-validate-arrival/logs", "name"
    )
    assert (etl.directory / function["filename"]).is_file()
    assert function["tracing_config"] == {"mode": "Active"} and function["reserved_concurrent_executions"] == 5


def test_lambda_packages_are_reproducible_and_leave_caches_out(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "handler.py").write_text("def handle(event, context):\n    return event\n")
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"cache")
    first = build_package(source, tmp_path / "a.zip")
    (source / "handler.py").touch()  # a new modification time changes nothing
    second = build_package(source, tmp_path / "b.zip")
    assert first == second and (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    assert zipfile.ZipFile(tmp_path / "a.zip").namelist() == ["handler.py"]
    (source / "handler.py").write_text("def handle(event, context):\n    return None\n")
    assert build_package(source, tmp_path / "c.zip") != first
