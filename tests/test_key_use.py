"""Every KMS key admits whoever the stacks ask to encrypt with it, and no service more.

moto never evaluates a key policy: a log group encrypted with a key that does not admit
CloudWatch Logs applies there and is refused by AWS. Here every attribute of every
synthesized stack that names a key is found by walking the JSON, each is turned into the
calls KMS will see (who, which action, which request context: tests/support/key_use.py),
and each call is asked of the IAM evaluator (tests/support/iam.py): a service principal
against the key policy alone, a role against its own policies, its boundary and the key
policy. Two deployments: the default one, and one with a fourth environment in another
region and a second ETL repository.
"""

from __future__ import annotations

import copy
import fnmatch
import json
from dataclasses import dataclass

import pytest
from datalake_cdktf import naming
from datalake_cdktf.config import DeploymentConfig, load_config

from tests.conftest import DEFAULT
from tests.support.configs import four_environments
from tests.support.iam import AccessModel
from tests.support.key_use import LOGS_ACTIONS, PUBLISH_ACTIONS, RULES, KeyUses, Use, report
from tests.support.synth import SynthStack, synthesize, synthesize_etl

CENTRAL = DEFAULT.central.account_id
OTHER_REGION = "us-east-2"


def admin_roles(config: DeploymentConfig) -> dict[str, str]:
    return {env.account_id: env.admin_role_name for env in config.environments}


@dataclass(frozen=True)
class Deployment:
    config: DeploymentConfig
    stacks: dict[str, SynthStack]
    model: AccessModel
    uses: KeyUses


def deployment(config: DeploymentConfig, stacks: dict[str, SynthStack]) -> Deployment:
    model = AccessModel.from_stacks(stacks, admin_roles(config))
    return Deployment(config, stacks, model, KeyUses(stacks, model))


@pytest.fixture(scope="module")
def default(all_stacks) -> Deployment:
    return deployment(DEFAULT, all_stacks)


@pytest.fixture(scope="module")
def other(tmp_path_factory) -> Deployment:
    """Four environments, the fourth (qa) in another region, and a second ETL repository."""
    region = {"region": OTHER_REGION, "availability_zones": [f"{OTHER_REGION}a", f"{OTHER_REGION}b"]}
    folder = four_environments(tmp_path_factory.mktemp("other-config") / "envs", **region)
    config = load_config(folder)
    stacks = {
        **synthesize(config, tmp_path_factory.mktemp("other-synth")),
        **synthesize_etl(config, tmp_path_factory.mktemp("other-synth-etl")),
    }
    return deployment(config, stacks)


@pytest.fixture(params=["default", "other"])
def any_deployment(request) -> Deployment:
    return request.getfixturevalue(request.param)


# What the model refuses and is known -------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    """Refused uses that this test accepts, each with its reason: ``role`` and ``why`` are
    globs over the refused role's name and the use's purpose."""

    resource_type: str
    role: str
    why: str
    reason: str

    def matches(self, use: Use) -> bool:
        return (
            use.reference.resource_type == self.resource_type
            and not use.by_service
            and fnmatch.fnmatchcase(use.principal.rsplit("/", 1)[1], self.role)
            and fnmatch.fnmatchcase(use.why, self.why)
        )


NOT_A_USE: tuple[Accepted, ...] = (
    Accepted(
        "aws_s3_bucket_server_side_encryption_configuration",
        "*-drift",
        "reads objects of *-assets-*",
        "The drift check refreshes the repository's job files (aws_s3_object): S3 answers "
        "HeadObject, which it authorizes as s3:GetObject, without decrypting anything, and the "
        "drift role may not decrypt with the data key (test_the_drift_role_reads_no_objects_content), "
        "so it reads no file's content.",
    ),
)
"""Reads the model allows that never reach KMS. A refusal that is not one of these is a
defect: fix the policy (test_every_key_admits_whoever_uses_it)."""


def unexpected(uses: list[Use]) -> list[Use]:
    return [use for use in uses if not any(a.matches(use) for a in NOT_A_USE)]


# Every reference is read --------------------------------------------------------------


def test_every_attribute_that_names_a_key_resolves_and_has_a_rule(any_deployment):
    """No key named by a token, alias or contract parameter that the walk cannot resolve,
    no resource type without a rule, no role outside the model."""
    assert any_deployment.uses.problems == [], "\n".join(any_deployment.uses.problems)


def test_the_walk_finds_every_kind_of_reference(default):
    """The walk is live: each kind of resource that names a key in the default deployment is
    found, through each way of naming it, and every encrypted log group is among them."""
    references = default.uses.references
    found = {r.resource_type for r in references}
    assert found == set(RULES) - {"aws_dynamodb_table"}, found  # the audit table uses AWS's key
    log_groups = {
        (stack_id, name)
        for stack_id, stack in default.stacks.items()
        for name, conf in stack.resources("aws_cloudwatch_log_group").items()
        if "kms_key_id" in conf
    }
    assert log_groups == {(r.stack, r.name) for r in references if r.resource_type == "aws_cloudwatch_log_group"}
    # the ETL stacks name the data key only through the contract's kms/key-arn parameter
    (etl_topic,) = [r for r in references if r.stack == "etl-sales-dev" and r.resource_type == "aws_sns_topic"]
    assert etl_topic.key == default.model.key_arn(
        naming.kms_alias_arn(
            account_id=DEFAULT.environment("dev").account_id, region="eu-west-1", alias="alias/datalake-dev-data"
        )
    )


# Every use is admitted ------------------------------------------------------------------


def test_every_key_admits_whoever_uses_it(any_deployment):
    """Each (resource, key): the services the key policy must admit, with their context, and
    the roles whose own policies and boundary must allow it (the key delegating to the account)."""
    refused = unexpected(any_deployment.uses.refused())
    assert not refused, "refused:\n" + report(refused)


def test_every_key_is_in_the_region_of_what_it_encrypts(any_deployment):
    assert any_deployment.uses.region_mismatches() == []


def test_each_non_use_is_still_found(default):
    """An entry of NOT_A_USE that matches no refusal is stale: remove it from the list."""
    refused = default.uses.refused()
    stale = [a.reason for a in NOT_A_USE if not any(a.matches(use) for use in refused)]
    assert stale == [], stale


def test_a_plan_role_reads_no_object_and_uses_no_key(any_deployment):
    """A pull request's plan reads nothing live (``terraform plan -refresh=false``), so its
    plan role may read no object of any bucket of its account (its own assets included)
    and decrypt nothing with the data key, through S3 or Glue; and no stack reads an
    object's content at plan time (a ``data "aws_s3_object"`` would)."""
    config, model, uses = any_deployment.config, any_deployment.model, any_deployment.uses
    for env in config.environments:
        label = config.label(env)
        assets = naming.bucket_arn(bucket_name=label.bucket("assets", env.account_id, env.region), region=env.region)
        key_arn = model.key_arn(
            naming.kms_alias_arn(account_id=env.account_id, region=env.region, alias=label.kms_alias("data"))
        )
        for repository in config.repositories.all:
            plan = config.plan_role_arn(env, repository)
            readable = {
                bucket: modes
                for _, _, conf in uses.resources_of(env.account_id, "aws_s3_bucket")
                for bucket in [naming.bucket_arn(bucket_name=conf["bucket"], region=env.region)]
                for modes in [uses.object_users(bucket).get(plan)]
                if modes
            }
            assert readable == {}, (plan, readable)
            assert not model.can(plan, "s3:GetObject", f"{assets}/{repository.name}/jobs/x"), plan
            for service in ("s3", "glue"):
                through = {"kms:ViaService": f"{service}.{env.region}.amazonaws.com"}
                through["kms:ResourceAliases"] = [label.kms_alias("data")]
                assert not model.can(plan, "kms:Decrypt", key_arn, **through), (plan, service)
    readers = [
        f"{stack_id}: data.{data_type}"
        for stack_id, stack in any_deployment.stacks.items()
        for data_type in stack.json.get("data", {})
        if data_type in ("aws_s3_object", "aws_s3_bucket_object")  # the data sources that GET an object's content
    ]
    assert readers == [], readers


def test_the_drift_role_reads_no_objects_content(any_deployment):
    """The drift role may ask for its repository's job files (HeadObject) but never decrypt
    one: nothing it can read through S3 or Glue is data (NOT_A_USE's reason)."""
    config, model = any_deployment.config, any_deployment.model
    for env in config.environments:
        label = config.label(env)
        key_arn = model.key_arn(
            naming.kms_alias_arn(account_id=env.account_id, region=env.region, alias=label.kms_alias("data"))
        )
        for repository in config.repositories.all:
            drift = config.drift_role_arn(env, repository)
            for bucket in ("assets", "raw"):
                name = label.bucket(bucket, env.account_id, env.region)
                through = {
                    "kms:ViaService": f"s3.{env.region}.amazonaws.com",
                    "kms:EncryptionContext:aws:s3:arn": naming.bucket_arn(bucket_name=name, region=env.region),
                    "kms:ResourceAliases": [label.kms_alias("data")],
                }
                assert not model.can(drift, "kms:Decrypt", key_arn, **through), (drift, bucket)


def test_the_uses_cover_services_and_roles(default):
    """The rules ask what the services the stacks rely on need, and of the roles they act for."""
    services = {use.principal for use in default.uses.uses if use.by_service}
    assert services == {
        "logs.eu-west-1.amazonaws.com",
        "codestar-notifications.amazonaws.com",
        "cloudwatch.amazonaws.com",
        "events.amazonaws.com",
    }
    roles = {use.principal.rsplit("/", 1)[1] for use in default.uses.uses if not use.by_service}
    for env in ("dev", "test", "prod"):
        for repository in ("datalake-infra", "sales"):
            prefix = f"datalake-{env}-{repository}-"
            assert {prefix + r for r in ("pipeline", "codepipeline", "pr", "deploy")} <= roles, prefix
            assert prefix + "plan" not in roles, "a pull request's plan role uses no key"


# No service beyond what uses the key ------------------------------------------------------

SERVICES = ("codestar-notifications.amazonaws.com", "cloudwatch.amazonaws.com", "events.amazonaws.com")


def every_key(d: Deployment) -> list[str]:
    return sorted(d.model.key_policies)


def service_questions(key: str) -> list[tuple[str, str, dict[str, str]]]:
    """What each service would ask of ``key``, in the key's own account."""
    account, region = key.split(":")[4], key.split(":")[3]
    group = naming.arn(service="logs", region=region, account_id=account, resource="log-group:/aws/codebuild/x")
    questions = [
        (f"logs.{region}.amazonaws.com", a, {"kms:EncryptionContext:aws:logs:arn": group}) for a in LOGS_ACTIONS
    ]
    questions += [(s, a, {"aws:SourceAccount": account}) for s in SERVICES for a in PUBLISH_ACTIONS]
    return questions


def test_no_key_admits_a_service_that_does_not_use_it(any_deployment):
    """Least privilege: a service the stacks never ask to use a key is refused by it."""
    admitted = [
        f"{key}: {service} {action}"
        for key in every_key(any_deployment)
        for service, action, context in service_questions(key)
        if service not in any_deployment.uses.services_of(key)
        and any_deployment.model.service_can(service, action, key, **context)
    ]
    assert admitted == [], "\n".join(admitted)


def test_cloudwatch_logs_may_use_a_key_only_for_the_log_groups_that_use_it(any_deployment):
    """Least privilege: for a log group of no stack, of another pipeline, or of another
    account, CloudWatch Logs is refused by every key."""
    config = any_deployment.config
    (first, *_), (repository, *_) = config.environments, config.repositories.etl
    strangers = ["/aws/lambda/unrelated", "/aws/codebuild/other-project-apply", "/unrelated/aws-glue/x"]
    strangers += [
        "/aws/codebuild/" + config.label(first).repository_prefix("unknown") + "apply",
        config.label(first).log_group_path("unknown") + "x",
        config.label(first).log_group_path(repository.name).replace(f"/{first.name}/", "/other/") + "x",
    ]
    admitted = []
    for key in every_key(any_deployment):
        account, region = key.split(":")[4], key.split(":")[3]
        for group in strangers:
            for owner in (account, "999999999999"):
                context = {
                    "kms:EncryptionContext:aws:logs:arn": naming.arn(
                        service="logs", region=region, account_id=owner, resource=f"log-group:{group}"
                    )
                }
                if any(
                    any_deployment.model.service_can(f"logs.{region}.amazonaws.com", a, key, **context)
                    for a in LOGS_ACTIONS
                ):
                    admitted.append(f"{key}: {owner} {group}")
    assert admitted == [], "\n".join(admitted)


# Planted weaknesses fail ------------------------------------------------------------------


def without_logs_grant(policy: dict) -> dict:
    statements = [s for s in policy["Statement"] if "logs." not in json.dumps(s.get("Principal"))]
    return {**policy, "Statement": statements}


def test_an_artifact_key_without_its_logs_grant_fails_every_build_log_group(default):
    """As before the fix: the artifact key admits no CloudWatch Logs, and the check names
    each pipeline's CodeBuild log groups (and nothing else)."""
    planted = AccessModel.from_stacks(default.stacks, admin_roles(DEFAULT))
    key = planted.key_arn(DEFAULT.artifact_key_alias_arn())
    planted.key_policies[key] = without_logs_grant(planted.key_policies[key])
    refused = unexpected(KeyUses(default.stacks, planted).refused())
    groups = {
        conf["name"]
        for stack in default.stacks.values()
        for conf in stack.resources("aws_cloudwatch_log_group").values()
        if conf["name"].startswith("/aws/codebuild/")
    }
    assert len(groups) == 7 * len(DEFAULT.environments) * len(DEFAULT.repositories.all)
    named = {use.context["kms:EncryptionContext:aws:logs:arn"].split("log-group:")[1] for use in refused}
    assert named == groups, report(refused)
    assert {use.principal for use in refused} == {"logs.eu-west-1.amazonaws.com"}


def test_a_data_key_without_its_logs_grant_fails_flow_glue_and_etl_logs(default):
    planted = AccessModel.from_stacks(default.stacks, admin_roles(DEFAULT))
    env = DEFAULT.environment("dev")
    key = planted.key_arn(
        naming.kms_alias_arn(account_id=env.account_id, region=env.region, alias="alias/datalake-dev-data")
    )
    planted.key_policies[key] = without_logs_grant(planted.key_policies[key])
    refused = unexpected(KeyUses(default.stacks, planted).refused())
    named = {use.context["kms:EncryptionContext:aws:logs:arn"].split("log-group:")[1] for use in refused}
    assert "/aws/vpc/datalake-dev/flow-logs" in named, named
    assert "/datalake/dev/sales/lambda/validate-arrival" in named, named
    assert "/aws-glue/jobs/logs-v2-datalake-dev-jobs" in named, named
    assert {use.reference.stack for use in refused} == {"datalake-dev", "etl-sales-dev"}


def test_topic_keys_without_their_publishers_fail_their_topics(default):
    """The notification key without CodeStar Notifications, the dev data key without alarms
    and rules: each topic's service publishers are named, and no one else."""
    planted = AccessModel.from_stacks(default.stacks, admin_roles(DEFAULT))
    dev = DEFAULT.environment("dev")
    for alias, service in (
        (
            naming.kms_alias_arn(account_id=CENTRAL, region="eu-west-1", alias=DEFAULT.notification_key_alias),
            "codestar-notifications",
        ),
        (
            naming.kms_alias_arn(account_id=dev.account_id, region=dev.region, alias="alias/datalake-dev-data"),
            "cloudwatch.amazonaws.com",
        ),
    ):
        key = planted.key_arn(alias)
        policy = planted.key_policies[key]
        kept = [s for s in policy["Statement"] if service not in json.dumps(s.get("Principal"))]
        planted.key_policies[key] = {**policy, "Statement": kept}
    refused = unexpected(KeyUses(default.stacks, planted).refused())
    assert {use.principal for use in refused} == {
        "codestar-notifications.amazonaws.com",
        "cloudwatch.amazonaws.com",
        "events.amazonaws.com",
    }, report(refused)
    pipelines = {s for s in default.stacks if s.startswith("pipeline-")}
    assert {use.reference.stack for use in refused} == {*pipelines, "etl-sales-dev"}


def test_a_role_without_its_key_grant_is_refused(default):
    """The role side: the dev infrastructure pipeline's build role without its statements on
    the artifact key fails its builds' encryption key and its artifacts."""
    planted = AccessModel.from_stacks(default.stacks, admin_roles(DEFAULT))
    role = DEFAULT.pipeline_role_arn(DEFAULT.environment("dev"), DEFAULT.repositories.infrastructure)
    for policy in planted.nodes[role].attached_policies:
        policy.policy_doc = {
            **policy.policy_doc,
            "Statement": [
                s for s in policy.policy_doc["Statement"] if "artifacts" not in json.dumps(s.get("Condition"))
            ],
        }
    refused = unexpected(KeyUses(default.stacks, planted).refused())
    assert {use.principal for use in refused} == {role}
    assert {use.reference.resource_type for use in refused} == {
        "aws_codebuild_project",
        "aws_s3_bucket_server_side_encryption_configuration",
    }


def planted_stacks(default: Deployment, stack_id: str, change) -> dict[str, SynthStack]:
    stack = default.stacks[stack_id]
    body = copy.deepcopy(stack.json)
    change(body)
    return {**default.stacks, stack_id: SynthStack(stack_id, stack.directory, body)}


def test_a_resource_type_without_a_rule_is_reported(default):
    """A new kind of resource that names a key cannot slip by."""
    data_key = "${data.aws_ssm_parameter.etl_contract_kms-key-arn_82EBAB76.insecure_value}"

    def add_queue(body):
        body["resource"]["aws_sqs_queue"] = {"queue": {"name": "datalake-dev-sales-q", "kms_master_key_id": data_key}}

    stacks = planted_stacks(default, "etl-sales-dev", add_queue)
    problems = KeyUses(stacks, AccessModel.from_stacks(stacks, admin_roles(DEFAULT))).problems
    assert problems == [
        "etl-sales-dev: aws_sqs_queue.queue.kms_master_key_id: no rule says who uses a key named by aws_sqs_queue"
    ]


def test_a_key_attribute_that_names_no_known_key_is_reported(default):
    def unknown_key(body):
        (group, *_) = body["resource"]["aws_cloudwatch_log_group"].values()
        group["kms_key_id"] = "arn:aws:kms:eu-west-1:222222222222:key/1234abcd-0000-0000-0000-000000000000"

    stacks = planted_stacks(default, "etl-sales-dev", unknown_key)
    problems = KeyUses(stacks, AccessModel.from_stacks(stacks, admin_roles(DEFAULT))).problems
    assert problems == [
        "etl-sales-dev: arn:aws:kms:eu-west-1:222222222222:key/1234abcd-0000-0000-0000-000000000000 is a key no stack"
        " of the deployment creates",
        "etl-sales-dev: aws_cloudwatch_log_group.etl_lambda-validate-arrival_logs_2FCEC387.kms_key_id:"
        " 'arn:aws:kms:eu-west-1:222222222222:key/1234abcd-0000-0000-0000-000000000000' names no key of the model",
    ]


def test_a_table_encrypted_with_the_data_key_asks_its_users_and_its_creator(default):
    """The DynamoDB rule, on the audit table with the data key instead of AWS's: its creator
    (the ETL deploy role) would need kms:CreateGrant and its writer (the validator) kms:Decrypt
    through DynamoDB, and neither has it, so both are named."""

    def table_key(body):
        (table,) = body["resource"]["aws_dynamodb_table"].values()
        (topic,) = body["resource"]["aws_sns_topic"].values()
        table["server_side_encryption"]["kms_key_arn"] = topic["kms_master_key_id"]  # the contract's data key

    stacks = planted_stacks(default, "etl-sales-dev", table_key)
    uses = KeyUses(stacks, AccessModel.from_stacks(stacks, admin_roles(DEFAULT)))
    refused = [use for use in uses.refused() if use.reference.resource_type == "aws_dynamodb_table"]
    assert {(use.principal.rsplit("/", 1)[1], use.action) for use in refused} == {
        ("datalake-dev-sales-deploy", "kms:CreateGrant"),
        ("datalake-dev-sales-validate-arrival", "kms:Decrypt"),
    }, report(refused)


# The evaluator's service question -------------------------------------------------------


def test_service_can_reads_only_the_statements_that_name_the_service(default):
    model = default.model
    key = model.key_arn(DEFAULT.artifact_key_alias_arn())
    group = naming.arn(
        service="logs",
        region="eu-west-1",
        account_id=CENTRAL,
        resource="log-group:/aws/codebuild/datalake-dev-sales-apply",
    )
    logs = {"kms:EncryptionContext:aws:logs:arn": group}
    assert model.service_can("logs.eu-west-1.amazonaws.com", "kms:GenerateDataKey", key, **logs)
    # another region's CloudWatch Logs is another principal; the root statement admits no service
    assert not model.service_can("logs.eu-central-1.amazonaws.com", "kms:GenerateDataKey", key, **logs)
    assert not model.service_can("codebuild.amazonaws.com", "kms:GenerateDataKey", key, **logs)
    # the condition is evaluated: no context, no admission
    assert not model.service_can("logs.eu-west-1.amazonaws.com", "kms:GenerateDataKey", key)
    # a key no stack created has AWS's default policy: no service
    assert not model.service_can(
        "logs.eu-west-1.amazonaws.com", "kms:GenerateDataKey", model.foreign_key_arn(CENTRAL), **logs
    )


def test_service_can_honours_a_deny(default):
    model = AccessModel.from_stacks(default.stacks, admin_roles(DEFAULT))
    key = model.key_arn(DEFAULT.artifact_key_alias_arn())
    group = naming.arn(
        service="logs",
        region="eu-west-1",
        account_id=CENTRAL,
        resource="log-group:/aws/codebuild/datalake-dev-sales-apply",
    )
    logs = {"kms:EncryptionContext:aws:logs:arn": group}
    denies = [
        {"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"},
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "kms:ReEncrypt*", "Resource": "*"},
    ]
    model.key_policies[key] = {**model.key_policies[key], "Statement": [*model.key_policies[key]["Statement"], *denies]}
    assert not model.service_can("logs.eu-west-1.amazonaws.com", "kms:Decrypt", key, **logs)
    assert not model.service_can("logs.eu-west-1.amazonaws.com", "kms:ReEncryptFrom", key, **logs)
    assert model.service_can("logs.eu-west-1.amazonaws.com", "kms:Encrypt", key, **logs)
