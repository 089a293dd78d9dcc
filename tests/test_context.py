"""One repository in one environment (``datalake_cdktf.context``): its names and ARNs are
the deployment's, its builders take keyword arguments, and the roles of its ETL
constructs (``datalake_cdktf.iam.etl_roles``) reach what their job declares, no more."""

from __future__ import annotations

import dataclasses
import json

import pytest
from datalake_cdktf import tags
from datalake_cdktf.config.etl import Job
from datalake_cdktf.context import RepositoryContext
from datalake_cdktf.iam.etl_roles import function_role, glue_job_role, service_role_trust, state_machine_role
from datalake_cdktf.iam.statements import document
from datalake_cdktf.naming import Label, NamingError

from tests.conftest import DEFAULT

(SALES,) = DEFAULT.repositories.etl


@pytest.fixture
def context(env) -> RepositoryContext:
    return DEFAULT.repository_context(env, SALES)


def test_the_context_derives_the_arns_the_deployment_does(env, context):
    assert context.boundary_arn == DEFAULT.boundary_arn(env, SALES)
    assert context.deploy_role_arn == DEFAULT.deploy_role_arn(env, SALES)
    assert context.plan_role_arn == DEFAULT.plan_role_arn(env, SALES)
    assert (context.label, context.account_id, context.region) == (DEFAULT.label(env), env.account_id, env.region)


def test_the_context_tags_as_the_repository_s_stacks_do(env, context):
    expected = tags.resource_tags(DEFAULT.tags, project=DEFAULT.project.name, stage=env.name, repository="sales")
    assert dict(context.tags) == expected and context.tags[tags.OWNER] == "sales", context.tags


def test_the_context_s_names_are_the_label_s(env, context):
    label = DEFAULT.label(env)
    assert context.name("workflow") == label.name("sales", "workflow") == f"datalake-{env.name}-sales-workflow"
    assert context.role_name("orders") == label.role("sales", "orders")
    assert context.function_name(name="check") == label.function("sales", "check")
    assert context.bucket(purpose="raw") == label.bucket("raw", env.account_id, env.region)
    assert context.secret_name(name="api") == f"datalake/{env.name}/sales/api"
    assert context.log_group("lambda", "check") == f"/datalake/{env.name}/sales/lambda/check"
    assert context.data_key_alias == f"alias/datalake-{env.name}-data"
    assert context.job_files_prefix(job="orders") == "sales/jobs/orders/"
    assert context.job_temporary_prefix(job="orders") == "sales/tmp/orders/"


def test_the_builders_take_keyword_arguments_only(context):
    """Two strings cannot swap places unnoticed (the ARN helpers of naming.py disagree on order)."""
    for call in (
        lambda: context.arn("glue", "catalog"),
        lambda: context.role_arn("x"),
        lambda: context.bucket("raw"),
        lambda: context.kms_alias_arn("alias/x"),
        lambda: RepositoryContext(Label("datalake", "dev"), "sales", "111111111111", "eu-west-1"),
    ):
        with pytest.raises(TypeError):
            call()
    assert context.arn(service="glue", resource="catalog") == (
        f"arn:aws:glue:{context.region}:{context.account_id}:catalog"
    )


def test_a_name_too_long_for_its_service_fails_as_the_label_does():
    context = RepositoryContext(
        label=Label("datalake", "dev"), repository="a" * 40, account_id="111111111111", region="eu-west-1"
    )
    with pytest.raises(NamingError, match="IAM role name"):
        context.role_name("a-long-job-name")


def test_the_context_is_frozen(context):
    with pytest.raises(dataclasses.FrozenInstanceError):
        context.region = "us-east-1"


# The roles' permissions, asked of an evaluator


@pytest.fixture
def model(env):
    from tests.support.iam import AccessModel

    model = AccessModel()
    model.regions[env.account_id] = env.region
    return model


def job_role(model, context: RepositoryContext, job: Job, connections=()) -> str:
    arn = context.role_arn(name=context.role_name(job.name))
    model.add_role(
        arn,
        trust=json.loads(document(service_role_trust(context, service="glue", sid="GlueOfThisAccount"))),
        policies=[json.loads(document(*glue_job_role(context, job, connections=connections)))],
    )
    return arn


ORDERS = Job(
    name="orders",
    script="orders.py",
    reads=({"zone": "raw", "prefix": "sales/orders/"},),
    writes=({"zone": "conformed", "prefix": "sales/orders/"},),
    secrets=("api",),
)


def test_a_job_role_reads_what_it_reads_and_writes_what_it_writes(model, context):
    role = job_role(model, context, ORDERS)
    raw, conformed = context.bucket_arn(purpose="raw"), context.bucket_arn(purpose="conformed")
    assert model.can(role, "s3:GetObject", f"{raw}/sales/orders/2026/x.csv")
    assert not model.can(role, "s3:PutObject", f"{raw}/sales/orders/2026/x.csv"), "reads only its inputs"
    assert not model.can(role, "s3:GetObject", f"{raw}/marketing/x.csv"), "no other prefix"
    assert model.can(role, "s3:PutObject", f"{conformed}/sales/orders/part-0.parquet")
    database = context.glue_database(zone="conformed")
    table = context.arn(service="glue", resource=f"table/{database}/orders")
    assert model.can(role, "glue:CreateTable", table)
    raw_table = context.arn(service="glue", resource=f"table/{context.glue_database(zone='raw')}/orders")
    assert model.can(role, "glue:GetTable", raw_table) and not model.can(role, "glue:CreateTable", raw_table)
    secret = context.arn(service="secretsmanager", resource=f"secret:{context.secret_name(name='api')}-AbCdEf")
    assert model.can(role, "secretsmanager:GetSecretValue", secret)
    other = context.arn(service="secretsmanager", resource=f"secret:{context.secret_name(name='other')}-AbCdEf")
    assert not model.can(role, "secretsmanager:GetSecretValue", other)


def test_a_job_role_manages_network_interfaces_only_with_its_connections(model, context):
    interface = context.arn(service="ec2", resource="network-interface/eni-0123456789abcdef0")
    connection = context.glue_connection(availability_zone=f"{context.region}a")
    outside = job_role(model, context, ORDERS)
    inside = job_role(model, context, ORDERS.model_copy(update={"name": "inside"}), connections=(connection,))
    assert not model.can(outside, "ec2:CreateNetworkInterface", interface)
    assert model.can(inside, "ec2:CreateNetworkInterface", interface)
    assert model.can(inside, "glue:GetConnection", context.arn(service="glue", resource=f"connection/{connection}"))


def test_a_function_role_writes_its_own_log_group_and_audit_table_only(model, context):
    role = context.role_arn(name=context.role_name("check"))
    group, table = context.log_group("lambda", "check"), context.function_name(name="check")
    statements = function_role(context, log_group=group, audit_table=table)
    model.add_role(role, trust={}, policies=[json.loads(document(*statements))])
    stream = context.arn(service="logs", resource=f"log-group:{group}:log-stream:x")
    assert model.can(role, "logs:PutLogEvents", stream)
    assert not model.can(role, "logs:PutLogEvents", context.arn(service="logs", resource="log-group:/other:x"))
    assert model.can(role, "dynamodb:PutItem", context.arn(service="dynamodb", resource=f"table/{table}"))
    assert not model.can(role, "dynamodb:DeleteItem", context.arn(service="dynamodb", resource=f"table/{table}"))


def test_the_state_machine_runs_exactly_its_jobs(model, context):
    role = context.role_arn(name=context.name("workflow"))
    topic = context.arn(service="sns", resource=context.name("alerts"))
    statements = state_machine_role(context, jobs=[context.name("orders")], topic_arn=topic)
    model.add_role(role, trust={}, policies=[json.loads(document(*statements))])
    job = context.arn(service="glue", resource=f"job/{context.name('orders')}")
    assert model.can(role, "glue:StartJobRun", job)
    assert not model.can(role, "glue:StartJobRun", context.arn(service="glue", resource="job/other"))
    assert model.can(role, "sns:Publish", topic)
    function = context.arn(service="lambda", resource=f"function:{context.name('check')}")
    assert not model.can(role, "lambda:InvokeFunction", function), "no validator: no function"
