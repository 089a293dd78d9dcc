"""Every stack: its own state key, locked and encrypted in the central bucket; a
provider pinned to the right account, assuming the right role, tagging everything."""

from __future__ import annotations

import json

import pytest
from datalake_cdktf.naming import state_key

from stacks import build_app
from tests.conftest import DEFAULT, ENVIRONMENTS, expected_stacks

CENTRAL_STATE_BUCKET = "datalake-central-tfstate-111111111111-eu-west-1"


def test_one_stack_per_kind_and_environment(stacks):
    assert list(stacks) == expected_stacks(DEFAULT)


def test_every_stack_has_its_own_state_key(stacks):
    keys = [s.backend["s3"]["key"] for s in stacks.values()]
    assert len(set(keys)) == len(keys), keys
    for stack_id, stack in stacks.items():
        assert stack.backend["s3"]["key"] == state_key(stack_id) == f"{stack_id}/terraform.tfstate"


@pytest.mark.parametrize(
    "stack_id", ["central-bootstrap", *(f"{k}-{e}" for e in ENVIRONMENTS for k in ("bootstrap", "datalake"))]
)
def test_state_is_encrypted_and_locked_in_the_central_bucket(stacks, stack_id):
    s3 = stacks[stack_id].backend["s3"]
    assert s3["bucket"] == CENTRAL_STATE_BUCKET, s3
    assert s3["region"] == DEFAULT.central.region, s3
    assert s3["encrypt"] is True, s3
    # Without kms_key_id Terraform asks S3 for SSE-S3 and the state key is never used.
    assert s3["kms_key_id"] == "arn:aws:kms:eu-west-1:111111111111:alias/datalake-central-tfstate", s3
    assert s3["use_lockfile"] is True, s3
    assert "dynamodb_table" not in s3, "S3-native locking replaces DynamoDB locks"
    assert stacks[stack_id].json["terraform"]["required_version"] == ">= 1.10"


def test_central_bootstrap_can_start_with_local_state(tmp_path):
    app, _ = build_app(DEFAULT, tmp_path, local_bootstrap_state=True)
    app.synth()
    central = json.loads((tmp_path / "stacks" / "central-bootstrap" / "cdk.tf.json").read_text())
    assert central["terraform"]["backend"] == {"local": {"path": "terraform.tfstate"}}
    dev = json.loads((tmp_path / "stacks" / "datalake-dev" / "cdk.tf.json").read_text())
    assert "s3" in dev["terraform"]["backend"], "only central-bootstrap may use local state"


def test_central_provider_works_only_in_the_central_account(stacks):
    aws = stacks["central-bootstrap"].provider
    assert aws["allowed_account_ids"] == [DEFAULT.central.account_id], aws
    assert aws["region"] == DEFAULT.central.region
    assert "assume_role" not in aws, "central-bootstrap is applied by an administrator"


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_environment_providers_assume_roles_in_their_own_account(stacks, env_name):
    env = DEFAULT.environment(env_name)
    bootstrap = stacks[f"bootstrap-{env_name}"].provider
    datalake = stacks[f"datalake-{env_name}"].provider
    for aws in (bootstrap, datalake):
        assert aws["allowed_account_ids"] == [env.account_id], aws
        assert aws["region"] == env.region, aws
    assert bootstrap["assume_role"] == [
        {
            "role_arn": f"arn:aws:iam::{env.account_id}:role/{env.admin_role_name}",
            "session_name": f"bootstrap-{env_name}",
        }
    ]
    # A stack a pipeline applies names its repository's profile; the build maps it to its role.
    assert "assume_role" not in datalake and datalake["profile"] == f"datalake-{env_name}-datalake-infra"


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_bootstrap_reaches_the_central_account_as_the_administrator(stacks, env_name):
    central = stacks[f"bootstrap-{env_name}"].aliased_provider("central")
    assert central["allowed_account_ids"] == [DEFAULT.central.account_id], central
    assert central["region"] == DEFAULT.central.region, central
    assert "assume_role" not in central, "the administrator's own central-account credentials"
    resources = [conf for _, _, conf in stacks[f"bootstrap-{env_name}"].all_resources()]
    in_central = [conf["//"]["metadata"]["path"] for conf in resources if conf.get("provider") == "aws.central"]
    parts = ("pipeline", "builds")
    assert in_central and all(
        any(
            path.startswith(f"bootstrap-{env_name}/{repo.name}-{part}/")
            for repo in DEFAULT.repositories.all
            for part in parts
        )
        for path in in_central
    ), "only the pipelines' identities, artifact buckets and the administrator's builds live in the central account"
    kinds = {
        conf["//"]["metadata"]["path"].split("/")[-1] for conf in resources if conf.get("provider") == "aws.central"
    }
    assert not [kind for kind in kinds if kind.endswith("-role") and kind.startswith("deploy")]


@pytest.mark.parametrize(
    "stack_id", ["central-bootstrap", *(f"{k}-{e}" for e in ENVIRONMENTS for k in ("bootstrap", "datalake"))]
)
def test_default_tags_name_project_stage_repository_and_config_tags(stacks, stack_id):
    stage = stack_id.split("-", 1)[1] if stack_id != "central-bootstrap" else "central"
    expected = {
        **DEFAULT.tags,
        "project": "datalake",
        "environment": stage,
        "managed-by": "cdktf",
        "repository": DEFAULT.repositories.infrastructure.name,
    }
    for aws in stacks[stack_id].json["provider"]["aws"]:
        (default_tags,) = aws["default_tags"]
        assert default_tags["tags"] == expected, aws


def _dependencies(stacks) -> dict[str, list[str]]:
    """What cdktf.out/manifest.json says each stack depends on (what `cdktf deploy` reads)."""
    (manifest,) = {stack.directory.parents[1] / "manifest.json" for stack in stacks.values()}
    return {name: entry["dependencies"] for name, entry in json.loads(manifest.read_text())["stacks"].items()}


def test_stacks_declare_the_bootstrap_runbooks_order(stacks):
    """`cdktf deploy` orders stacks by these: central bootstrap, then each environment's
    bootstrap, then its pipelines, then the data lake its infrastructure pipeline applies."""
    dependencies = _dependencies(stacks)
    assert dependencies["central-bootstrap"] == []
    infrastructure = DEFAULT.repositories.infrastructure.name
    for env in DEFAULT.environments:
        assert dependencies[f"bootstrap-{env.name}"] == ["central-bootstrap"]
        for repository in DEFAULT.repositories.all:
            assert dependencies[f"pipeline-{repository.name}-{env.name}"] == [f"bootstrap-{env.name}"]
        assert dependencies[f"datalake-{env.name}"] == [f"pipeline-{infrastructure}-{env.name}"]


def test_every_stack_comes_after_what_its_provider_and_backend_need(stacks):
    """A property of any config: following the declared dependencies, every stack is
    applied after central-bootstrap (its state bucket), and every stack that works in an
    environment's account after that environment's bootstrap (the roles it assumes)."""
    dependencies = _dependencies(stacks)

    def before(stack_id: str) -> set[str]:
        found: set[str] = set()
        for dependency in dependencies[stack_id]:
            found |= {dependency, *before(dependency)}
        return found

    accounts = {env.account_id: env.name for env in DEFAULT.environments}
    for stack_id, stack in stacks.items():
        if stack_id == "central-bootstrap":
            continue
        assert "central-bootstrap" in before(stack_id), stack_id
        providers = stack.json["provider"]["aws"]
        for account in {a for p in providers for a in p.get("allowed_account_ids", [])} & set(accounts):
            if stack_id != f"bootstrap-{accounts[account]}":
                assert f"bootstrap-{accounts[account]}" in before(stack_id), (stack_id, account)
