"""The arrival check against the emulator (moto's S3 and DynamoDB): good and bad files."""

from __future__ import annotations

import os

import boto3
import handler
import pytest
from moto import mock_aws

BUCKET, TABLE = "datalake-dev-raw-222222222222-eu-west-1", "datalake-dev-sales-validate-arrival"
GOOD = b"order_id,order_ts,customer_id,country,amount,currency\no-1,2026-11-27 09:15:00,c-1,DE,1.00,EUR\n"


@pytest.fixture
def aws(monkeypatch, tmp_path):
    # moto answers calls to AWS's own endpoints only: nothing of the environment the tests
    # run in (a build's endpoint URL, profile, credentials or config file) may point the
    # clients elsewhere.
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AUDIT_TABLE", TABLE)
    with mock_aws():
        s3, dynamodb = boto3.client("s3"), boto3.client("dynamodb")
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "object_key", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "object_key", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield s3, dynamodb


def arrive(aws, key: str, body: bytes) -> dict:
    s3, dynamodb = aws
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    result = handler.handle({"bucket": BUCKET, "key": key}, s3=s3, dynamodb=dynamodb)
    item = dynamodb.get_item(TableName=TABLE, Key={"object_key": {"S": f"{BUCKET}/{key}"}})["Item"]
    return {"result": result, "audit": {k: next(iter(v.values())) for k, v in item.items()}}


def test_a_good_file_is_accepted_and_recorded(aws):
    seen = arrive(aws, "sales/orders/2026-11-27.csv", GOOD)
    assert seen["result"] == {
        "bucket": BUCKET,
        "key": "sales/orders/2026-11-27.csv",
        "status": "ACCEPTED",
        "reason": None,
    }
    assert seen["audit"]["status"] == "ACCEPTED" and seen["audit"]["size"] == str(len(GOOD))
    assert "reason" not in seen["audit"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty file"),
        (b"order_id,amount\no-1,1\n", "missing columns: order_ts, customer_id, country, currency"),
        (GOOD.splitlines()[0] + b"\n", "no rows"),
        (b"\xff\xfe" + GOOD, "not UTF-8 text"),
    ],
    ids=["empty", "missing-columns", "header-only", "not-utf8"],
)
def test_a_bad_file_is_rejected_and_recorded_with_its_reason(aws, body, reason):
    seen = arrive(aws, "sales/orders/bad.csv", body)
    assert seen["result"]["status"] == "REJECTED" and seen["result"]["reason"] == reason
    assert seen["audit"]["status"] == "REJECTED" and seen["audit"]["reason"] == reason
