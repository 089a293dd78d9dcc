"""bootstrap-<env>: per repository, a pipeline role in the central account and a deploy
role in the environment's account that trusts it; an account-wide public access block.

What these roles may do is asked of the IAM evaluator in tests/test_iam_evaluation.py;
here: that the pieces exist, are wired together and fit IAM's limits.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import DEFAULT

CENTRAL = DEFAULT.central.account_id
REPOSITORIES = [r.name for r in DEFAULT.repositories.all]


@pytest.fixture
def bootstrap(stacks, env):
    return stacks[f"bootstrap-{env.name}"]


@pytest.mark.parametrize("repository", REPOSITORIES)
def test_each_repository_has_its_deploy_role_with_its_own_boundary_and_policy(bootstrap, env, repository):
    role = bootstrap.resource("aws_iam_role", f"{repository}-deploy/role")
    assert role["name"] == f"datalake-{env.name}-{repository}-deploy"
    assert role["max_session_duration"] == 3600
    assert role["permissions_boundary"] == bootstrap.ref("aws_iam_policy", f"{repository}-deploy/boundary", "arn")
    boundary = bootstrap.resource("aws_iam_policy", f"{repository}-deploy/boundary")
    assert boundary["name"] == f"datalake-{env.name}-{repository}-boundary"
    for policy in ("deploy", "deploy-services"):
        managed = bootstrap.resource("aws_iam_policy", f"{repository}-deploy/{policy}")
        assert managed["name"] == f"datalake-{env.name}-{repository}-{policy}"
        attachment = bootstrap.resource("aws_iam_role_policy_attachment", f"{repository}-deploy/{policy}-attachment")
        assert attachment["role"] == bootstrap.ref("aws_iam_role", f"{repository}-deploy/role", "name")
        assert attachment["policy_arn"] == bootstrap.ref("aws_iam_policy", f"{repository}-deploy/{policy}", "arn")


@pytest.mark.parametrize("repository", REPOSITORIES)
def test_the_pipeline_role_is_created_first_in_the_central_account(bootstrap, env, repository):
    """IAM refuses a trust policy that names a role that does not exist yet."""
    pipeline = bootstrap.resource("aws_iam_role", f"{repository}-pipeline/role")
    assert pipeline["provider"] == "aws.central"
    assert pipeline["name"] == f"datalake-{env.name}-{repository}-pipeline"
    deploy = bootstrap.resource("aws_iam_role", f"{repository}-deploy/role")
    assert deploy["depends_on"] == [bootstrap.address("aws_iam_role", f"{repository}-pipeline/role")]
    trusted = json.loads(deploy["assume_role_policy"])["Statement"][0]["Principal"]["AWS"]
    assert trusted == f"arn:aws:iam::{CENTRAL}:role/{pipeline['name']}"


def test_both_ends_of_the_trust_use_the_names_the_config_derives(bootstrap, env):
    for repository in DEFAULT.repositories.all:
        deploy = bootstrap.resource("aws_iam_role", f"{repository.name}-deploy/role")
        pipeline = bootstrap.resource("aws_iam_role", f"{repository.name}-pipeline/role")
        assert DEFAULT.deploy_role_arn(env, repository).endswith(":role/" + deploy["name"])
        assert DEFAULT.pipeline_role_arn(env, repository).endswith(":role/" + pipeline["name"])


def test_no_bucket_of_the_account_can_be_made_public(bootstrap, env):
    block = bootstrap.resource("aws_s3_account_public_access_block", "account-public-access-block")
    assert block["account_id"] == env.account_id
    for setting in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
        assert block[setting] is True, block
