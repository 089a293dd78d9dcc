"""One label builds every physical name: formats as documented, AWS limits enforced."""

from __future__ import annotations

import pytest
from datalake_cdktf.naming import (
    CENTRAL_STAGE,
    IAM_POLICY_MAX,
    IAM_ROLE_MAX,
    S3_BUCKET_MAX,
    Label,
    NamingError,
    account_root_arn,
    partition,
    role_arn,
    state_key,
)

DEV = Label("datalake", "dev")
ACCOUNT = "222222222222"
REGION = "eu-west-1"


@pytest.mark.parametrize(
    ("built", "expected"),
    [
        pytest.param(DEV.name(), "datalake-dev", id="name"),
        pytest.param(DEV.name("etl", "sales"), "datalake-dev-etl-sales", id="name-attributes"),
        pytest.param(Label("DataLake", "Dev").name("Raw"), "datalake-dev-raw", id="name-lower-case"),
        pytest.param(DEV.bucket("raw", ACCOUNT, REGION), "datalake-dev-raw-222222222222-eu-west-1", id="bucket"),
        pytest.param(DEV.role("glue", "crawler"), "datalake-dev-glue-crawler", id="role"),
        pytest.param(DEV.policy("read", "raw"), "datalake-dev-read-raw", id="policy"),
        pytest.param(DEV.kms_alias("data"), "alias/datalake-dev-data", id="kms-alias"),
        pytest.param(DEV.glue_database("purpose-built"), "datalake_dev_purpose_built", id="glue-database"),
        pytest.param(DEV.ssm_path("outputs", "raw_bucket"), "/datalake/dev/outputs/raw_bucket", id="ssm-path"),
        pytest.param(DEV.deploy_role("sales"), "datalake-dev-sales-deploy", id="deploy-role"),
        pytest.param(DEV.deploy_policy("sales"), "datalake-dev-sales-deploy", id="deploy-policy"),
        pytest.param(DEV.boundary_policy("sales"), "datalake-dev-sales-boundary", id="boundary"),
        pytest.param(DEV.pipeline_role("sales"), "datalake-dev-sales-pipeline", id="pipeline-role"),
        pytest.param(DEV.repository_prefix("sales"), "datalake-dev-sales-", id="repository-prefix"),
        pytest.param(DEV.log_group_path("sales"), "/datalake/dev/sales/", id="log-group-path"),
        pytest.param(DEV.secret_path("sales"), "datalake/dev/sales/", id="secret-path"),
        pytest.param(DEV.flow_log_group(), "/aws/vpc/datalake-dev/flow-logs", id="flow-log-group"),
        pytest.param(
            DEV.pipeline_bucket("sales", "111111111111"), "datalake-dev-sales-ci-111111111111", id="ci-bucket"
        ),
        pytest.param(Label("datalake", CENTRAL_STAGE).name(), "datalake-central", id="central-stage"),
    ],
)
def test_name_formats(built, expected):
    assert built == expected


def _namespace_for_bucket_of_length(length: int) -> str:
    suffix = len(Label("", "dev").name("raw", ACCOUNT, REGION))  # "-dev-raw-<account>-<region>"
    return "a" * (length - suffix)


def test_bucket_name_may_have_63_characters():
    name = Label(_namespace_for_bucket_of_length(S3_BUCKET_MAX), "dev").bucket("raw", ACCOUNT, REGION)
    assert len(name) == S3_BUCKET_MAX == 63


def test_bucket_name_over_63_characters_is_refused():
    label = Label(_namespace_for_bucket_of_length(S3_BUCKET_MAX + 1), "dev")
    with pytest.raises(NamingError, match=r"S3 bucket name '.*' is 64 characters; the limit is 63"):
        label.bucket("raw", ACCOUNT, REGION)


def test_bucket_name_with_underscore_is_refused():
    with pytest.raises(NamingError, match="characters S3 bucket names do not allow"):
        Label("data_lake", "dev").bucket("raw", ACCOUNT, REGION)


def test_role_name_may_have_64_characters():
    attribute = "r" * (IAM_ROLE_MAX - len(DEV.name("")))
    assert len(DEV.role(attribute)) == IAM_ROLE_MAX == 64


@pytest.mark.parametrize(
    "build", [DEV.role, DEV.pipeline_role, DEV.deploy_role], ids=["role", "pipeline-role", "deploy-role"]
)
def test_role_name_over_64_characters_is_refused(build):
    with pytest.raises(NamingError, match=r"IAM role name '.*' is \d+ characters; the limit is 64"):
        build("r" * (IAM_ROLE_MAX - len(DEV.name())))


def test_policy_name_over_128_characters_is_refused():
    assert len(DEV.policy("p" * (IAM_POLICY_MAX - len(DEV.name(""))))) == IAM_POLICY_MAX
    with pytest.raises(NamingError, match="the limit is 128"):
        DEV.policy("p" * (IAM_POLICY_MAX - len(DEV.name("")) + 1))


def test_naming_error_is_a_value_error():
    """So a name built inside a pydantic validator becomes a located config error."""
    assert issubclass(NamingError, ValueError)


def test_state_key():
    assert state_key("datalake-dev") == "datalake-dev/terraform.tfstate"


@pytest.mark.parametrize(
    ("region", "expected"),
    [("us-gov-west-1", "aws-us-gov"), ("cn-north-1", "aws-cn"), ("eu-west-1", "aws"), ("us-east-1", "aws")],
)
def test_partition(region, expected):
    assert partition(region) == expected


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("eu-west-1", "arn:aws:iam::222222222222:role/datalake-dev-sales-deploy"),
        ("us-gov-west-1", "arn:aws-us-gov:iam::222222222222:role/datalake-dev-sales-deploy"),
        ("cn-north-1", "arn:aws-cn:iam::222222222222:role/datalake-dev-sales-deploy"),
    ],
)
def test_role_arn(region, expected):
    assert role_arn(account_id=ACCOUNT, role_name=DEV.deploy_role("sales"), region=region) == expected


def test_account_root_arn():
    assert account_root_arn(account_id=ACCOUNT, region=REGION) == "arn:aws:iam::222222222222:root"
