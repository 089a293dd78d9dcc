"""central-bootstrap: the state bucket and key, the access-log bucket, the pipelines'
artifact and notification keys, the source connection. Nothing here admits a principal
of another account (asked of the IAM evaluator in tests/test_iam_evaluation.py)."""

from __future__ import annotations

import pytest

from tests.conftest import DEFAULT
from tests.support.synth import policy, statement

CENTRAL = DEFAULT.central.account_id


@pytest.fixture(scope="module")
def central(stacks):
    return stacks["central-bootstrap"]


def test_bucket_names_carry_account_and_region(central):
    assert (
        central.resource("aws_s3_bucket", "state/bucket")["bucket"] == "datalake-central-tfstate-111111111111-eu-west-1"
    )
    assert (
        central.resource("aws_s3_bucket", "access-logs/bucket")["bucket"]
        == "datalake-central-access-logs-111111111111-eu-west-1"
    )


def test_state_bucket_is_encrypted_with_the_state_key_and_never_destroyed(central):
    (rule,) = central.resource("aws_s3_bucket_server_side_encryption_configuration", "state/encryption")["rule"]
    assert rule["apply_server_side_encryption_by_default"]["kms_master_key_id"] == central.ref(
        "aws_kms_key", "state-key/key", "arn"
    )
    assert central.resource("aws_s3_bucket", "state/bucket")["lifecycle"] == {"prevent_destroy": True}
    assert central.resource("aws_kms_key", "state-key/key")["lifecycle"] == {"prevent_destroy": True}


def test_backends_name_the_state_key_by_its_alias(stacks, central):
    alias = central.resource("aws_kms_alias", "state-key/alias")["name"]
    for stack in stacks.values():
        assert stack.backend["s3"]["kms_key_id"] == f"arn:aws:kms:eu-west-1:{CENTRAL}:{alias}", stack.stack_id


def test_state_history_is_kept_a_year(central):
    (rule,) = central.resource("aws_s3_bucket_lifecycle_configuration", "state/lifecycle")["rule"]
    assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": 365}]
    assert "expiration" not in rule, "current state files never expire"


def test_state_key_is_not_shared_with_other_accounts(central):
    doc = policy(central.resource("aws_kms_key", "state-key/key")["policy"])
    principals = [s["Principal"] for s in doc["Statement"]]
    assert principals == [{"AWS": f"arn:aws:iam::{CENTRAL}:root"}], doc


KEY_ALIASES = {
    "state-key": "alias/datalake-central-tfstate",
    "artifact-key": "alias/datalake-central-artifacts",
    "notification-key": "alias/datalake-central-notifications",
}


@pytest.mark.parametrize("key", list(KEY_ALIASES))
def test_keys_rotate_and_have_aliases(central, key):
    conf = central.resource("aws_kms_key", f"{key}/key")
    assert conf["enable_key_rotation"] is True, conf
    assert conf["deletion_window_in_days"] == 30, conf
    alias = central.resource("aws_kms_alias", f"{key}/alias")
    assert alias["target_key_id"] == central.ref("aws_kms_key", f"{key}/key", "key_id")
    assert alias["name"] == KEY_ALIASES[key]


def test_only_this_accounts_notifications_may_use_the_notification_key(central):
    grant = statement(
        central.resource("aws_kms_key", "notification-key/key")["policy"], "NotificationsPublishToEncryptedTopics"
    )
    assert grant["Principal"] == {"Service": "codestar-notifications.amazonaws.com"}, grant
    assert grant["Condition"] == {"StringEquals": {"aws:SourceAccount": CENTRAL}}, grant


def test_one_source_connection_to_the_configured_git_host(central):
    (connection,) = central.resources("aws_codestarconnections_connection").values()
    assert connection["name"] == "datalake-central-source" and connection["provider_type"] == "GitHub"
    assert len(connection["name"]) <= 32, "CodeConnections names take 32 characters"


def test_only_s3_logging_of_this_account_writes_access_logs(central):
    doc = central.resource("aws_s3_bucket_policy", "access-logs/policy")["policy"]
    grant = statement(doc, "S3ServerAccessLogging")
    assert grant["Principal"] == {"Service": "logging.s3.amazonaws.com"}, grant
    assert grant["Action"] == "s3:PutObject", grant
    assert grant["Condition"] == {"StringEquals": {"aws:SourceAccount": CENTRAL}}, grant
