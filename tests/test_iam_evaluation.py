"""Who may do what, answered by evaluating the synthesized documents (tests/support/iam.py).

Each question names a principal, an action, a resource and the request's condition
keys; principalmapper evaluates the role's policies, its permissions boundary and the
resource's own policy (bucket, key or trust policy), as AWS would. Nothing here compares
a statement with the text the code wrote.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from datalake_cdktf import naming
from datalake_cdktf.builds import BUILDS, run_as
from datalake_cdktf.config.etl import load_etl_config
from datalake_cdktf.iam.pipeline import Role

from tests.conftest import DEFAULT
from tests.support.iam import ADMINISTRATOR_ACCESS, AccessModel, account_trust, sample, satisfying
from tests.support.synth import ETL_TEMPLATE
from tests.test_environment_bootstrap import deploy_policies

CENTRAL = DEFAULT.central.account_id
INFRA = DEFAULT.repositories.infrastructure
(SALES,) = DEFAULT.repositories.etl
GLUE, LAMBDA, STATES, EC2 = (f"{s}.amazonaws.com" for s in ("glue", "lambda", "states", "ec2"))


@pytest.fixture(scope="module")
def model(all_stacks) -> AccessModel:
    """Every stack: the deployment's and the template ETL repository's (its jobs' and functions' roles)."""
    return AccessModel.from_stacks(all_stacks, {env.account_id: env.admin_role_name for env in DEFAULT.environments})


@dataclass(frozen=True)
class In:
    """Names and ARNs of one environment, as a question reads them."""

    env: str

    @property
    def environment(self):
        return DEFAULT.environment(self.env)

    @property
    def account(self) -> str:
        return self.environment.account_id

    @property
    def label(self) -> naming.Label:
        return DEFAULT.label(self.environment)

    def deploy(self, repository=INFRA) -> str:
        return DEFAULT.deploy_role_arn(self.environment, repository)

    def pipeline(self, repository=INFRA) -> str:
        return DEFAULT.pipeline_role_arn(self.environment, repository)

    def pull_request(self, repository=INFRA) -> str:
        return DEFAULT.pull_request_role_arn(self.environment, repository)

    def plan(self, repository=INFRA) -> str:
        return DEFAULT.plan_role_arn(self.environment, repository)

    def drift(self, repository=INFRA) -> str:
        return DEFAULT.drift_role_arn(self.environment, repository)

    def apply(self, repository=INFRA) -> str:
        return DEFAULT.apply_role_arn(self.environment, repository)

    def review(self, repository=INFRA) -> str:
        return DEFAULT.review_role_arn(self.environment, repository)

    def comment(self, repository=INFRA) -> str:
        return DEFAULT.comment_role_arn(self.environment, repository)

    def codepipeline(self, repository=INFRA) -> str:
        return naming.role_arn(
            account_id=CENTRAL, role_name=self.label.codepipeline_role(repository.name), region="eu-west-1"
        )

    def central(self, service: str, resource: str) -> str:
        return naming.arn(service=service, region="eu-west-1", account_id=CENTRAL, resource=resource)

    def artifacts(self, repository=INFRA, key: str | None = None) -> str:
        arn = naming.bucket_arn(bucket_name=self.label.pipeline_bucket(repository.name, CENTRAL), region="eu-west-1")
        return f"{arn}/{key}" if key is not None else arn

    def boundary(self, repository=INFRA) -> str:
        return DEFAULT.boundary_arn(self.environment, repository)

    def deploy_policy(self, repository=INFRA) -> str:
        return naming.policy_arn(
            account_id=self.account, policy_name=self.label.deploy_policy(repository.name), region="eu-west-1"
        )

    def role(self, name: str) -> str:
        return naming.role_arn(account_id=self.account, role_name=name, region="eu-west-1")

    def admin(self) -> str:
        return self.role(self.environment.admin_role_name)

    def bucket(self, purpose: str, key: str | None = None) -> str:
        arn = naming.bucket_arn(bucket_name=self.label.bucket(purpose, self.account, "eu-west-1"), region="eu-west-1")
        return f"{arn}/{key}" if key is not None else arn

    def arn(self, service: str, resource: str) -> str:
        return naming.arn(service=service, region="eu-west-1", account_id=self.account, resource=resource)

    def data_key_alias(self) -> str:
        return naming.kms_alias_arn(account_id=self.account, region="eu-west-1", alias=self.label.kms_alias("data"))

    def database(self, zone: str) -> str:
        return self.arn("glue", f"database/{self.label.glue_database(zone)}")

    def validator(self) -> str:
        """The role of the template's validating function (``workflow.validate_with``)."""
        return self.role(self.label.role(SALES.name, TEMPLATE.workflow.validate_with))

    def key_use(self, service: str | None, **context: str) -> dict[str, Any]:
        """The request context of a call to the data key: made by ``service`` for its caller
        (``kms:ViaService``), or by the caller itself (``service`` None)."""
        via = {"kms:ViaService": f"{service}.eu-west-1.amazonaws.com"} if service else {}
        return {"kms:ResourceAliases": [self.label.kms_alias("data")], **via, **context}

    def through_s3(self, bucket: str) -> dict[str, Any]:
        """What S3 asks of the data key for an object of ``bucket`` (a purpose): the buckets
        use S3 bucket keys, so the encryption context is the bucket's ARN."""
        return self.key_use("s3", **{"kms:EncryptionContext:aws:s3:arn": self.bucket(bucket)})


TEMPLATE = load_etl_config(ETL_TEMPLATE / "etl.yaml")
"""The template ETL repository (the default deployment's ``sales``)."""
ARRIVALS = TEMPLATE.workflow.on_object_created
"""Where the objects arrive that the template's validator reads."""

DEV, TEST, PROD = In("dev"), In("test"), In("prod")
STATE = naming.bucket_arn(bucket_name=DEFAULT.state_bucket, region="eu-west-1")
STATE_ALIAS = DEFAULT.state_key_alias


@dataclass(frozen=True)
class Q:
    """One question: may ``principal`` do ``action`` on ``resource`` (with ``context``)?"""

    why: str
    principal: str
    action: str
    resource: str
    allowed: bool
    context: dict[str, Any] = field(default_factory=dict)
    key_alias: str | None = None
    """Set when ``resource`` is a key named by its alias (resolved through the model)."""


def question(q: Q) -> Any:
    return pytest.param(q, id=q.why)


QUESTIONS = [
    # --- The infrastructure deploy role cannot make itself more than it is.
    Q("infra rewrites its own permissions policy", DEV.deploy(), "iam:CreatePolicyVersion", DEV.deploy_policy(), False),
    Q("infra rewrites its boundary", DEV.deploy(), "iam:CreatePolicyVersion", DEV.boundary(), False),
    Q("infra deletes its boundary", DEV.deploy(), "iam:DeletePolicy", DEV.boundary(), False),
    Q("infra adds an inline policy to itself", DEV.deploy(), "iam:PutRolePolicy", DEV.deploy(), False),
    Q(
        "infra attaches its own policy again to itself",
        DEV.deploy(),
        "iam:AttachRolePolicy",
        DEV.deploy(),
        False,
        {"iam:PolicyARN": DEV.deploy_policy()},
    ),
    Q("infra rewrites its own trust", DEV.deploy(), "iam:UpdateAssumeRolePolicy", DEV.deploy(), False),
    Q("infra removes its own boundary", DEV.deploy(), "iam:DeleteRolePermissionsBoundary", DEV.deploy(), False),
    Q("infra rewrites the admin role's trust", DEV.deploy(), "iam:UpdateAssumeRolePolicy", DEV.admin(), False),
    Q(
        "infra attaches AdministratorAccess to the admin role",
        DEV.deploy(),
        "iam:AttachRolePolicy",
        DEV.admin(),
        False,
        {"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"},
    ),
    Q(
        "infra attaches AdministratorAccess to a role of its own",
        DEV.deploy(),
        "iam:AttachRolePolicy",
        DEV.role("datalake-dev-datalake-infra-flow-logs"),
        False,
        {"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"},
    ),
    Q(
        "infra creates a role of its prefix with its boundary",
        DEV.deploy(),
        "iam:CreateRole",
        DEV.role("datalake-dev-datalake-infra-crawler"),
        True,
        {"iam:PermissionsBoundary": DEV.boundary()},
    ),
    Q("infra creates a role without a boundary", DEV.deploy(), "iam:CreateRole", DEV.role("datalake-dev-x"), False),
    Q(
        "infra creates a role with the ETL boundary",
        DEV.deploy(),
        "iam:CreateRole",
        DEV.role("datalake-dev-x"),
        False,
        {"iam:PermissionsBoundary": DEV.boundary(SALES)},
    ),
    Q(
        "infra creates a role outside its prefix",
        DEV.deploy(),
        "iam:CreateRole",
        DEV.role("admin-x"),
        False,
        {"iam:PermissionsBoundary": DEV.boundary()},
    ),
    Q(
        "infra edits an ETL repository's role",
        DEV.deploy(),
        "iam:PutRolePolicy",
        DEV.role("datalake-dev-sales-job"),
        False,
    ),
    Q(
        "infra rewrites the ETL deploy role's trust",
        DEV.deploy(),
        "iam:UpdateAssumeRolePolicy",
        DEV.deploy(SALES),
        False,
    ),
    Q("infra rewrites the ETL boundary", DEV.deploy(), "iam:CreatePolicyVersion", DEV.boundary(SALES), False),
    Q(
        "infra passes the flow-log role to flow logs",
        DEV.deploy(),
        "iam:PassRole",
        DEV.role("datalake-dev-datalake-infra-flow-logs"),
        True,
        {"iam:PassedToService": "vpc-flow-logs.amazonaws.com"},
    ),
    Q(
        "infra passes a role to EC2 instances",
        DEV.deploy(),
        "iam:PassRole",
        DEV.role("datalake-dev-datalake-infra-flow-logs"),
        False,
        {"iam:PassedToService": EC2},
    ),
    Q("infra creates a user", DEV.deploy(), "iam:CreateUser", f"arn:aws:iam::{DEV.account}:user/x", False),
    Q("infra creates an access key", DEV.deploy(), "iam:CreateAccessKey", f"arn:aws:iam::{DEV.account}:user/x", False),
    # --- ... and does what the data lake needs, nothing more.
    Q("infra configures the raw bucket's policy", DEV.deploy(), "s3:PutBucketPolicy", DEV.bucket("raw"), True),
    Q("infra reads data", DEV.deploy(), "s3:GetObject", DEV.bucket("raw", "sales/2026/x.csv"), False),
    Q(
        "infra edits the data key's policy",
        DEV.deploy(),
        "kms:PutKeyPolicy",
        "",
        True,
        key_alias=DEV.data_key_alias(),
    ),
    Q("infra edits a key it did not create", DEV.deploy(), "kms:PutKeyPolicy", "foreign", False),
    Q("infra creates a VPC", DEV.deploy(), "ec2:CreateVpc", "*", True),
    Q(
        "infra creates a VPC in another region",
        DEV.deploy(),
        "ec2:CreateVpc",
        "*",
        False,
        {"aws:RequestedRegion": "us-east-1"},
    ),
    Q("infra creates an internet gateway", DEV.deploy(), "ec2:CreateInternetGateway", "*", False),
    Q("infra attaches an internet gateway", DEV.deploy(), "ec2:AttachInternetGateway", "*", False),
    Q("infra creates a NAT gateway", DEV.deploy(), "ec2:CreateNatGateway", "*", False),
    Q("infra peers the VPC", DEV.deploy(), "ec2:CreateVpcPeeringConnection", "*", False),
    Q("infra shares a snapshot", DEV.deploy(), "ec2:ModifySnapshotAttribute", "*", False),
    Q(
        "infra publishes the contract",
        DEV.deploy(),
        "ssm:PutParameter",
        DEV.arn("ssm", "parameter/datalake/dev/datalake/kms/key-arn"),
        True,
    ),
    Q(
        "infra writes an ETL repository's parameters",
        DEV.deploy(),
        "ssm:PutParameter",
        DEV.arn("ssm", "parameter/datalake/dev/sales/x"),
        False,
    ),
    Q(
        "infra reads a secret",
        DEV.deploy(),
        "secretsmanager:GetSecretValue",
        DEV.arn("secretsmanager", "secret:x"),
        False,
    ),
    # --- The jobs' shared security configuration (no resource ARN): the infrastructure's.
    Q("infra creates the jobs' security configuration", DEV.deploy(), "glue:CreateSecurityConfiguration", "*", True),
    Q(
        "ETL deletes the jobs' security configuration",
        DEV.deploy(SALES),
        "glue:DeleteSecurityConfiguration",
        "*",
        False,
    ),
    Q("ETL creates a security configuration", DEV.deploy(SALES), "glue:CreateSecurityConfiguration", "*", False),
    Q("ETL reads the jobs' security configuration", DEV.deploy(SALES), "glue:GetSecurityConfiguration", "*", True),
    # --- An ETL deploy role manages its own repository's resources only.
    Q(
        "ETL creates its Glue job",
        DEV.deploy(SALES),
        "glue:CreateJob",
        DEV.arn("glue", "job/datalake-dev-sales-load"),
        True,
    ),
    Q(
        "ETL creates another repository's Glue job",
        DEV.deploy(SALES),
        "glue:CreateJob",
        DEV.arn("glue", "job/datalake-dev-other-load"),
        False,
    ),
    Q(
        "ETL creates its state machine",
        DEV.deploy(SALES),
        "states:CreateStateMachine",
        DEV.arn("states", "stateMachine:datalake-dev-sales-flow"),
        True,
    ),
    Q(
        "ETL creates a function outside its prefix",
        DEV.deploy(SALES),
        "lambda:CreateFunction",
        DEV.arn("lambda", "function:datalake-dev-raw-check"),
        False,
    ),
    Q(
        "ETL creates a role with its boundary",
        DEV.deploy(SALES),
        "iam:CreateRole",
        DEV.role("datalake-dev-sales-job"),
        True,
        {"iam:PermissionsBoundary": DEV.boundary(SALES)},
    ),
    Q(
        "ETL creates a role without a boundary",
        DEV.deploy(SALES),
        "iam:CreateRole",
        DEV.role("datalake-dev-sales-job"),
        False,
    ),
    Q(
        "ETL creates a role with the infrastructure boundary",
        DEV.deploy(SALES),
        "iam:CreateRole",
        DEV.role("datalake-dev-sales-job"),
        False,
        {"iam:PermissionsBoundary": DEV.boundary()},
    ),
    Q(
        "ETL creates a role in the infrastructure repository's prefix",
        DEV.deploy(SALES),
        "iam:CreateRole",
        DEV.role("datalake-dev-datalake-infra-crawler"),
        False,
        {"iam:PermissionsBoundary": DEV.boundary(SALES)},
    ),
    Q(
        "ETL passes its job role to Glue",
        DEV.deploy(SALES),
        "iam:PassRole",
        DEV.role("datalake-dev-sales-job"),
        True,
        {"iam:PassedToService": GLUE},
    ),
    Q(
        "ETL passes its role to EC2",
        DEV.deploy(SALES),
        "iam:PassRole",
        DEV.role("datalake-dev-sales-job"),
        False,
        {"iam:PassedToService": EC2},
    ),
    Q(
        "ETL passes the flow-log role to Glue",
        DEV.deploy(SALES),
        "iam:PassRole",
        DEV.role("datalake-dev-datalake-infra-flow-logs"),
        False,
        {"iam:PassedToService": GLUE},
    ),
    Q("ETL edits its own deploy role", DEV.deploy(SALES), "iam:PutRolePolicy", DEV.deploy(SALES), False),
    Q("ETL rewrites its own policy", DEV.deploy(SALES), "iam:CreatePolicyVersion", DEV.deploy_policy(SALES), False),
    Q("ETL rewrites its boundary", DEV.deploy(SALES), "iam:CreatePolicyVersion", DEV.boundary(SALES), False),
    Q("ETL edits the infrastructure deploy role", DEV.deploy(SALES), "iam:PutRolePolicy", DEV.deploy(), False),
    Q("ETL rewrites the admin role's trust", DEV.deploy(SALES), "iam:UpdateAssumeRolePolicy", DEV.admin(), False),
    Q(
        "ETL edits the data key's policy",
        DEV.deploy(SALES),
        "kms:PutKeyPolicy",
        "",
        False,
        key_alias=DEV.data_key_alias(),
    ),
    Q("ETL puts a policy on the raw bucket", DEV.deploy(SALES), "s3:PutBucketPolicy", DEV.bucket("raw"), False),
    Q(
        "ETL turns off the raw bucket's public access block",
        DEV.deploy(SALES),
        "s3:PutBucketPublicAccessBlock",
        DEV.bucket("raw"),
        False,
    ),
    Q("ETL uploads its script", DEV.deploy(SALES), "s3:PutObject", DEV.bucket("assets", "sales/jobs/load.py"), True),
    Q(
        "ETL uploads into another repository's assets",
        DEV.deploy(SALES),
        "s3:PutObject",
        DEV.bucket("assets", "other/jobs/load.py"),
        False,
    ),
    Q("ETL deploy role writes data", DEV.deploy(SALES), "s3:PutObject", DEV.bucket("raw", "x.csv"), False),
    Q(
        "ETL encrypts its assets with the data key",
        DEV.deploy(SALES),
        "kms:GenerateDataKey",
        "",
        True,
        {
            "kms:ViaService": "s3.eu-west-1.amazonaws.com",
            "kms:EncryptionContext:aws:s3:arn": DEV.bucket("assets"),
            "kms:ResourceAliases": ["alias/datalake-dev-data"],
        },
        key_alias=DEV.data_key_alias(),
    ),
    Q(
        "ETL decrypts raw data with the data key",
        DEV.deploy(SALES),
        "kms:Decrypt",
        "",
        False,
        {
            "kms:ViaService": "s3.eu-west-1.amazonaws.com",
            "kms:EncryptionContext:aws:s3:arn": DEV.bucket("raw"),
            "kms:ResourceAliases": ["alias/datalake-dev-data"],
        },
        key_alias=DEV.data_key_alias(),
    ),
    Q("ETL creates a security group", DEV.deploy(SALES), "ec2:CreateSecurityGroup", "*", False),
    Q("ETL creates a VPC endpoint", DEV.deploy(SALES), "ec2:CreateVpcEndpoint", "*", False),
    Q(
        "ETL reads the contract",
        DEV.deploy(SALES),
        "ssm:GetParameter",
        DEV.arn("ssm", "parameter/datalake/dev/datalake/buckets/raw/name"),
        True,
    ),
    Q(
        "ETL changes the contract",
        DEV.deploy(SALES),
        "ssm:PutParameter",
        DEV.arn("ssm", "parameter/datalake/dev/datalake/buckets/raw/name"),
        False,
    ),
    Q(
        "ETL describes its own secret",
        DEV.deploy(SALES),
        "secretsmanager:DescribeSecret",
        DEV.arn("secretsmanager", "secret:datalake/dev/sales/db-AbCdEf"),
        True,
    ),
    Q(
        "ETL reads a secret outside the project's paths",
        DEV.deploy(SALES),
        "secretsmanager:GetSecretValue",
        DEV.arn("secretsmanager", "secret:datalake/pull-request-token-AbCdEf"),
        False,
    ),
    Q(
        "ETL reads a SecureString outside its paths",
        DEV.deploy(SALES),
        "ssm:GetParameter",
        DEV.arn("ssm", "parameter/prod/db/password"),
        False,
    ),
    # --- Only the apply build deploys: it alone assumes the deploy role and writes state.
    Q("dev infra apply assumes the dev infra deploy role", DEV.apply(), "sts:AssumeRole", DEV.deploy(), True),
    Q("dev infra apply assumes the prod infra deploy role", DEV.apply(), "sts:AssumeRole", PROD.deploy(), False),
    Q("dev ETL apply assumes the dev infra deploy role", DEV.apply(SALES), "sts:AssumeRole", DEV.deploy(), False),
    Q("dev ETL apply assumes its deploy role", DEV.apply(SALES), "sts:AssumeRole", DEV.deploy(SALES), True),
    Q(
        "test ETL apply assumes the prod ETL deploy role",
        TEST.apply(SALES),
        "sts:AssumeRole",
        PROD.deploy(SALES),
        False,
    ),
    Q("an apply assumes an environment's admin role", PROD.apply(), "sts:AssumeRole", PROD.admin(), False),
    Q("the code's role assumes the deploy role", DEV.pipeline(), "sts:AssumeRole", DEV.deploy(), False),
    Q("the code's role assumes the plan role", DEV.pipeline(), "sts:AssumeRole", DEV.plan(), True),
    Q("the code's role assumes the drift role", DEV.pipeline(), "sts:AssumeRole", DEV.drift(), False),
    Q("the review role assumes the drift role", DEV.review(), "sts:AssumeRole", DEV.drift(), True),
    Q("the review role assumes the deploy role", DEV.review(), "sts:AssumeRole", DEV.deploy(), False),
    Q("dev infra apply writes its state", DEV.apply(), "s3:PutObject", f"{STATE}/datalake-dev/terraform.tfstate", True),
    Q(
        "dev infra apply writes prod state",
        DEV.apply(),
        "s3:PutObject",
        f"{STATE}/datalake-prod/terraform.tfstate",
        False,
    ),
    Q("the code's role writes state", DEV.pipeline(), "s3:PutObject", f"{STATE}/datalake-dev/terraform.tfstate", False),
    Q(
        "the code's role reads its state",
        DEV.pipeline(),
        "s3:GetObject",
        f"{STATE}/datalake-dev/terraform.tfstate",
        True,
    ),
    Q(
        "the code's role reads its pipeline stack's state",
        DEV.pipeline(SALES),
        "s3:GetObject",
        f"{STATE}/pipeline-sales-dev/terraform.tfstate",
        True,
    ),
    Q(
        "dev infra code reads prod state",
        DEV.pipeline(),
        "s3:GetObject",
        f"{STATE}/datalake-prod/terraform.tfstate",
        False,
    ),
    Q(
        "dev ETL apply writes the data lake's state",
        DEV.apply(SALES),
        "s3:PutObject",
        f"{STATE}/datalake-dev/terraform.tfstate",
        False,
    ),
    Q(
        "dev ETL apply writes its own state",
        DEV.apply(SALES),
        "s3:PutObject",
        f"{STATE}/etl-sales-dev/terraform.tfstate",
        True,
    ),
    Q(
        "an apply writes the bootstrap's state",
        PROD.apply(),
        "s3:PutObject",
        f"{STATE}/bootstrap-prod/terraform.tfstate",
        False,
    ),
    Q(
        "an apply decrypts state through S3",
        DEV.apply(),
        "kms:Decrypt",
        "",
        True,
        {"kms:ViaService": "s3.eu-west-1.amazonaws.com", "kms:ResourceAliases": [STATE_ALIAS]},
        key_alias=DEFAULT.state_key_alias_arn,
    ),
    Q(
        "the code's role encrypts state",
        DEV.pipeline(),
        "kms:GenerateDataKey",
        "",
        False,
        {"kms:ViaService": "s3.eu-west-1.amazonaws.com", "kms:ResourceAliases": [STATE_ALIAS]},
        key_alias=DEFAULT.state_key_alias_arn,
    ),
    Q(
        "an apply decrypts with the state key directly",
        DEV.apply(),
        "kms:Decrypt",
        "",
        False,
        {"kms:ResourceAliases": [STATE_ALIAS]},
        key_alias=DEFAULT.state_key_alias_arn,
    ),
    # --- Pull requests plan read-only, through their own roles, hold no secret, never apply.
    Q("a pull-request build assumes its plan role", DEV.pull_request(), "sts:AssumeRole", DEV.plan(), True),
    Q(
        "a pull-request build reads its cache",
        DEV.pull_request(),
        "s3:GetObject",
        DEV.artifacts(INFRA, "cache/pr/x"),
        True,
    ),
    Q(
        "a pull-request build writes its cache",
        DEV.pull_request(),
        "s3:PutObject",
        DEV.artifacts(INFRA, "cache/pr/x"),
        True,
    ),
    Q(
        "a pull-request build writes the apply build's cache",
        DEV.pull_request(),
        "s3:PutObject",
        DEV.artifacts(INFRA, "cache/apply/x"),
        False,
    ),
    Q(
        "a pull-request build writes its plans for the comment",
        DEV.pull_request(),
        "s3:PutObject",
        DEV.artifacts(INFRA, "pull-requests/0d4c/plans.zip"),
        True,
    ),
    Q(
        "a pull-request build replaces a saved plan",
        DEV.pull_request(),
        "s3:PutObject",
        DEV.artifacts(INFRA, "datalake-dev-datalak/plan/x"),
        False,
    ),
    Q(
        "a pull-request build replaces the sealed plans",
        DEV.pull_request(),
        "s3:PutObject",
        DEV.artifacts(INFRA, "datalake-dev-datalak/seal/x"),
        False,
    ),
    Q(
        "a pull-request build writes another repository's cache",
        DEV.pull_request(),
        "s3:PutObject",
        DEV.artifacts(SALES, "cache/pr/x"),
        False,
    ),
    Q("a pull-request build assumes the deploy role", DEV.pull_request(), "sts:AssumeRole", DEV.deploy(), False),
    Q("a dev pull-request build assumes the prod plan role", DEV.pull_request(), "sts:AssumeRole", PROD.plan(), False),
    Q(
        "a pull-request build writes state",
        DEV.pull_request(),
        "s3:PutObject",
        f"{STATE}/datalake-dev/terraform.tfstate",
        False,
    ),
    Q(
        "a pull-request build reads its state",
        DEV.pull_request(),
        "s3:GetObject",
        f"{STATE}/datalake-dev/terraform.tfstate",
        True,
    ),
    Q(
        "a dev pull-request build reads prod state",
        DEV.pull_request(),
        "s3:GetObject",
        f"{STATE}/datalake-prod/terraform.tfstate",
        False,
    ),
    Q(
        "a pull-request build reads its repository's comment token",
        DEV.pull_request(),
        "secretsmanager:GetSecretValue",
        DEV.central("secretsmanager", "secret:datalake/datalake-infra/pull-request-token-AbCdEf"),
        False,
    ),
    Q(
        "the seal and drift builds read the comment token",
        DEV.review(),
        "secretsmanager:GetSecretValue",
        DEV.central("secretsmanager", "secret:datalake/datalake-infra/pull-request-token-AbCdEf"),
        False,
    ),
    Q(
        "the comment build reads its repository's comment token",
        DEV.comment(),
        "secretsmanager:GetSecretValue",
        DEV.central("secretsmanager", "secret:datalake/datalake-infra/pull-request-token-AbCdEf"),
        True,
    ),
    Q(
        "the comment build reads another repository's comment token",
        DEV.comment(),
        "secretsmanager:GetSecretValue",
        DEV.central("secretsmanager", "secret:datalake/sales/pull-request-token-AbCdEf"),
        False,
    ),
    Q(
        "the comment build reads another secret",
        DEV.comment(),
        "secretsmanager:GetSecretValue",
        DEV.central("secretsmanager", "secret:datalake/prod-database-AbCdEf"),
        False,
    ),
    Q(
        "the comment build reads a pull request's plans",
        DEV.comment(),
        "s3:GetObject",
        DEV.artifacts(INFRA, "pull-requests/0d4c/plans.zip"),
        True,
    ),
    Q(
        "the comment build asks CodeBuild about a pull request's build",
        DEV.comment(),
        "codebuild:BatchGetBuilds",
        DEV.central("codebuild", "project/datalake-dev-datalake-infra-pr"),
        True,
    ),
    # --- The code plans read-only (-refresh=false): its plan role reads no resource, only
    # the caller's identity and, for an ETL repository, the contract.
    Q("the plan role reads a bucket policy", DEV.plan(), "s3:GetBucketPolicy", DEV.bucket("raw"), False),
    Q("the plan role asks who it is", DEV.plan(), "sts:GetCallerIdentity", "*", True),
    Q(
        "the ETL plan role reads the contract (its stacks' data sources)",
        DEV.plan(SALES),
        "ssm:GetParameter",
        DEV.arn("ssm", "parameter/datalake/dev/datalake/kms/key-arn"),
        True,
    ),
    Q(
        "the ETL plan role reads its own parameters",
        DEV.plan(SALES),
        "ssm:GetParameter",
        DEV.arn("ssm", "parameter/datalake/dev/sales/config"),
        False,
    ),
    Q(
        "the ETL plan role reads its function's code",
        DEV.plan(SALES),
        "lambda:GetFunction",
        DEV.arn("lambda", "function:datalake-dev-sales-validate"),
        False,
    ),
    Q(
        "the ETL plan role describes its secret",
        DEV.plan(SALES),
        "secretsmanager:DescribeSecret",
        DEV.arn("secretsmanager", "secret:datalake/dev/sales/db-AbCdEf"),
        False,
    ),
    Q("the plan role changes a bucket policy", DEV.plan(), "s3:PutBucketPolicy", DEV.bucket("raw"), False),
    Q("the plan role reads data", DEV.plan(), "s3:GetObject", DEV.bucket("raw", "x.csv"), False),
    Q("the plan role creates a VPC", DEV.plan(), "ec2:CreateVpc", "*", False),
    Q(
        "the ETL plan role reads its job",
        DEV.plan(SALES),
        "glue:GetJob",
        DEV.arn("glue", "job/datalake-dev-sales-load"),
        False,
    ),
    Q(
        "the ETL plan role changes its job",
        DEV.plan(SALES),
        "glue:UpdateJob",
        DEV.arn("glue", "job/datalake-dev-sales-load"),
        False,
    ),
    Q(
        "the ETL plan role describes the data key",
        DEV.plan(SALES),
        "kms:DescribeKey",
        "",
        False,
        {"kms:ResourceAliases": [DEV.label.kms_alias("data")]},
        key_alias=DEV.data_key_alias(),
    ),
    Q(
        "the ETL plan role checks a state machine definition",
        DEV.plan(SALES),
        "states:ValidateStateMachineDefinition",
        "*",
        True,
    ),
    Q(
        "the ETL plan role checks a state machine definition in another region",
        DEV.plan(SALES),
        "states:ValidateStateMachineDefinition",
        "*",
        False,
        {"aws:RequestedRegion": "us-east-1"},
    ),
    Q("the ETL plan role creates a state machine", DEV.plan(SALES), "states:CreateStateMachine", "*", False),
    Q(
        "the ETL plan role decrypts with the data key",
        DEV.plan(SALES),
        "kms:Decrypt",
        "",
        False,
        {"kms:ViaService": "s3.eu-west-1.amazonaws.com", "kms:EncryptionContext:aws:s3:arn": DEV.bucket("assets")},
        key_alias=DEV.data_key_alias(),
    ),
    # --- The drift check (the administrator's gate) reads configuration, never data or values.
    Q(
        "the ETL drift role reads its job",
        DEV.drift(SALES),
        "glue:GetJob",
        DEV.arn("glue", "job/datalake-dev-sales-load"),
        True,
    ),
    Q(
        "the ETL drift role changes its job",
        DEV.drift(SALES),
        "glue:UpdateJob",
        DEV.arn("glue", "job/datalake-dev-sales-load"),
        False,
    ),
    Q("the drift role reads a bucket's versioning", DEV.drift(), "s3:GetBucketVersioning", DEV.bucket("raw"), True),
    Q("the drift role changes a bucket policy", DEV.drift(), "s3:PutBucketPolicy", DEV.bucket("raw"), False),
    Q("the drift role reads data", DEV.drift(), "s3:GetObject", DEV.bucket("raw", "x.csv"), False),
    Q(
        "the ETL drift role reads a secret's value",
        DEV.drift(SALES),
        "secretsmanager:GetSecretValue",
        DEV.arn("secretsmanager", "secret:datalake/dev/sales/db-AbCdEf"),
        False,
    ),
    Q(
        "the ETL drift role decrypts with the data key",
        DEV.drift(SALES),
        "kms:Decrypt",
        "",
        False,
        {"kms:ViaService": "s3.eu-west-1.amazonaws.com", "kms:EncryptionContext:aws:s3:arn": DEV.bucket("raw")},
        key_alias=DEV.data_key_alias(),
    ),
    # --- The apply updates only its own pipeline stack; nothing else changes a pipeline.
    Q(
        "an apply updates its pipeline",
        DEV.apply(SALES),
        "codepipeline:UpdatePipeline",
        DEV.central("codepipeline", "datalake-dev-sales"),
        True,
    ),
    Q(
        "the code's role updates its pipeline",
        DEV.pipeline(SALES),
        "codepipeline:UpdatePipeline",
        DEV.central("codepipeline", "datalake-dev-sales"),
        False,
    ),
    Q(
        "an apply edits another pipeline",
        DEV.apply(SALES),
        "codepipeline:UpdatePipeline",
        DEV.central("codepipeline", "datalake-dev-datalake-infra"),
        False,
    ),
    Q(
        "an apply edits its own test build",
        DEV.apply(SALES),
        "codebuild:UpdateProject",
        DEV.central("codebuild", "project/datalake-dev-sales-test"),
        True,
    ),
    Q(
        "an apply edits its own apply build (the administrator's)",
        DEV.apply(SALES),
        "codebuild:UpdateProject",
        DEV.central("codebuild", "project/datalake-dev-sales-apply"),
        False,
    ),
    Q(
        "an apply edits another pipeline's build project",
        DEV.apply(SALES),
        "codebuild:UpdateProject",
        DEV.central("codebuild", "project/datalake-prod-sales-plan"),
        False,
    ),
    Q(
        "an apply passes its pipeline role to CodePipeline",
        DEV.apply(SALES),
        "iam:PassRole",
        DEV.codepipeline(SALES),
        True,
        {"iam:PassedToService": "codepipeline.amazonaws.com"},
    ),
    Q(
        "an apply passes the pipeline role to EventBridge",
        DEV.apply(SALES),
        "iam:PassRole",
        DEV.codepipeline(SALES),
        False,
        {"iam:PassedToService": "events.amazonaws.com"},
    ),
    Q(
        "an apply passes its own role to CodeBuild",
        DEV.apply(SALES),
        "iam:PassRole",
        DEV.apply(SALES),
        False,
        {"iam:PassedToService": "codebuild.amazonaws.com"},
    ),
    Q(
        "an apply passes another pipeline's role",
        DEV.apply(SALES),
        "iam:PassRole",
        DEV.pipeline(INFRA),
        False,
        {"iam:PassedToService": "codebuild.amazonaws.com"},
    ),
    Q(
        "an apply writes its own pipeline stack's state",
        DEV.apply(SALES),
        "s3:PutObject",
        f"{STATE}/pipeline-sales-dev/terraform.tfstate",
        True,
    ),
    Q(
        "an apply writes another pipeline stack's state",
        DEV.apply(SALES),
        "s3:PutObject",
        f"{STATE}/pipeline-datalake-infra-dev/terraform.tfstate",
        False,
    ),
    # --- Artifacts: the code writes its plan, only the seal writes the sealed copy, the apply reads it.
    Q(
        "the code writes its plan",
        DEV.pipeline(SALES),
        "s3:PutObject",
        DEV.artifacts(SALES, "datalake-dev-sales/plan/Ab3dE5f"),
        True,
    ),
    Q(
        "the code replaces the sealed plans",
        DEV.pipeline(SALES),
        "s3:PutObject",
        DEV.artifacts(SALES, "datalake-dev-sales/seal/Ab3dE5f"),
        False,
    ),
    Q(
        "the code replaces a source",
        DEV.pipeline(SALES),
        "s3:PutObject",
        DEV.artifacts(SALES, "datalake-dev-sales/source/Ab3dE5f"),
        False,
    ),
    Q(
        "the seal writes the sealed plans",
        DEV.review(SALES),
        "s3:PutObject",
        DEV.artifacts(SALES, "datalake-dev-sales/seal/Ab3dE5f"),
        True,
    ),
    Q(
        "the seal replaces the plan it sealed",
        DEV.review(SALES),
        "s3:PutObject",
        DEV.artifacts(SALES, "datalake-dev-sales/plan/Ab3dE5f"),
        False,
    ),
    Q(
        "the apply reads the sealed plans",
        DEV.apply(SALES),
        "s3:GetObject",
        DEV.artifacts(SALES, "datalake-dev-sales/seal/Ab3dE5f"),
        True,
    ),
    Q(
        "the apply reads the unsealed plan",
        DEV.apply(SALES),
        "s3:GetObject",
        DEV.artifacts(SALES, "datalake-dev-sales/plan/Ab3dE5f"),
        False,
    ),
    Q(
        "an ETL pipeline overwrites the infrastructure pipeline's saved plan",
        DEV.pipeline(SALES),
        "s3:PutObject",
        DEV.artifacts(INFRA, "datalake-dev-datalak/plan/plan.zip"),
        False,
    ),
    Q(
        "an ETL pipeline decrypts the infrastructure pipeline's artifacts",
        DEV.pipeline(SALES),
        "kms:Decrypt",
        "",
        False,
        {
            "kms:ViaService": "s3.eu-west-1.amazonaws.com",
            "kms:EncryptionContext:aws:s3:arn": DEV.artifacts(INFRA),
            "kms:ResourceAliases": ["alias/datalake-central-artifacts"],
        },
        key_alias=DEFAULT.artifact_key_alias_arn(),
    ),
    Q(
        "CodePipeline runs its pipeline's builds",
        DEV.codepipeline(SALES),
        "codebuild:StartBuild",
        DEV.central("codebuild", "project/datalake-dev-sales-plan"),
        True,
    ),
    Q(
        "CodePipeline runs its pipeline's apply",
        DEV.codepipeline(SALES),
        "codebuild:StartBuild",
        DEV.central("codebuild", "project/datalake-dev-sales-apply"),
        True,
    ),
    Q(
        "CodePipeline runs another pipeline's apply",
        DEV.codepipeline(SALES),
        "codebuild:StartBuild",
        DEV.central("codebuild", "project/datalake-prod-sales-apply"),
        False,
    ),
    Q(
        "CodePipeline reads another repository through the connection",
        DEV.codepipeline(SALES),
        "codestar-connections:UseConnection",
        DEV.central("codestar-connections", "connection/abc"),
        False,
        {"codestar-connections:FullRepositoryId": "example-org/somebody-else"},
    ),
    Q(
        "CodePipeline reads its repository through the connection",
        DEV.codepipeline(SALES),
        "codestar-connections:UseConnection",
        DEV.central("codestar-connections", "connection/abc"),
        True,
        {"codestar-connections:FullRepositoryId": "example-org/datalake-etl-sales"},
    ),
    # --- Nothing in the central account admits the data-lake accounts' roles.
    Q(
        "a deploy role reads pipeline artifacts",
        DEV.deploy(),
        "s3:GetObject",
        naming.bucket_arn(bucket_name=DEFAULT.central_bucket("artifacts"), region="eu-west-1") + "/x.zip",
        False,
    ),
    Q("a deploy role reads state", PROD.deploy(), "s3:GetObject", f"{STATE}/datalake-prod/terraform.tfstate", False),
    Q(
        "a deploy role decrypts state",
        PROD.deploy(),
        "kms:Decrypt",
        "",
        False,
        {"kms:ViaService": "s3.eu-west-1.amazonaws.com", "kms:ResourceAliases": [STATE_ALIAS]},
        key_alias=DEFAULT.state_key_alias_arn,
    ),
    # --- Protected data: nobody destroys it, only the infrastructure role reconfigures it.
    Q("prod infra deletes an object version", PROD.deploy(), "s3:DeleteObjectVersion", PROD.bucket("raw", "x"), False),
    Q("prod admin deletes an object version", PROD.admin(), "s3:DeleteObjectVersion", PROD.bucket("raw", "x"), False),
    Q("prod infra deletes a bucket", PROD.deploy(), "s3:DeleteBucket", PROD.bucket("raw"), False),
    # Job scripts are code (in Git), not data: removing a job deletes its script's versions.
    Q(
        "prod sales removes a job's script, all its versions",
        PROD.deploy(SALES),
        "s3:DeleteObjectVersion",
        PROD.bucket("assets", "sales/jobs/daily-sales/daily_sales.py"),
        True,
    ),
    Q(
        "prod sales deletes versions of another repository's script",
        PROD.deploy(SALES),
        "s3:DeleteObjectVersion",
        PROD.bucket("assets", "marketing/jobs/x/x.py"),
        False,
    ),
    Q(
        "prod sales deletes versions of its jobs' temporary files",
        PROD.deploy(SALES),
        "s3:DeleteObjectVersion",
        PROD.bucket("assets", "sales/tmp/daily-sales/part-0"),
        False,
    ),
    Q(
        "prod admin deletes versions of an assets object that is not a script",
        PROD.admin(),
        "s3:DeleteObjectVersion",
        PROD.bucket("assets", "sales/tmp/daily-sales/part-0"),
        False,
    ),
    Q(
        "prod sales deletes a raw object version",
        PROD.deploy(SALES),
        "s3:DeleteObjectVersion",
        PROD.bucket("raw", "sales/jobs/x"),
        False,
    ),
    Q(
        "prod infra schedules the data key's deletion",
        PROD.deploy(),
        "kms:ScheduleKeyDeletion",
        "",
        False,
        key_alias=PROD.data_key_alias(),
    ),
    Q(
        "prod infra deletes a catalog database",
        PROD.deploy(),
        "glue:DeleteDatabase",
        PROD.arn("glue", "database/datalake_prod_raw"),
        False,
    ),
    Q("prod admin changes the raw bucket's policy", PROD.admin(), "s3:PutBucketPolicy", PROD.bucket("raw"), False),
    Q("prod admin suspends versioning", PROD.admin(), "s3:PutBucketVersioning", PROD.bucket("conformed"), False),
    Q("prod infra changes the raw bucket's policy", PROD.deploy(), "s3:PutBucketPolicy", PROD.bucket("raw"), True),
    Q(
        "prod admin edits the data key's policy (break glass)",
        PROD.admin(),
        "kms:PutKeyPolicy",
        "",
        True,
        key_alias=PROD.data_key_alias(),
    ),
    Q("dev infra empties an unprotected bucket", DEV.deploy(), "s3:DeleteObjectVersion", DEV.bucket("raw", "x"), True),
    Q(
        "dev infra destroys the unprotected data key",
        DEV.deploy(),
        "kms:ScheduleKeyDeletion",
        "",
        True,
        key_alias=DEV.data_key_alias(),
    ),
]


def data_key_questions(env: In) -> list[Q]:
    """The data key in ``env``: the catalog's metadata is encrypted with it (Glue uses it with
    the caller's permissions), and so are the zones' objects (S3 uses it likewise). Who
    may use it, and only through which service?"""
    e, glue, itself = env.env, env.key_use("glue"), env.key_use(None)
    raw, zone = env.through_s3("raw"), env.through_s3(ARRIVALS.zone)
    plan, etl_plan, infra, etl, validator = (
        env.plan(),
        env.plan(SALES),
        env.deploy(),
        env.deploy(SALES),
        env.validator(),
    )

    def key(why: str, principal: str, action: str, allowed: bool, context: dict[str, Any]) -> Q:
        return Q(f"{e}: {why}", principal, action, "", allowed, context, env.data_key_alias())

    def get(why: str, principal: str, resource: str, allowed: bool) -> Q:
        return Q(f"{e}: {why}", principal, "s3:GetObject", resource, allowed)

    return [
        # The plan roles decrypt nothing: a pull request's plan reads nothing live.
        key("the plan role decrypts catalog metadata through Glue", plan, "kms:Decrypt", False, glue),
        key("the ETL plan role decrypts catalog metadata through Glue", etl_plan, "kms:Decrypt", False, glue),
        key("the plan role encrypts catalog metadata through Glue", plan, "kms:GenerateDataKey", False, glue),
        key("the plan role decrypts a raw object through S3", plan, "kms:Decrypt", False, raw),
        key("the ETL plan role decrypts a raw object through S3", etl_plan, "kms:Decrypt", False, raw),
        key(
            "the ETL plan role decrypts its assets through S3", etl_plan, "kms:Decrypt", False, env.through_s3("assets")
        ),
        key("the plan role decrypts with the data key itself", plan, "kms:Decrypt", False, itself),
        key("the ETL plan role decrypts with the data key itself", etl_plan, "kms:Decrypt", False, itself),
        # The deploy roles use it for the catalog through Glue: the infrastructure's writes, the ETL's reads.
        key("infra encrypts catalog metadata through Glue", infra, "kms:GenerateDataKey", True, glue),
        key("infra decrypts catalog metadata through Glue", infra, "kms:Decrypt", True, glue),
        key("infra decrypts with the data key itself", infra, "kms:Decrypt", False, itself),
        key("infra encrypts with the data key itself", infra, "kms:GenerateDataKey", False, itself),
        key("infra decrypts a raw object through S3", infra, "kms:Decrypt", False, raw),
        key("ETL decrypts catalog metadata through Glue", etl, "kms:Decrypt", True, glue),
        key("ETL encrypts catalog metadata through Glue", etl, "kms:Encrypt", False, glue),
        key("ETL decrypts with the data key itself", etl, "kms:Decrypt", False, itself),
        # The validator reads what arrives under its trigger's prefix, and nothing else.
        get(
            "the validator reads an arriving object", validator, env.bucket(ARRIVALS.zone, ARRIVALS.prefix + "x"), True
        ),
        key("the validator decrypts an arriving object through S3", validator, "kms:Decrypt", True, zone),
        get("the validator reads another prefix of its zone", validator, env.bucket(ARRIVALS.zone, "other/x"), False),
        get("the validator reads another zone", validator, env.bucket("conformed", ARRIVALS.prefix + "x"), False),
        key(
            "the validator decrypts another zone's object", validator, "kms:Decrypt", False, env.through_s3("conformed")
        ),
        key("the validator decrypts with the data key itself", validator, "kms:Decrypt", False, itself),
        key("the validator decrypts through Glue", validator, "kms:Decrypt", False, glue),
        key("the validator encrypts into its zone through S3", validator, "kms:GenerateDataKey", False, zone),
    ]


QUESTIONS += [q for env in (DEV, TEST, PROD) for q in data_key_questions(env)]


CATALOG_WRITE_KEY = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")
"""What a writer of encrypted catalog metadata asks of its key through Glue."""


@dataclass(frozen=True)
class Through:
    """May ``principal`` do ``action`` on ``resource`` and have the service that serves it
    use the data key of ``env`` for it (each of ``key_actions``, with ``context``)? Yes only
    if every part is allowed: a read of an encrypted object, or of the catalog's metadata."""

    why: str
    env: In
    principal: str
    action: str
    resource: str
    key_actions: tuple[str, ...]
    context: dict[str, Any]
    allowed: bool


def reads_through(env: In) -> list[Through]:
    """Each read (or write) of encrypted metadata or data, whole: the request and the key's use."""
    e, validator, prefix = env.env, env.validator(), ARRIVALS.prefix

    def catalog(why: str, principal: str, action: str, key_actions: tuple[str, ...], allowed: bool) -> Through:
        return Through(
            f"{e}: {why}", env, principal, action, env.database("raw"), key_actions, env.key_use("glue"), allowed
        )

    def read(why: str, principal: str, zone: str, key: str, allowed: bool) -> Through:
        request = ("s3:GetObject", env.bucket(zone, key))
        return Through(f"{e}: {why}", env, principal, *request, ("kms:Decrypt",), env.through_s3(zone), allowed)

    return [
        catalog("the plan role reads the raw database", env.plan(), "glue:GetDatabase", ("kms:Decrypt",), False),
        catalog(
            "the ETL plan role reads the raw database", env.plan(SALES), "glue:GetDatabase", ("kms:Decrypt",), False
        ),
        catalog("infra updates the raw database", env.deploy(), "glue:UpdateDatabase", CATALOG_WRITE_KEY, True),
        catalog("ETL reads the raw database", env.deploy(SALES), "glue:GetDatabase", ("kms:Decrypt",), True),
        read("the plan role reads a raw object", env.plan(), "raw", prefix + "x.csv", False),
        read("the ETL plan role reads a raw object", env.plan(SALES), "raw", prefix + "x.csv", False),
        read("the validator reads an arriving object", validator, ARRIVALS.zone, prefix + "2026/orders.csv", True),
        read("the validator reads an object of another prefix", validator, ARRIVALS.zone, "marketing/x.csv", False),
        read("the validator reads an object of another zone", validator, "conformed", prefix + "x.parquet", False),
    ]


THROUGH = [t for env in (DEV, TEST, PROD) for t in reads_through(env)]


@pytest.mark.parametrize("t", [pytest.param(t, id=t.why) for t in THROUGH])
def test_a_read_through_a_service(model, t):
    key = model.key_arn(t.env.data_key_alias())
    answers = {t.action: model.can(t.principal, t.action, t.resource)}
    answers |= {action: model.can(t.principal, action, key, **t.context) for action in t.key_actions}
    assert all(answers.values()) is t.allowed, f"{t.why}: {t.principal} {t.resource} {t.context} -> {answers}"


@pytest.mark.parametrize("q", [question(q) for q in QUESTIONS])
def test_question(model, q):
    resource = q.resource
    if q.key_alias:
        resource = model.key_arn(q.key_alias)
    elif resource == "foreign":
        resource = model.foreign_key_arn(DEV.account)
    answer = model.can(q.principal, q.action, resource, **q.context)
    assert answer is q.allowed, f"{q.why}: {q.principal} {q.action} {resource} {q.context} -> {answer}"


def test_the_questions_cover_every_deploy_and_pipeline_role():
    asked = {q.principal for q in QUESTIONS}
    for env in (DEV,):
        for repository in DEFAULT.repositories.all:
            assert {env.deploy(repository), env.pipeline(repository), env.apply(repository)} <= asked
    assert {
        DEV.pull_request(),
        DEV.plan(),
        DEV.plan(SALES),
        DEV.codepipeline(SALES),
        DEV.review(),
        DEV.drift(),
    } <= asked


PAIRS = [(env, repo) for env in DEFAULT.environments for repo in DEFAULT.repositories.all]


def central_roles(env, repo) -> dict[Role, str]:
    """The central roles of ``repo``'s pipeline of ``env``, by :class:`Role`."""
    label = DEFAULT.label(env)
    access = {
        Role.BUILD: label.pipeline_role,
        Role.PULL_REQUEST: label.pull_request_role,
        Role.REVIEW: label.review_role,
        Role.COMMENT: label.comment_role,
        Role.APPLY: label.apply_role,
        Role.CODEPIPELINE: label.codepipeline_role,
    }
    return {
        role: naming.role_arn(account_id=CENTRAL, role_name=name(repo.name), region="eu-west-1")
        for role, name in access.items()
    }


def environment_roles(env, repo) -> dict[str, str]:
    return {
        "deploy": DEFAULT.deploy_role_arn(env, repo),
        "plan": DEFAULT.plan_role_arn(env, repo),
        "drift": DEFAULT.drift_role_arn(env, repo),
    }


ASSUMES = {Role.BUILD: "plan", Role.PULL_REQUEST: "plan", Role.REVIEW: "drift", Role.APPLY: "deploy"}
"""The one role in its own environment each central role may assume (none for the others)."""


def test_trust_matrix_each_central_role_reaches_exactly_its_own_environment_role(model):
    """Every central role of (repository A, environment A) against every deploy, plan and
    drift role of (repository B, environment B): assumption is allowed only for the same
    repository and environment, apply -> deploy, the code's builds -> plan, review -> drift."""
    wrong = []
    for env_a, repo_a in PAIRS:
        for role, principal in central_roles(env_a, repo_a).items():
            for env_b, repo_b in PAIRS:
                for kind, target in environment_roles(env_b, repo_b).items():
                    expected = (env_a, repo_a) == (env_b, repo_b) and ASSUMES.get(role) == kind
                    if model.can(principal, "sts:AssumeRole", target) is not expected:
                        wrong.append(f"{principal} -> {target}: expected {expected}")
    assert not wrong, "\n".join(wrong)


def test_service_trust_matrix_each_pipeline_role_serves_only_its_own_pipeline(model):
    """Every central role of (repository A, environment A) against the service requests of
    every pipeline (repository B, environment B): CodePipeline running pipeline B,
    EventBridge delivering for one of B's rules, CodeBuild running each of B's builds. A
    role may be assumed only for its own pipeline (aws:SourceArn), by CodeBuild only for
    the builds that run as it, and never on behalf of another account (aws:SourceAccount)."""
    central = naming.arn(service="codepipeline", region="eu-west-1", account_id=CENTRAL, resource="x").rsplit(":", 1)[0]
    wrong = []
    for env_a, repo_a in PAIRS:
        for role, principal in central_roles(env_a, repo_a).items():
            for env_b, repo_b in PAIRS:
                pipeline = DEFAULT.label(env_b).name(repo_b.name)
                requests = {
                    "codepipeline": ("codepipeline.amazonaws.com", f"{central}:{pipeline}"),
                    "events": (
                        "events.amazonaws.com",
                        f"{central.replace('codepipeline', 'events')}:rule/{pipeline}-drift",
                    ),
                }
                for build in BUILDS:
                    project = f"{central.replace('codepipeline', 'codebuild')}:project/{pipeline}-{build.name}"
                    requests[build.name] = ("codebuild.amazonaws.com", project)
                own = (env_a, repo_a) == (env_b, repo_b)
                for request, (service, source) in requests.items():
                    if role is Role.CODEPIPELINE:
                        expected = own and request in ("codepipeline", "events")
                    else:
                        expected = own and request in {b.name for b in run_as(role)}
                    asked = {"aws:SourceArn": source, "aws:SourceAccount": CENTRAL}
                    if model.service_may_assume(service, principal, **asked) is not expected:
                        wrong.append(f"{service} for {source} -> {principal}: expected {expected}")
                    foreign = {
                        "aws:SourceArn": source.replace(CENTRAL, "999999999999"),
                        "aws:SourceAccount": "999999999999",
                    }
                    if model.service_may_assume(service, principal, **foreign):
                        wrong.append(f"{service} for {foreign} -> {principal}: another account's request was admitted")
    assert not wrong, "\n".join(wrong)


def write_probes(env: In, repo) -> list[tuple[str, str, dict[str, Any]]]:
    """What ``repo``'s deploy role in ``env`` writes, a probe per kind of resource: whether a
    role can write is asked with these (each allowed to that deploy role)."""
    label = env.label
    if repo == INFRA:
        return [
            ("s3:PutBucketPolicy", env.bucket("raw"), {}),
            ("ssm:PutParameter", env.arn("ssm", f"parameter{label.ssm_path('datalake', 'kms', 'key-arn')}"), {}),
            ("ec2:CreateVpc", "*", {}),
            ("iam:CreateRole", env.role(label.name(repo.name, "x")), {"iam:PermissionsBoundary": env.boundary(repo)}),
        ]
    return [
        ("glue:UpdateJob", env.arn("glue", f"job/{label.name(repo.name, 'load')}"), {}),
        ("s3:PutObject", env.bucket("assets", f"{repo.name}/jobs/load/load.py"), {}),
        ("lambda:UpdateFunctionCode", env.arn("lambda", f"function:{label.name(repo.name, 'validate')}"), {}),
        ("iam:CreateRole", env.role(label.name(repo.name, "x")), {"iam:PermissionsBoundary": env.boundary(repo)}),
    ]


def power_matrix(model: AccessModel) -> list[str]:
    """For every build of every repository and environment, the evaluator's answers: the
    secrets it reads, the roles it assumes and whether those can write, whether it can
    approve, update its pipeline or projects, change a webhook or an event rule, start a
    build, or touch a notification rule or topic, its own pipeline's or another's, and
    who keeps and reads the configuration applied (the drift check's). The answers that
    differ from what each build should hold."""
    wrong = []

    def ask(principal: str, action: str, resource: str, expected: bool, why: str, **context: Any) -> None:
        if model.can(principal, action, resource, **context) is not expected:
            wrong.append(f"{why}: {principal} {action} {resource} {context or ''}: expected {expected}")

    tokens = {
        repo.name: DEV.central("secretsmanager", f"secret:{repo.pull_request_token}-AbCdEf")
        for repo in DEFAULT.repositories.all
    }
    for env_a, repo_a in PAIRS:
        roles = central_roles(env_a, repo_a)
        for build in BUILDS:
            principal, why = roles[build.role], f"{build.name} of {repo_a.name} in {env_a.name}"
            for name, secret in tokens.items():
                expected = build.role is Role.COMMENT and name == repo_a.name
                ask(principal, "secretsmanager:GetSecretValue", secret, expected, why + " reads a token")
            for env_b, repo_b in PAIRS:
                own = (env_a, repo_a) == (env_b, repo_b)
                for target_kind, target in environment_roles(env_b, repo_b).items():
                    assumed = model.can(principal, "sts:AssumeRole", target)
                    deploys = own and build.role is Role.APPLY and target_kind == "deploy"
                    if assumed is not (own and ASSUMES.get(build.role) == target_kind):
                        wrong.append(f"{why}: assumes {target}: {assumed}")
                    if assumed:
                        probes = write_probes(In(env_b.name), repo_b)
                        writes = [a for a, r, c in probes if model.can(target, a, r, **c)]
                        if deploys and len(writes) != len(probes):
                            wrong.append(f"{why}: its deploy role {target} writes only {writes}")
                        if writes and not deploys:
                            wrong.append(f"{why}: assumes {target}, which writes: {writes}")
                pipeline = DEFAULT.label(env_b).name(repo_b.name)
                pipeline_arn = DEV.central("codepipeline", pipeline)
                ask(principal, "codepipeline:PutApprovalResult", f"{pipeline_arn}/Approval/Approve", False, why)
                ask(principal, "codepipeline:StartPipelineExecution", pipeline_arn, False, why)
                apply_own = own and build.role is Role.APPLY
                ask(principal, "codepipeline:UpdatePipeline", pipeline_arn, apply_own, why)
                for other in BUILDS:
                    project = DEV.central("codebuild", f"project/{pipeline}-{other.name}")
                    ask(principal, "codebuild:UpdateProject", project, apply_own and not other.administered, why)
                    for action in ("codebuild:StartBuild", "codebuild:RetryBuild", "codebuild:UpdateWebhook"):
                        ask(principal, action, project, False, why)
                    ask(principal, "codebuild:CreateWebhook", project, False, why)
                for rule in ("drift", "comment", "push", "pull-requests"):
                    for action in ("events:PutRule", "events:PutTargets", "events:DeleteRule"):
                        ask(principal, action, DEV.central("events", f"rule/{pipeline}-{rule}"), False, why)
                applied = f"arn:aws:s3:::{DEFAULT.label(env_b).pipeline_bucket(repo_b.name, CENTRAL)}/applied/plans.zip"
                ask(principal, "s3:PutObject", applied, apply_own, why + " keeps the configuration applied")
                reads = own and build.role is Role.REVIEW  # the drift build's
                ask(principal, "s3:GetObject", applied, reads, why + " reads the configuration applied")
                ask(
                    principal, "sns:SetTopicAttributes", DEV.central("sns", f"{pipeline}-notifications"), apply_own, why
                )
                rule = DEV.central("codestar-notifications", "notificationrule/0123456789abcdef")
                tags = {"aws:ResourceTag/repository": repo_b.name, "aws:ResourceTag/environment": env_b.name}
                ask(principal, "codestar-notifications:DeleteNotificationRule", rule, apply_own, why, **tags)
                own_tags = {"aws:RequestTag/repository": repo_a.name, "aws:RequestTag/environment": env_a.name}
                ask(principal, "codestar-notifications:TagResource", rule, apply_own, why, **tags, **own_tags)
    return wrong


def test_power_matrix_code_under_review_holds_nothing_and_only_the_apply_deploys(model):
    """The whole matrix, every build of every repository and environment (the answers
    :func:`power_matrix` asks): no build but the comment reads a secret, and that one only
    its own repository's token; only the apply build assumes a role that can write, and
    only its own repository's deploy role in its own environment; no build approves, starts
    a build or a run, changes a webhook or an event rule; only the apply build changes its
    own pipeline, its own test and plan builds (never the administrator's), its topic and
    its notification rules."""
    wrong = power_matrix(model)
    assert not wrong, "\n".join(wrong[:40]) + f"\n({len(wrong)} in all)"


def test_the_power_matrix_finds_the_planted_weaknesses(model, all_stacks):
    """The matrix is live: the old pull-request role (reading the comment token) and the old
    build role (assuming the deploy role, approving, updating the pipeline and starting
    builds), planted back into a model of these stacks, each fail it."""
    planted = AccessModel.from_stacks(all_stacks, {env.account_id: env.admin_role_name for env in DEFAULT.environments})
    roles = central_roles(DEV.environment, INFRA)
    old_secret = {
        "Effect": "Allow",
        "Action": "secretsmanager:GetSecretValue",
        "Resource": DEV.central("secretsmanager", "secret:datalake/datalake-infra/pull-request-token-??????"),
    }
    pr = planted.nodes[roles[Role.PULL_REQUEST]]
    planted.add_role(
        pr.arn, trust=pr.trust_policy, policies=[*(p.policy_doc for p in pr.attached_policies), _doc(old_secret)]
    )
    wrong = power_matrix(planted)
    assert [w for w in wrong if "pr of datalake-infra in dev reads a token" in w], wrong[:10]

    planted = AccessModel.from_stacks(all_stacks, {env.account_id: env.admin_role_name for env in DEFAULT.environments})
    build = planted.nodes[roles[Role.BUILD]]
    old_build_role = {
        "Effect": "Allow",
        "Action": [
            "sts:AssumeRole",
            "codepipeline:PutApprovalResult",
            "codepipeline:UpdatePipeline",
            "codebuild:StartBuild",
        ],
        "Resource": [
            DEV.deploy(),
            DEV.central("codepipeline", "datalake-dev-datalake-infra*"),
            DEV.central("codebuild", "project/datalake-dev-datalake-infra-*"),
        ],
    }
    planted.add_role(
        build.arn,
        trust=build.trust_policy,
        policies=[*(p.policy_doc for p in build.attached_policies), _doc(old_build_role)],
    )
    deploy = planted.nodes[DEV.deploy()]
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": build.arn}, "Action": "sts:AssumeRole"}],
    }
    planted.add_role(
        deploy.arn,
        trust=trust,
        policies=[p.policy_doc for p in deploy.attached_policies],
        boundary=deploy.permissions_boundary.policy_doc,
    )
    wrong = "\n".join(power_matrix(planted))
    for found in ("assumes " + DEV.deploy(), "PutApprovalResult", "UpdatePipeline", "StartBuild", "writes"):
        assert "test of datalake-infra in dev" in wrong and found in wrong, found


def _doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_no_principal_can_reach_an_administrator(model):
    """principalmapper's escalation analysis over every role of every account."""
    assert model.escalation_paths() == []


def test_the_escalation_analysis_finds_a_planted_path(model, stacks):
    """The analysis is live: a role anyone in the account may assume, holding AdministratorAccess
    without a boundary, is found as the administrator it is, and its trust as the path."""
    planted = AccessModel.from_stacks(stacks, {env.account_id: env.admin_role_name for env in DEFAULT.environments})
    planted.add_role(
        DEV.role("datalake-dev-sales-mistake"),
        trust=account_trust(DEV.account),
        policies=[ADMINISTRATOR_ACCESS],
    )
    planted.add_role(
        DEV.role("datalake-dev-sales-reader"),
        trust=account_trust(DEV.account),
        policies=[
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
        ],
    )
    paths = planted.escalation_paths()
    assert any(p.startswith(DEV.role("datalake-dev-sales-reader")) for p in paths), paths


@pytest.mark.parametrize("env", [DEV, PROD], ids=["dev", "prod"])
@pytest.mark.parametrize("repository", [INFRA, SALES], ids=["infra", "etl"])
def test_a_role_the_deploy_role_creates_is_capped_by_the_boundary(model, env, repository):
    """Whatever policy a pipeline writes into a role it creates, the boundary is the ceiling."""
    role = model.add_role(
        env.role(env.label.repository_prefix(repository.name) + "anything"),
        trust=account_trust(env.account),
        policies=[ADMINISTRATOR_ACCESS],
        boundary=model.managed_policies[env.boundary(repository)],
    )
    try:
        for action, resource in [
            ("iam:CreateUser", f"arn:aws:iam::{env.account}:user/x"),
            ("iam:UpdateAssumeRolePolicy", env.admin()),
            ("iam:PutRolePolicy", env.deploy(repository)),
            ("iam:CreatePolicyVersion", env.boundary(repository)),
            ("ec2:AttachInternetGateway", "*"),
            ("ec2:RunInstances", "*"),
            ("kms:PutKeyPolicy", model.key_arn(env.data_key_alias())),
            ("kms:PutKeyPolicy", model.foreign_key_arn(env.account)),
            ("secretsmanager:GetSecretValue", env.arn("secretsmanager", "secret:other-AbCdEf")),
            (
                "s3:GetObject",
                naming.bucket_arn(bucket_name=DEFAULT.state_bucket, region="eu-west-1")
                + "/datalake-dev/terraform.tfstate",
            ),
            ("organizations:LeaveOrganization", "*"),
        ]:
            assert not model.can(role.arn, action, resource), (role.arn, action, resource)
        # ... and it can still do its work: an ETL job reads raw data, flow logs write theirs.
        if repository is SALES:
            assert model.can(role.arn, "s3:GetObject", env.bucket("raw", "sales/x.csv"))
            assert not model.can(role.arn, "s3:PutBucketPolicy", env.bucket("raw"))
        else:
            group = env.arn("logs", f"log-group:{env.label.flow_log_group()}:log-stream:eni-1")
            assert model.can(role.arn, "logs:PutLogEvents", group)
            assert not model.can(role.arn, "s3:GetObject", env.bucket("raw", "sales/x.csv"))
    finally:
        del model.nodes[role.arn]


def test_no_data_lake_role_trusts_a_principal_outside_the_central_account(model):
    """Every trust of every role in a data-lake account, evaluated for a stranger."""
    stranger = model.add_role(
        "arn:aws:iam::999999999999:role/stranger",
        trust=account_trust("999999999999"),
        policies=[ADMINISTRATOR_ACCESS],
    )
    model.regions["999999999999"] = "eu-west-1"
    try:
        for arn, node in model.nodes.items():
            if arn.split(":")[4] in (CENTRAL, "999999999999") or node.is_admin:
                continue
            assert not model.can(stranger.arn, "sts:AssumeRole", arn), arn
    finally:
        del model.nodes[stranger.arn]
        del model.regions["999999999999"]


@pytest.mark.parametrize("env", DEFAULT.environments, ids=lambda e: e.name)
@pytest.mark.parametrize("repository", DEFAULT.repositories.all, ids=lambda r: r.name)
def test_no_deploy_role_changes_any_of_its_policies(model, stacks, env, repository):
    """However many managed policies the packer makes, the deploy role edits, deletes or
    detaches none of them (its permissions would allow it: they are named in its prefix)."""
    role = DEFAULT.deploy_role_arn(env, repository)
    bootstrap = stacks[f"bootstrap-{env.name}"]
    account = env.account_id
    for part in deploy_policies(bootstrap, repository.name):
        name = bootstrap.resource("aws_iam_policy", f"{repository.name}-deploy/{part}")["name"]
        policy = naming.policy_arn(account_id=account, policy_name=name, region=env.region)
        for action in ("iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:SetDefaultPolicyVersion"):
            assert not model.can(role, action, policy), f"{role} may {action} on {policy}"
        assert not model.can(role, "iam:DetachRolePolicy", role, **{"iam:PolicyARN": policy}), policy


@pytest.mark.parametrize("env", DEFAULT.environments, ids=lambda e: e.name)
@pytest.mark.parametrize("repository", DEFAULT.repositories.all, ids=lambda r: r.name)
def test_the_boundary_admits_everything_the_permissions_grant(model, stacks, env, repository):
    """A grant the boundary blocks would fail in the middle of an apply: ask, for every
    action of every statement of the deploy role's policies, on a resource the statement
    names and with its conditions met, whether the deploy role may do it."""
    role = DEFAULT.deploy_role_arn(env, repository)
    bootstrap = stacks[f"bootstrap-{env.name}"]
    blocked = []
    for name in deploy_policies(bootstrap, repository.name):
        document = bootstrap.resource("aws_iam_policy", f"{repository.name}-deploy/{name}")["policy"]
        for statement in json.loads(document)["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            context = satisfying(statement.get("Condition", {}))
            for action in actions:
                if action in ("iam:CreateRole", "iam:PutRolePermissionsBoundary"):  # as Terraform asks
                    context["iam:PermissionsBoundary"] = DEFAULT.boundary_arn(env, repository)
                for resource in resources:
                    if not model.can(role, action, sample(resource), **context):
                        blocked.append(f"{statement['Sid']}: {action} on {sample(resource)}")
    assert not blocked, "\n".join(blocked)
