"""Every S3 bucket of every stack is secure: no option turns any of this off."""

from __future__ import annotations

import pytest

from tests.conftest import DEFAULT, ENVIRONMENTS
from tests.support.synth import SynthStack, policy, statement

STACK_IDS = ["central-bootstrap", *(f"{k}-{e}" for e in ENVIRONMENTS for k in ("bootstrap", "datalake"))]
PIPELINES = [f"{r.name}-pipeline/artifacts" for r in DEFAULT.repositories.all]


def buckets_of(stack: SynthStack) -> list[str]:
    """Construct paths (relative to the stack) of every SecureBucket in the stack."""
    prefix = stack.stack_id + "/"
    return [
        conf["//"]["metadata"]["path"].removeprefix(prefix).removesuffix("/bucket")
        for conf in stack.resources("aws_s3_bucket").values()
    ]


EXPECTED_BUCKETS = {
    "central-bootstrap": ["access-logs", "state"],
    **{f"bootstrap-{e}": PIPELINES for e in ENVIRONMENTS},
    **{f"datalake-{e}": ["access-logs", "raw", "conformed", "purpose-built", "assets"] for e in ENVIRONMENTS},
}


def every_bucket() -> list[tuple[str, str]]:
    return [(stack, bucket) for stack, names in EXPECTED_BUCKETS.items() for bucket in names]


@pytest.mark.parametrize("stack_id", STACK_IDS)
def test_the_expected_buckets_exist(stacks, stack_id):
    assert sorted(buckets_of(stacks[stack_id])) == sorted(EXPECTED_BUCKETS[stack_id])


@pytest.mark.parametrize(("stack_id", "bucket"), every_bucket())
class TestEveryBucket:
    def test_public_access_is_blocked(self, stacks, stack_id, bucket):
        pab = stacks[stack_id].resource("aws_s3_bucket_public_access_block", f"{bucket}/public-access-block")
        for setting in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
            assert pab[setting] is True, pab
        assert pab["bucket"] == stacks[stack_id].ref("aws_s3_bucket", f"{bucket}/bucket", "id")

    def test_acls_are_disabled(self, stacks, stack_id, bucket):
        ownership = stacks[stack_id].resource("aws_s3_bucket_ownership_controls", f"{bucket}/ownership")
        assert ownership["rule"] == {"object_ownership": "BucketOwnerEnforced"}, ownership

    def test_versioning_is_on(self, stacks, stack_id, bucket):
        versioning = stacks[stack_id].resource("aws_s3_bucket_versioning", f"{bucket}/versioning")
        assert versioning["versioning_configuration"] == {"status": "Enabled"}, versioning

    def test_encryption_is_kms_with_a_bucket_key_except_for_access_logs(self, stacks, stack_id, bucket):
        (rule,) = stacks[stack_id].resource(
            "aws_s3_bucket_server_side_encryption_configuration", f"{bucket}/encryption"
        )["rule"]
        default = rule["apply_server_side_encryption_by_default"]
        if bucket == "access-logs":
            # S3 server access logging can only deliver into SSE-S3 buckets.
            assert default == {"sse_algorithm": "AES256"}, rule
        else:
            assert default["sse_algorithm"] == "aws:kms", rule
            key = default["kms_master_key_id"]
            # a key of this stack, or (pipeline artifacts) the central artifact key by its alias
            assert key.startswith("${aws_kms_key.") or key == DEFAULT.artifact_key_alias_arn(), rule
            assert rule["bucket_key_enabled"] is True, rule

    def test_only_tls_requests_are_allowed(self, stacks, stack_id, bucket):
        stack = stacks[stack_id]
        document = stack.resource("aws_s3_bucket_policy", f"{bucket}/policy")["policy"]
        deny = statement(document, "DenyInsecureTransport")
        arn = stack.ref("aws_s3_bucket", f"{bucket}/bucket", "arn")
        assert deny == {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }

    def test_no_statement_opens_the_bucket_to_everyone(self, stacks, stack_id, bucket):
        document = stacks[stack_id].resource("aws_s3_bucket_policy", f"{bucket}/policy")["policy"]
        for stmt in policy(document)["Statement"]:
            if stmt["Effect"] == "Allow":
                assert stmt["Principal"] != "*" and stmt["Principal"] != {"AWS": "*"}, stmt

    def test_access_is_logged_to_the_stacks_log_bucket(self, stacks, stack_id, bucket):
        stack = stacks[stack_id]
        logging = stack.resources("aws_s3_bucket_logging")
        paths = {c["//"]["metadata"]["path"] for c in logging.values()}
        if bucket == "access-logs":
            assert f"{stack_id}/access-logs/logging" not in paths, "the log bucket must not log into itself"
            return
        log = stack.resource("aws_s3_bucket_logging", f"{bucket}/logging")
        bucket_name = stack.resource("aws_s3_bucket", f"{bucket}/bucket")["bucket"]
        if stack_id.startswith("bootstrap-"):  # the central account's log bucket, another stack's
            assert log["target_bucket"] == DEFAULT.central_bucket("access-logs"), log
        else:
            assert log["target_bucket"] == stack.ref("aws_s3_bucket", "access-logs/bucket", "id"), log
        assert log["target_prefix"] == f"{bucket_name}/", log

    def test_logging_starts_only_once_the_log_bucket_admits_s3_logging(self, stacks, stack_id, bucket):
        # S3 answers InvalidTargetBucketForLogging while the log bucket's policy is missing.
        if bucket == "access-logs":
            return
        stack = stacks[stack_id]
        log = stack.resource("aws_s3_bucket_logging", f"{bucket}/logging")
        if stack_id.startswith("bootstrap-"):
            assert "depends_on" not in log, "the central log bucket's policy is applied by central-bootstrap"
            return
        assert log["depends_on"] == [stack.address("aws_s3_bucket_policy", "access-logs/policy")], log

    def test_lifecycle_aborts_uploads_and_expires_old_versions(self, stacks, stack_id, bucket):
        (rule,) = stacks[stack_id].resource("aws_s3_bucket_lifecycle_configuration", f"{bucket}/lifecycle")["rule"]
        assert rule["status"] == "Enabled", rule
        assert rule["filter"] == [{"prefix": ""}], rule
        assert rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}], rule
        assert rule["noncurrent_version_expiration"][0]["noncurrent_days"] >= 1, rule

    def test_only_an_unprotected_bucket_is_emptied_to_destroy_it(self, stacks, stack_id, bucket):
        conf = stacks[stack_id].resource("aws_s3_bucket", f"{bucket}/bucket")
        assert conf["force_destroy"] is not conf["lifecycle"]["prevent_destroy"], conf


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_zone_lifecycle_follows_the_environments_retention(stacks, env_name):
    env = DEFAULT.environment(env_name)
    stack = stacks[f"datalake-{env_name}"]
    for bucket, days in (
        ("raw", env.retention.raw_days),
        ("conformed", env.retention.conformed_days),
        ("purpose-built", env.retention.purpose_built_days),
        ("access-logs", env.retention.access_log_days),
    ):
        (rule,) = stack.resource("aws_s3_bucket_lifecycle_configuration", f"{bucket}/lifecycle")["rule"]
        if days is None:
            assert "expiration" not in rule, f"{bucket} keeps current objects forever: {rule}"
        else:
            assert rule["expiration"] == [{"days": days}], rule
        assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": env.retention.noncurrent_version_days}], (
            rule
        )


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_data_is_protected_from_destroy_where_the_environment_says_so(stacks, env_name):
    env = DEFAULT.environment(env_name)
    stack = stacks[f"datalake-{env_name}"]
    protected = [
        *(stack.resource("aws_s3_bucket", f"{b}/bucket") for b in ("raw", "conformed", "purpose-built", "access-logs")),
        stack.resource("aws_kms_key", "data-key/key"),
        *(stack.resource("aws_glue_catalog_database", f"catalog/{z}") for z in ("raw", "conformed", "purpose-built")),
    ]
    for conf in protected:
        assert conf["lifecycle"]["prevent_destroy"] is env.protect_data, conf["//"]["metadata"]["path"]
    for conf in protected[:4]:
        # Where data is disposable, destroy empties the buckets (versions, delivered
        # logs) instead of failing half-way; where it is protected, it never does.
        assert conf["force_destroy"] is not env.protect_data, conf["//"]["metadata"]["path"]


def test_default_config_protects_test_and_prod_but_not_dev():
    assert [e.protect_data for e in DEFAULT.environments] == [False, True, True]


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_zone_buckets_send_object_events_to_eventbridge(stacks, env_name):
    stack = stacks[f"datalake-{env_name}"]
    for zone in ("raw", "conformed", "purpose-built"):
        notification = stack.resource("aws_s3_bucket_notification", f"{zone}/notifications")
        assert notification["eventbridge"] is True, notification
