"""bootstrap-<env>: per repository, a pipeline role in the central account and a deploy
role in the environment's account that trusts it; an account-wide public access block.

What these roles may do is asked of the IAM evaluator in tests/test_iam_evaluation.py;
here: that the pieces exist, are wired together and fit IAM's limits.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import DEFAULT

CENTRAL = DEFAULT.central.account_id
REPOSITORIES = [r.name for r in DEFAULT.repositories.all]


@pytest.fixture
def bootstrap(stacks, env):
    return stacks[f"bootstrap-{env.name}"]


def deploy_policies(bootstrap, repository: str) -> list[str]:
    """The construct ids of ``repository``'s deploy role's managed policies, by number:
    ``deploy``, then ``deploy-2``, ``deploy-3``, ... (as many as IAM's size limit needs)."""
    within = f"{bootstrap.stack_id}/{repository}-deploy/"
    paths = [conf["//"]["metadata"]["path"] for conf in bootstrap.resources("aws_iam_policy").values()]
    parts = [p.removeprefix(within) for p in paths if re.fullmatch(rf"{re.escape(within)}deploy(-\d+)?", p)]
    return sorted(parts, key=lambda part: int(part.removeprefix("deploy-")) if part != "deploy" else 1)


@pytest.mark.parametrize("repository", REPOSITORIES)
def test_each_repository_has_its_deploy_role_with_its_own_boundary_and_policy(bootstrap, env, repository):
    role = bootstrap.resource("aws_iam_role", f"{repository}-deploy/role")
    assert role["name"] == f"datalake-{env.name}-{repository}-deploy"
    assert role["max_session_duration"] == 3600
    assert role["permissions_boundary"] == bootstrap.ref("aws_iam_policy", f"{repository}-deploy/boundary", "arn")
    boundary = bootstrap.resource("aws_iam_policy", f"{repository}-deploy/boundary")
    assert boundary["name"] == f"datalake-{env.name}-{repository}-boundary"
    policies = deploy_policies(bootstrap, repository)
    assert policies == ["deploy", *(f"deploy-{n}" for n in range(2, len(policies) + 1))], policies
    for policy in policies:
        managed = bootstrap.resource("aws_iam_policy", f"{repository}-deploy/{policy}")
        assert managed["name"] == f"datalake-{env.name}-{repository}-{policy}"
        attachment = bootstrap.resource("aws_iam_role_policy_attachment", f"{repository}-deploy/{policy}-attachment")
        assert attachment["role"] == bootstrap.ref("aws_iam_role", f"{repository}-deploy/role", "name")
        assert attachment["policy_arn"] == bootstrap.ref("aws_iam_policy", f"{repository}-deploy/{policy}", "arn")
    role_name = bootstrap.ref("aws_iam_role", f"{repository}-deploy/role", "name")
    attachments = bootstrap.resources("aws_iam_role_policy_attachment").values()
    attached = sorted(c["policy_arn"] for c in attachments if c["role"] == role_name)
    assert attached == sorted(bootstrap.ref("aws_iam_policy", f"{repository}-deploy/{p}", "arn") for p in policies)


@pytest.mark.parametrize("repository", REPOSITORIES)
def test_the_central_roles_are_created_first_in_the_central_account(bootstrap, env, repository):
    """IAM refuses a trust policy that names a role that does not exist yet: each role in
    the environment depends on every central role of its pipeline, and trusts its own."""
    central = {
        role: bootstrap.resource("aws_iam_role", f"{repository}-pipeline/{role}-role")
        for role in ("build", "codepipeline", "pr", "review", "comment", "apply")
    }
    assert {conf["provider"] for conf in central.values()} == {"aws.central"}
    assert {role: conf["name"] for role, conf in central.items()} == {
        "build": f"datalake-{env.name}-{repository}-pipeline",
        "codepipeline": f"datalake-{env.name}-{repository}-codepipeline",
        "pr": f"datalake-{env.name}-{repository}-pr",
        "review": f"datalake-{env.name}-{repository}-review",
        "comment": f"datalake-{env.name}-{repository}-comment",
        "apply": f"datalake-{env.name}-{repository}-apply",
    }
    created_first = sorted(bootstrap.address("aws_iam_role", f"{repository}-pipeline/{role}-role") for role in central)
    trusts = {"role": ["apply"], "plan-role": ["build", "pr"], "drift-role": ["review"]}
    for role, trusted_roles in trusts.items():
        env_role = bootstrap.resource("aws_iam_role", f"{repository}-deploy/{role}")
        assert sorted(env_role["depends_on"]) == created_first
        trusted = json.loads(env_role["assume_role_policy"])["Statement"][0]["Principal"]["AWS"]
        expected = [f"arn:aws:iam::{CENTRAL}:role/{central[t]['name']}" for t in trusted_roles]
        assert trusted == (expected[0] if len(expected) == 1 else expected)


@pytest.mark.parametrize("repository", REPOSITORIES)
def test_each_pipeline_has_its_own_artifact_bucket_in_the_central_account(bootstrap, env, repository):
    bucket = bootstrap.resource("aws_s3_bucket", f"{repository}-pipeline/artifacts/bucket")
    assert bucket["provider"] == "aws.central"
    assert bucket["bucket"] == f"datalake-{env.name}-{repository}-ci-{CENTRAL}"
    (rule,) = bootstrap.resource(
        "aws_s3_bucket_server_side_encryption_configuration", f"{repository}-pipeline/artifacts/encryption"
    )["rule"]
    key = rule["apply_server_side_encryption_by_default"]["kms_master_key_id"]
    assert key == f"arn:aws:kms:eu-west-1:{CENTRAL}:alias/datalake-central-artifacts"
    logging = bootstrap.resource("aws_s3_bucket_logging", f"{repository}-pipeline/artifacts/logging")
    assert logging["target_bucket"] == DEFAULT.central_bucket("access-logs")


def test_both_ends_of_the_trust_use_the_names_the_config_derives(bootstrap, env):
    for repository in DEFAULT.repositories.all:
        deploy = bootstrap.resource("aws_iam_role", f"{repository.name}-deploy/role")
        pipeline = bootstrap.resource("aws_iam_role", f"{repository.name}-pipeline/build-role")
        assert DEFAULT.deploy_role_arn(env, repository).endswith(":role/" + deploy["name"])
        assert DEFAULT.pipeline_role_arn(env, repository).endswith(":role/" + pipeline["name"])


def test_no_bucket_of_the_account_can_be_made_public(bootstrap, env):
    block = bootstrap.resource("aws_s3_account_public_access_block", "account-public-access-block")
    assert block["account_id"] == env.account_id
    for setting in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
        assert block[setting] is True, block
