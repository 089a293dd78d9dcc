"""bootstrap-<env>: a deploy role that only that environment's pipelines can assume,
capped by a permissions boundary that also caps every role it creates."""

from __future__ import annotations

import pytest

from tests.conftest import DEFAULT
from tests.support.synth import policy, statement

CENTRAL = DEFAULT.central.account_id
REPOSITORIES = [r.name for r in DEFAULT.repositories.all]


def pipeline_roles(env_name: str) -> list[str]:
    return sorted(f"arn:aws:iam::{CENTRAL}:role/datalake-{env_name}-{repo}-pipeline" for repo in REPOSITORIES)


@pytest.fixture
def bootstrap(stacks, env):
    return stacks[f"bootstrap-{env.name}"]


def test_deploy_role_is_named_for_its_environment(bootstrap, env):
    role = bootstrap.resource("aws_iam_role", "deploy-role/role")
    assert role["name"] == f"datalake-{env.name}-deploy"
    assert role["max_session_duration"] == 3600


def test_trust_names_only_this_environments_pipeline_roles(bootstrap, env):
    trust = policy(bootstrap.resource("aws_iam_role", "deploy-role/role")["assume_role_policy"])
    (only,) = trust["Statement"]
    assert only["Effect"] == "Allow" and only["Action"] == "sts:AssumeRole", only
    assert only["Principal"] == {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, only
    assert only["Condition"] == {"ArnEquals": {"aws:PrincipalArn": pipeline_roles(env.name)}}, only
    others = [e.name for e in DEFAULT.environments if e.name != env.name]
    for arn in only["Condition"]["ArnEquals"]["aws:PrincipalArn"]:
        assert not any(f"-{other}-" in arn for other in others), f"{arn} belongs to another environment"


def test_every_repository_gets_one_pipeline_role_per_environment(bootstrap, env):
    trust = policy(bootstrap.resource("aws_iam_role", "deploy-role/role")["assume_role_policy"])
    trusted = trust["Statement"][0]["Condition"]["ArnEquals"]["aws:PrincipalArn"]
    assert len(trusted) == len(REPOSITORIES) == 2


def test_deploy_role_carries_the_boundary(bootstrap):
    role = bootstrap.resource("aws_iam_role", "deploy-role/role")
    assert role["permissions_boundary"] == bootstrap.ref("aws_iam_policy", "deploy-role/boundary", "arn")


def test_permissions_are_attached_to_the_deploy_role(bootstrap, env):
    attachment = bootstrap.resource("aws_iam_role_policy_attachment", "deploy-role/permissions-attachment")
    assert attachment["role"] == bootstrap.ref("aws_iam_role", "deploy-role/role", "name")
    assert attachment["policy_arn"] == bootstrap.ref("aws_iam_policy", "deploy-role/permissions", "arn")


def test_regional_services_are_allowed_only_in_the_environments_region(bootstrap, env):
    doc = bootstrap.resource("aws_iam_policy", "deploy-role/permissions")["policy"]
    regional = statement(doc, "DataLakeServicesInOwnRegion")
    assert regional["Condition"] == {"StringEquals": {"aws:RequestedRegion": env.region}}, regional
    assert "iam:*" not in regional["Action"] and "*" not in regional["Action"], regional


def test_buckets_roles_and_policies_are_limited_to_the_environments_prefix(bootstrap, env):
    doc = bootstrap.resource("aws_iam_policy", "deploy-role/permissions")["policy"]
    prefix = f"datalake-{env.name}-"
    assert statement(doc, "OwnBuckets")["Resource"] == [f"arn:aws:s3:::{prefix}*", f"arn:aws:s3:::{prefix}*/*"]
    assert statement(doc, "OwnRolesAndPolicies")["Resource"] == [
        f"arn:aws:iam::{env.account_id}:role/{prefix}*",
        f"arn:aws:iam::{env.account_id}:policy/{prefix}*",
    ]


def test_no_permission_creates_users_or_long_lived_keys(bootstrap):
    for path in ("deploy-role/permissions", "deploy-role/boundary"):
        for stmt in policy(bootstrap.resource("aws_iam_policy", path)["policy"])["Statement"]:
            if stmt["Effect"] != "Allow":
                continue
            actions = stmt["Action"] if isinstance(stmt["Action"], list) else [stmt["Action"]]
            for forbidden in ("*", "iam:*", "iam:CreateUser", "iam:CreateAccessKey"):
                assert forbidden not in actions, (path, stmt)


def test_boundary_cannot_be_removed_or_rewritten(bootstrap, env):
    doc = bootstrap.resource("aws_iam_policy", "deploy-role/boundary")["policy"]
    boundary_arn = f"arn:aws:iam::{env.account_id}:policy/datalake-{env.name}-boundary"
    assert statement(doc, "BoundaryIsImmutable")["Resource"] == boundary_arn
    assert statement(doc, "BoundaryStaysOnRoles")["Action"] == "iam:DeleteRolePermissionsBoundary"
    new_roles = statement(doc, "NewRolesCarryTheBoundary")
    assert new_roles["Effect"] == "Deny"
    assert new_roles["Condition"] == {"StringNotEquals": {"iam:PermissionsBoundary": boundary_arn}}
    own = statement(doc, "DeployRoleIsImmutable")
    assert own["Resource"] == f"arn:aws:iam::{env.account_id}:role/datalake-{env.name}-deploy"
    assert "iam:UpdateAssumeRolePolicy" in own["Action"]


def test_boundary_forbids_destroying_data_where_the_environment_protects_it(bootstrap, env):
    doc = policy(bootstrap.resource("aws_iam_policy", "deploy-role/boundary")["policy"])
    sids = {s.get("Sid") for s in doc["Statement"]}
    assert ("DataIsNotDestroyed" in sids) is env.protect_data, sids
