"""What each repository's deploy role may do in one data-lake account, as policy documents.

Per repository and environment, built here and nowhere else:

- the **permissions** of its deploy role: the API calls Terraform makes to manage what
  that repository deploys, each on the names that repository owns. Two managed
  policies (``<repo>-deploy``: identities, data, keys, configuration;
  ``<repo>-deploy-services``: the services it deploys), because IAM caps a managed
  policy at 6,144 characters;
- its **permissions boundary**: the ceiling of the deploy role and of every role the
  deploy role creates. It admits the repository's resources and what the roles it
  creates need at run time, and denies what no pipeline may ever do: edit its deploy
  role, deploy policies or boundary; create a role without this boundary; create users
  or keys; open the network to the internet or another VPC; and, where data is
  protected, destroy it;
- the **trust** of its deploy role: only that repository's pipeline role of that
  environment, in the central account.

Names decide ownership. Every repository's IAM roles and policies are named
``<project>-<env>-<repo>-*``. The infrastructure repository also owns the data lake's
own names (buckets ``<project>-<env>-*``, the data key's alias, the flow-log group, the
SSM contract ``/<project>/<env>/datalake/``, the network, and the Glue connections and
security groups the ETL repositories' jobs run in); an ETL repository owns
``<project>-<env>-<repo>-*`` for everything (jobs, state machines, functions, rules,
alarms, topics, tables), log groups and parameters under ``/<project>/<env>/<repo>/``,
secrets under ``<project>/<env>/<repo>/`` and objects under ``<repo>/`` in the assets
bucket. The config model refuses repository names whose prefixes overlap.
"""

from __future__ import annotations

from dataclasses import dataclass

from datalake_cdktf import naming, tags
from datalake_cdktf.iam.statements import XRAY_TRACING, Statement, allow, catalog_use_key, deny, objects_use_key
from datalake_cdktf.naming import Label

__all__ = ["KEY_ADMINISTRATION", "OWNER_TAG", "DeployAccess"]

PASSED_TO_SERVICES_INFRASTRUCTURE = ("vpc-flow-logs.amazonaws.com",)
"""The infrastructure repository passes roles only to VPC flow logs."""
SECURITY_CONFIGURATION = (
    "glue:CreateSecurityConfiguration",
    "glue:DeleteSecurityConfiguration",
    "glue:GetSecurityConfiguration",
    "glue:GetSecurityConfigurations",
)
"""Glue security configurations (no resource-level permissions): the infrastructure's."""
SECURITY_CONFIGURATION_CEILING = "glue:*SecurityConfiguration*"
"""The same four actions for the boundary, where size counts (Glue has no other action
whose name contains ``SecurityConfiguration``)."""
PASSED_TO_SERVICES_ETL = ("events.amazonaws.com", "glue.amazonaws.com", "lambda.amazonaws.com", "states.amazonaws.com")
"""ETL repositories pass roles to Glue jobs and crawlers, Step Functions, Lambda and EventBridge targets."""

OWNER_TAG = tags.OWNER
"""Default tag of every resource: the repository whose stack creates it (:data:`datalake_cdktf.tags.OWNER`)."""

IAM_ROLE_WRITE = (
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
)
IAM_ROLE_ATTACH = ("iam:AttachRolePolicy", "iam:DetachRolePolicy")
IAM_ROLE_READ = (
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:ListRolePolicies",
    "iam:ListRoleTags",
)
IAM_POLICY_WRITE = (
    "iam:CreatePolicy",
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:TagPolicy",
    "iam:UntagPolicy",
)
"""What Terraform calls to manage a policy (a new version is created as the default)."""
IAM_POLICY_READ = ("iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyTags", "iam:ListPolicyVersions")
NETWORK_ESCAPES = (
    "ec2:AcceptTransitGatewayVpcAttachment",
    "ec2:AcceptVpcPeeringConnection",
    "ec2:AttachInternetGateway",
    "ec2:AttachVpnGateway",
    "ec2:CreateCustomerGateway",
    "ec2:CreateEgressOnlyInternetGateway",
    "ec2:CreateInternetGateway",
    "ec2:CreateNatGateway",
    "ec2:CreateTransitGatewayVpcAttachment",
    "ec2:CreateVpcPeeringConnection",
    "ec2:CreateVpnConnection",
    "ec2:CreateVpnGateway",
    "ec2:ModifyImageAttribute",
    "ec2:ModifySnapshotAttribute",
)
"""Paths out of the private network (gateways, peering, VPN) and sharing of disk images."""

DATA_DESTRUCTION = (
    "glue:DeleteDatabase",
    "kms:DisableKey",
    "kms:ScheduleKeyDeletion",
    "s3:DeleteBucket",
    "s3:DeleteObjectVersion",
)
"""Denied to every deploy role and every role they create where ``protect_data`` is on.
Deleting an object only adds a delete marker in a versioned bucket; its versions stay."""

NETWORK_ACTIONS = (
    "ec2:AssociateRouteTable",
    "ec2:AuthorizeSecurityGroupEgress",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:CreateFlowLogs",
    "ec2:CreateRouteTable",
    "ec2:CreateSecurityGroup",
    "ec2:CreateSubnet",
    "ec2:CreateTags",
    "ec2:CreateVpc",
    "ec2:CreateVpcEndpoint",
    "ec2:DeleteFlowLogs",
    "ec2:DeleteRouteTable",
    "ec2:DeleteSecurityGroup",
    "ec2:DeleteSubnet",
    "ec2:DeleteTags",
    "ec2:DeleteVpc",
    "ec2:DeleteVpcEndpoints",
    "ec2:Describe*",
    "ec2:DisassociateRouteTable",
    "ec2:ModifySecurityGroupRules",
    "ec2:ModifySubnetAttribute",
    "ec2:ModifyVpcAttribute",
    "ec2:ModifyVpcEndpoint",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
    "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
)
"""What the private network needs: VPC, subnets, one route table, security groups,
endpoints and flow logs. No gateway, peering or VPN action is here."""

NETWORK_CEILING = (
    "ec2:*FlowLogs",
    "ec2:*RouteTable*",
    "ec2:*SecurityGroup*",
    "ec2:*Subnet*",
    "ec2:*Tags",
    "ec2:*Vpc",
    "ec2:*VpcEndpoint*",
    "ec2:Describe*",
    "ec2:ModifyVpcAttribute",
)
"""The same families for the boundary, where size counts; the boundary also denies every
path out of the network (:data:`NETWORK_ESCAPES`)."""

BUCKET_READ = (
    "s3:GetAccelerateConfiguration",
    "s3:GetBucket*",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:ListBucket",
)
BUCKET_READ_CEILING = ("s3:Get*Configuration", "s3:GetBucket*", "s3:ListBucket")
"""The same reads as families for the boundary, where size counts: bucket configuration
only (no action named ``s3:Get*Configuration`` reads an object)."""
BUCKET_WRITE = (
    "s3:CreateBucket",
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketLogging",
    "s3:PutBucketNotification",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketPolicy",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketTagging",
    "s3:PutBucketVersioning",
    "s3:PutEncryptionConfiguration",
    "s3:PutLifecycleConfiguration",
)
"""Bucket configuration: the infrastructure role configures buckets but reads no data."""
EMPTY_BUCKET = ("s3:DeleteObject", "s3:DeleteObjectVersion", "s3:ListBucketVersions")
"""What ``terraform destroy`` needs to empty an unprotected bucket (``force_destroy``)."""

PARAMETER_MANAGEMENT = (
    "ssm:AddTagsToResource",
    "ssm:DeleteParameter",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:ListTagsForResource",
    "ssm:PutParameter",
    "ssm:RemoveTagsFromResource",
)
LOG_GROUP_MANAGEMENT = (
    "logs:AssociateKmsKey",
    "logs:CreateLogGroup",
    "logs:DeleteLogGroup",
    "logs:DeleteRetentionPolicy",
    "logs:DisassociateKmsKey",
    "logs:ListTagsForResource",
    "logs:ListTagsLogGroup",
    "logs:PutRetentionPolicy",
    "logs:TagLogGroup",
    "logs:TagResource",
    "logs:UntagLogGroup",
    "logs:UntagResource",
)
KEY_ADMINISTRATION = (
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)
"""What administering a key takes: the deploy role that creates a key is named with these
in the key's own policy (:mod:`datalake_cdktf.constructs.encryption_key`)."""


@dataclass(frozen=True)
class DeployAccess:
    """One repository in one data-lake account: every name its documents use.

    - ``label``: the environment's naming context (``<project>-<env>``).
    - ``repository``: this repository's name; ``infrastructure``: whether it is the
      infrastructure repository (it deploys ``datalake-<env>``).
    - ``pipeline_role_arn``: the central-account role that alone may assume the deploy role.
    - ``pull_request_role_arn``: the central-account role that alone may assume the
      read-only plan role ``<project>-<env>-<repo>-plan`` (pull-request plans).
    - ``protect_data``: the environment's setting (no destruction of data).
    """

    label: Label
    account_id: str
    region: str
    repository: str
    infrastructure: bool
    pipeline_role_arn: str
    pull_request_role_arn: str
    protect_data: bool

    # Names and ARNs ------------------------------------------------------------

    @property
    def prefix(self) -> str:
        """``<project>-<env>-<repo>-``: the start of this repository's names."""
        return self.label.repository_prefix(self.repository)

    @property
    def role_name(self) -> str:
        return self.label.deploy_role(self.repository)

    @property
    def policy_names(self) -> tuple[str, str]:
        """The deploy role's two managed policies."""
        return (self.label.deploy_policy(self.repository), self.label.deploy_policy(self.repository, "services"))

    @property
    def boundary_name(self) -> str:
        return self.label.boundary_policy(self.repository)

    @property
    def plan_role_name(self) -> str:
        """The read-only role pull-request plans use: ``<project>-<env>-<repo>-plan``."""
        return self.label.plan_role(self.repository)

    @property
    def role_arn(self) -> str:
        return self._role(self.role_name)

    @property
    def boundary_arn(self) -> str:
        return self._policy(self.boundary_name)

    def _arn(self, service: str, resource: str) -> str:
        return naming.arn(service, self.region, self.account_id, resource)

    def _role(self, name: str) -> str:
        return naming.role_arn(self.account_id, name, self.region)

    def _policy(self, name: str) -> str:
        return naming.policy_arn(self.account_id, name, self.region)

    def bucket_arn(self, purpose: str) -> str:
        return naming.bucket_arn(self.label.bucket(purpose, self.account_id, self.region), self.region)

    @property
    def data_key_alias(self) -> str:
        return self.label.kms_alias("data")

    @property
    def any_key_arn(self) -> str:
        return self._arn("kms", "key/*")

    @property
    def catalog(self) -> list[str]:
        """The catalog, this environment's databases (``<project>_<env>_*``) and their tables."""
        databases = self.label.name().replace("-", "_") + "_*"
        return [
            self._arn("glue", "catalog"),
            self._arn("glue", f"database/{databases}"),
            self._arn("glue", f"table/{databases}/*"),
        ]

    def deploy_identities(self) -> list[str]:
        """ARNs of this repository's deploy and plan roles, their policies and the boundary."""
        plan = self.plan_role_name
        return [
            self.role_arn,
            *map(self._policy, self.policy_names),
            self._role(plan),
            self._policy(plan),
            self.boundary_arn,
        ]

    @property
    def _in_region(self) -> dict:
        return {"StringEquals": {"aws:RequestedRegion": self.region}}

    def _catalog_key(self, *, write: bool) -> Statement:
        """The data key, as Glue uses it for the catalog's metadata (encrypted with it)."""
        return catalog_use_key(self.region, self.account_id, self.data_key_alias, write=write)

    # The documents --------------------------------------------------------------

    def trust(self) -> Statement:
        return {
            "Sid": "OnlyThisRepositorysPipelineOfThisEnvironment",
            "Effect": "Allow",
            "Principal": {"AWS": self.pipeline_role_arn},
            "Action": "sts:AssumeRole",
        }

    def plan_trust(self) -> Statement:
        return {
            "Sid": "OnlyThisRepositorysPullRequestBuildsOfThisEnvironment",
            "Effect": "Allow",
            "Principal": {"AWS": self.pull_request_role_arn},
            "Action": "sts:AssumeRole",
        }

    def plan_permissions(self) -> list[Statement]:
        """The read actions of the deploy permissions: what ``terraform plan`` reads.

        A pull request's code runs with these, so nothing here writes, decrypts data or
        reads a secret (reading an object is kept only on the repository's own assets: what
        Terraform's refresh of an ``aws_s3_object`` asks, HeadObject, returns no content).
        The one use of a key: the catalog's metadata, decrypted through Glue only, because
        the catalog is encrypted with the data key and Glue decrypts it for the caller."""
        readonly = []
        for statements in self.permissions().values():
            for statement in statements:
                actions = [a for a in _listed(statement["Action"]) if _reads(a)]
                if actions:
                    readonly.append(allow(statement["Sid"], actions, statement["Resource"], statement.get("Condition")))
        return [*readonly, self._catalog_key(write=False)]

    def permissions(self) -> dict[str, list[Statement]]:
        """The deploy role's managed policies: name -> statements."""
        identity = [*self._own_roles(), allow("WhoAmI", ["sts:GetCallerIdentity"], "*")]
        deploy, services = self.policy_names
        if self.infrastructure:
            return {deploy: [*identity, *self._data_lake_core()], services: self._data_lake_services()}
        return {deploy: [*identity, *self._etl_core()], services: self._etl_services()}

    def boundary(self) -> list[Statement]:
        """The ceiling: this repository's resources, what its roles need at run time, the denies."""
        ceiling = self._data_lake_ceiling() if self.infrastructure else self._etl_ceiling()
        return [*self._own_roles(), *ceiling, *self._denies()]

    # Statements shared by both kinds ----------------------------------------------

    def _own_roles(self) -> list[Statement]:
        roles = self._role(self.prefix + "*")
        policies = self._policy(self.prefix + "*")
        passed = PASSED_TO_SERVICES_INFRASTRUCTURE if self.infrastructure else PASSED_TO_SERVICES_ETL
        return [
            allow("OwnRoles", [*IAM_ROLE_WRITE, *IAM_ROLE_READ], roles),
            allow("OwnPolicies", [*IAM_POLICY_WRITE, *IAM_POLICY_READ], policies),
            allow(
                "AttachOnlyOwnPolicies",
                list(IAM_ROLE_ATTACH),
                roles,
                {"ArnLike": {"iam:PolicyARN": policies}},
            ),
            allow(
                "PassOwnRolesToTheServicesDeployed",
                ["iam:PassRole"],
                roles,
                {"StringEquals": {"iam:PassedToService": list(passed)}},
            ),
        ]

    def _denies(self) -> list[Statement]:
        """No boundary allows users, access keys or login profiles at all; these denies
        hold whatever the allows above become."""
        statements = [
            deny("DeployIdentitiesAreImmutable", ["iam:*"], self.deploy_identities()),
            deny(
                "NewRolesCarryThisBoundary",
                ["iam:CreateRole", "iam:PutRolePermissionsBoundary"],
                "*",
                {"StringNotEquals": {"iam:PermissionsBoundary": self.boundary_arn}},
            ),
            deny("BoundaryStaysOnRoles", ["iam:DeleteRolePermissionsBoundary"], "*"),
        ]
        if self.infrastructure:  # the only boundary that admits network changes
            statements.append(deny("NoPathOutOfTheNetwork", list(NETWORK_ESCAPES), "*"))
        if self.protect_data:
            statements += self._no_data_destruction()
        return statements

    def _no_data_destruction(self) -> list[Statement]:
        """Where data is protected, nothing data-bearing is destroyed. An ETL repository may
        still delete the versions of its own job scripts (code, kept in Git), because
        removing a job deletes every version of its script."""
        if self.infrastructure:
            return [deny("DataIsNotDestroyed", list(DATA_DESTRUCTION), "*")]
        return [
            deny("DataIsNotDestroyed", [a for a in DATA_DESTRUCTION if a != "s3:DeleteObjectVersion"], "*"),
            {
                "Sid": "OnlyItsScriptsVersionsAreDeleted",
                "Effect": "Deny",
                "Action": "s3:DeleteObjectVersion",
                "NotResource": self._own_scripts,
            },
        ]

    # The infrastructure repository: datalake-<env> --------------------------------

    @property
    def _own_buckets(self) -> str:
        return naming.bucket_arn(self.label.name() + "-*", self.region)

    @property
    def _contract(self) -> str:
        return self._arn("ssm", "parameter" + self.label.ssm_path(naming.DATALAKE_PUBLISHER, "*"))

    @property
    def _flow_log_group(self) -> str:
        return self._arn("logs", f"log-group:{self.label.flow_log_group()}*")

    def _data_lake_core(self) -> list[Statement]:
        """Buckets, keys, catalog and the SSM contract."""
        protect = self.protect_data
        statements = [
            allow(
                "ConfigureOwnBuckets",
                [*BUCKET_READ, *(a for a in BUCKET_WRITE if not (protect and a in DATA_DESTRUCTION))],
                self._own_buckets,
            ),
            # Keys: created here, administered through their own key policy, which names
            # this role (modules/encryption_key.py). No IAM statement reaches a key whose
            # policy does not name it, so no other key of the account can be taken over.
            allow("CreateKeys", ["kms:CreateKey", "kms:ListAliases", "kms:ListKeys"], "*", self._in_region),
            allow(
                # Tags given to CreateKey need kms:TagResource on no particular key; only
                # this repository's owner tag may be written that way.
                "TagNewKeys",
                ["kms:TagResource"],
                "*",
                {"StringEquals": {f"aws:RequestTag/{OWNER_TAG}": self.repository, "aws:RequestedRegion": self.region}},
            ),
            allow(
                "OwnAliases",
                ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"],
                self._arn("kms", f"alias/{self.label.name()}-*"),
            ),
            allow(
                "Catalog",
                [
                    "glue:CreateDatabase",
                    *([] if protect else ["glue:DeleteDatabase"]),
                    "glue:GetDataCatalogEncryptionSettings",
                    "glue:GetDatabase",
                    "glue:GetDatabases",
                    "glue:GetTags",
                    "glue:PutDataCatalogEncryptionSettings",
                    "glue:TagResource",
                    "glue:UntagResource",
                    "glue:UpdateDatabase",
                ],
                self.catalog,
            ),
            self._catalog_key(write=True),  # databases are written encrypted, through Glue
            allow(
                "PublishTheContract",
                list(PARAMETER_MANAGEMENT),
                self._contract,
            ),
            allow("DescribeParameters", ["ssm:DescribeParameters"], "*", self._in_region),
            # The jobs' shared security configuration; these actions take no resource ARN.
            allow("JobSecurityConfiguration", list(SECURITY_CONFIGURATION), "*", self._in_region),
        ]
        if not protect:
            statements.append(
                allow("EmptyOwnBucketsOnDestroy", list(EMPTY_BUCKET), [self._own_buckets, f"{self._own_buckets}/*"])
            )
        return statements

    @property
    def _job_connections(self) -> str:
        return self._arn("glue", f"connection/{self.label.name()}-*")

    def _data_lake_services(self) -> list[Statement]:
        """The private network, its flow logs and the ETL repositories' Glue connections."""
        return [
            allow("PrivateNetwork", list(NETWORK_ACTIONS), "*", self._in_region),
            allow(
                "JobConnections",
                [
                    "glue:CreateConnection",
                    "glue:DeleteConnection",
                    "glue:GetConnection",
                    "glue:GetTags",
                    "glue:TagResource",
                    "glue:UntagResource",
                    "glue:UpdateConnection",
                ],
                [self._arn("glue", "catalog"), self._job_connections],
            ),
            allow(
                # CreateVpcEndpoint with private DNS associates the VPC with the
                # endpoint's private hosted zone (a dependent action of that call).
                "PrivateDnsOfEndpoints",
                ["route53:AssociateVPCWithHostedZone"],
                [f"arn:{naming.partition(self.region)}:route53:::hostedzone/*", self._arn("ec2", "vpc/*")],
            ),
            allow(
                "FlowLogGroup",
                list(LOG_GROUP_MANAGEMENT),
                self._flow_log_group,
            ),
            allow("DescribeLogGroups", ["logs:DescribeLogGroups"], "*", self._in_region),
        ]

    def _data_lake_ceiling(self) -> list[Statement]:
        """The data lake's own resources (bucket settings, catalog, contract, flow logs),
        the network, keys: created here, administered by the deploy role alone where
        their key policy names it. Roles created here get nothing of any other key."""
        buckets = self._own_buckets
        statements = [
            # Bucket settings only: an ARN wildcard also matches object keys, so no "s3:*".
            allow("OwnBucketSettings", [*BUCKET_READ_CEILING, *BUCKET_WRITE], buckets),
            allow(
                "OwnDataLakeResources",
                ["glue:*", "logs:*", "ssm:*"],
                [*self.catalog, self._job_connections, self._contract, self._flow_log_group],
            ),
            self._catalog_key(write=True),  # the deploy role writes databases; the plan role reads them
        ]
        if not self.protect_data:  # terraform destroy empties unprotected buckets
            statements.append(allow("EmptyOwnBucketsOnDestroy", list(EMPTY_BUCKET), [buckets, f"{buckets}/*"]))
        return [
            *statements,
            allow(
                "KeysWhosePolicyNamesTheDeployRole",
                list(KEY_ADMINISTRATION),
                self.any_key_arn,
                {"ArnEquals": {"aws:PrincipalArn": self.role_arn}},
            ),
            allow("OwnAliases", ["kms:*Alias"], self._arn("kms", f"alias/{self.label.name()}-*")),
            allow(
                "InRegion",
                [
                    *NETWORK_CEILING,
                    "kms:CreateKey",
                    "kms:List*",
                    "kms:TagResource",
                    "logs:DescribeLogGroups",
                    "ssm:DescribeParameters",
                    "sts:GetCallerIdentity",
                    SECURITY_CONFIGURATION_CEILING,
                ],
                "*",
                self._in_region,
            ),
            allow(
                "PrivateDnsOfEndpoints",
                ["route53:AssociateVPCWithHostedZone"],
                [f"arn:{naming.partition(self.region)}:route53:::hostedzone/*", self._arn("ec2", "vpc/*")],
            ),
        ]

    # An ETL repository: etl-<repo>-<env> ----------------------------------------

    @property
    def _own(self) -> dict[str, list[str]]:
        """The repository's resources by service."""
        prefix, label, repository = self.prefix, self.label, self.repository
        return {
            "glue": [self._arn("glue", f"{kind}/{prefix}*") for kind in ("job", "crawler", "dataQualityRuleset")],
            "states": [self._arn("states", f"stateMachine:{prefix}*")],
            "events": [self._arn("events", f"rule/{prefix}*")],
            "lambda": [self._arn("lambda", f"function:{prefix}*")],
            "cloudwatch": [self._arn("cloudwatch", f"alarm:{prefix}*")],
            "sns": [self._arn("sns", f"{prefix}*")],
            "dynamodb": [self._arn("dynamodb", f"table/{prefix}*")],
            "logs": [self._arn("logs", f"log-group:{label.log_group_path(repository)}*")],
            "ssm": [self._arn("ssm", "parameter" + label.ssm_path(repository, "*"))],
            "secretsmanager": [self._arn("secretsmanager", f"secret:{label.secret_path(repository)}*")],
        }

    @property
    def _own_scripts(self) -> str:
        """The repository's job scripts and modules in the assets bucket (replaceable code)."""
        return f"{self.bucket_arn('assets')}/{naming.replaceable_code(self.repository)}"

    def _etl_core(self) -> list[Statement]:
        """The contract, its configuration, secrets' names and its assets."""
        assets = self.bucket_arn("assets")
        return [
            allow(
                "ReadTheContract",
                ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
                self._arn("ssm", "parameter" + self.label.ssm_path(naming.DATALAKE_PUBLISHER, "*")),
            ),
            allow(
                "OwnParameters",
                list(PARAMETER_MANAGEMENT),
                self._own["ssm"],
            ),
            allow("DescribeOwnSecrets", ["secretsmanager:DescribeSecret"], self._own["secretsmanager"]),
            allow(
                # Removing an object removes its versions too (the bucket is versioned);
                # where data is protected only a script's (RemoveOwnScripts).
                "OwnAssets",
                [
                    "s3:DeleteObject",
                    *([] if self.protect_data else ["s3:DeleteObjectVersion"]),
                    "s3:GetObject",
                    "s3:GetObjectTagging",
                    "s3:PutObject",
                    "s3:PutObjectTagging",
                ],
                f"{assets}/{self.repository}/*",
            ),
            allow(
                # Removing a job deletes every version of its script: code, kept in Git.
                "RemoveOwnScripts",
                ["s3:DeleteObjectVersion"],
                self._own_scripts,
            ),
            allow(
                "ListOwnAssets",
                ["s3:ListBucket", "s3:ListBucketVersions"],
                assets,
                {"StringLike": {"s3:prefix": [f"{self.repository}/*"]}},
            ),
            allow(
                # Objects, topics and log groups name the data key; the provider reads it.
                "DescribeTheDataKey",
                ["kms:DescribeKey"],
                self.any_key_arn,
                {"ForAnyValue:StringEquals": {"kms:ResourceAliases": [self.data_key_alias]}},
            ),
            # Objects in the assets bucket are encrypted with the data key.
            objects_use_key(
                "EncryptAssetsWithTheDataKey",
                ["kms:Decrypt", "kms:GenerateDataKey"],
                self.region,
                self.account_id,
                self.data_key_alias,
                assets,
            ),
            allow(
                # These actions take no resource ARN (Service Authorization Reference).
                "ActionsWithoutResourceTypes",
                [
                    "glue:CreateCrawler",
                    "glue:CreateDataQualityRuleset",
                    "glue:GetSecurityConfiguration",
                    "glue:GetSecurityConfigurations",
                    "logs:DescribeLogGroups",
                    "sns:GetSubscriptionAttributes",
                    "sns:SetSubscriptionAttributes",
                    "sns:Unsubscribe",
                    "ssm:DescribeParameters",
                    "states:ValidateStateMachineDefinition",
                ],
                "*",
                self._in_region,
            ),
        ]

    def _etl_services(self) -> list[Statement]:
        """Jobs, workflows, triggers, helpers, alarms, topics, tables and log groups."""
        own = self._own
        return [
            allow(
                "OwnGlueJobsCrawlersAndRulesets",
                [
                    "glue:BatchGetJobs",
                    "glue:CreateJob",
                    "glue:DeleteCrawler",
                    "glue:DeleteDataQualityRuleset",
                    "glue:DeleteJob",
                    "glue:GetCrawler",
                    "glue:GetDataQualityRuleset",
                    "glue:GetJob",
                    "glue:GetTags",
                    "glue:TagResource",
                    "glue:UntagResource",
                    "glue:UpdateCrawler",
                    "glue:UpdateDataQualityRuleset",
                    "glue:UpdateJob",
                ],
                own["glue"],
            ),
            allow("ReadTheCatalog", ["glue:GetDatabase", "glue:GetDatabases", "glue:GetTable"], self.catalog),
            self._catalog_key(write=False),  # the catalog's metadata is encrypted: decrypted through Glue
            allow(
                "OwnStateMachines",
                [
                    "states:CreateStateMachine",
                    "states:DeleteStateMachine",
                    "states:DescribeStateMachine",
                    "states:ListStateMachineVersions",
                    "states:ListTagsForResource",
                    "states:TagResource",
                    "states:UntagResource",
                    "states:UpdateStateMachine",
                ],
                own["states"],
            ),
            allow(
                "OwnEventRules",
                [
                    "events:DeleteRule",
                    "events:DescribeRule",
                    "events:DisableRule",
                    "events:EnableRule",
                    "events:ListTagsForResource",
                    "events:ListTargetsByRule",
                    "events:PutRule",
                    "events:PutTargets",
                    "events:RemoveTargets",
                    "events:TagResource",
                    "events:UntagResource",
                ],
                own["events"],
            ),
            allow(
                "OwnFunctions",
                [
                    "lambda:AddPermission",
                    "lambda:CreateFunction",
                    "lambda:DeleteFunction",
                    "lambda:GetFunction",
                    "lambda:DeleteFunctionConcurrency",
                    "lambda:GetFunctionCodeSigningConfig",
                    "lambda:GetFunctionConcurrency",
                    "lambda:GetFunctionConfiguration",
                    "lambda:GetPolicy",
                    "lambda:ListTags",
                    "lambda:ListVersionsByFunction",
                    "lambda:PublishVersion",
                    "lambda:PutFunctionConcurrency",
                    "lambda:RemovePermission",
                    "lambda:TagResource",
                    "lambda:UntagResource",
                    "lambda:UpdateFunctionCode",
                    "lambda:UpdateFunctionConfiguration",
                ],
                own["lambda"],
            ),
            allow(
                "OwnAlarms",
                [
                    "cloudwatch:DeleteAlarms",
                    "cloudwatch:DescribeAlarms",
                    "cloudwatch:ListTagsForResource",
                    "cloudwatch:PutMetricAlarm",
                    "cloudwatch:TagResource",
                    "cloudwatch:UntagResource",
                ],
                own["cloudwatch"],
            ),
            allow(
                "OwnTopics",
                [
                    "sns:CreateTopic",
                    "sns:DeleteTopic",
                    "sns:GetTopicAttributes",
                    "sns:ListTagsForResource",
                    "sns:SetTopicAttributes",
                    "sns:Subscribe",
                    "sns:TagResource",
                    "sns:UntagResource",
                ],
                own["sns"],
            ),
            allow(
                "OwnTables",
                [
                    "dynamodb:CreateTable",
                    "dynamodb:DeleteTable",
                    "dynamodb:DescribeContinuousBackups",
                    "dynamodb:DescribeTable",
                    "dynamodb:DescribeTimeToLive",
                    "dynamodb:ListTagsOfResource",
                    "dynamodb:TagResource",
                    "dynamodb:UntagResource",
                    "dynamodb:UpdateContinuousBackups",
                    "dynamodb:UpdateTable",
                    "dynamodb:UpdateTimeToLive",
                ],
                own["dynamodb"],
            ),
            allow(
                "OwnLogGroups",
                list(LOG_GROUP_MANAGEMENT),
                own["logs"],
            ),
        ]

    def _etl_ceiling(self) -> list[Statement]:
        """Everything the permissions allow and what the repository's jobs, workflows,
        functions and event targets need while they run; each role's policy narrows it."""
        repository, prefix = self.repository, self.prefix
        assets = self.bucket_arn("assets")
        zones = [self.bucket_arn(zone) for zone in naming.ZONES]
        services = (
            "cloudwatch",
            "dynamodb",
            "events",
            "glue",
            "lambda",
            "logs",
            "secretsmanager",
            "sns",
            "ssm",
            "states",
        )
        owned = [
            # <type>/<name> (Glue, EventBridge, DynamoDB), <type>:<name> (Step Functions,
            # Lambda, CloudWatch alarms), <name> (SNS), and the repository's paths
            # (parameters, log groups, secrets).
            self._arn("*", f"*/{prefix}*"),
            self._arn("*", f"*:{prefix}*"),
            self._arn("sns", f"{prefix}*"),
            self._arn("*", f"*{self.label.log_group_path(repository)}*"),
            self._arn("secretsmanager", f"secret:{self.label.secret_path(repository)}*"),
        ]
        return [
            allow("OwnResources", [f"{service}:*" for service in services], owned),
            allow(
                "UseTheCatalog",
                [
                    "glue:BatchCreatePartition",
                    "glue:BatchGetPartition",
                    "glue:CreatePartition",
                    "glue:CreateTable",
                    "glue:GetConnection",
                    "glue:GetDatabase*",
                    "glue:GetPartition*",
                    "glue:GetTable*",
                    "glue:UpdatePartition",
                    "glue:UpdateTable",
                ],
                self.catalog,
            ),
            allow(
                "ZonesAndOwnAssets",
                ["s3:DeleteObject*", "s3:GetObject*", "s3:PutObject*"],
                [*(f"{zone}/*" for zone in zones), f"{assets}/{repository}/*"],
            ),
            allow("ListZonesAndAssets", ["s3:GetBucketLocation", "s3:ListBucket*"], [*zones, assets]),
            allow(
                "UseTheDataKey",
                ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
                self.any_key_arn,
                {"ForAnyValue:StringEquals": {"kms:ResourceAliases": [self.data_key_alias]}},
            ),
            allow(
                "ReadTheContractAndWriteGlueLogs",
                ["logs:AssociateKmsKey", "logs:CreateLog*", "logs:PutLogEvents", "ssm:GetParameter*"],
                [
                    self._arn("ssm", "parameter" + self.label.ssm_path(naming.DATALAKE_PUBLISHER, "*")),
                    self._arn("logs", "log-group:/aws-glue/*"),
                ],
            ),
            allow(
                # Actions without resource types; network interfaces are how Glue jobs
                # reach the private subnets; log deliveries carry workflow logs.
                "InRegion",
                [
                    "cloudwatch:PutMetricData",
                    "ec2:CreateNetworkInterface",
                    "ec2:CreateTags",
                    "ec2:DeleteNetworkInterface",
                    "ec2:DeleteTags",
                    "ec2:Describe*",
                    "glue:CreateCrawler",
                    "glue:CreateDataQualityRuleset",
                    "glue:GetJobBookmark",
                    "glue:GetSecurityConfiguration*",
                    "logs:*LogDeliver*",
                    "logs:DescribeLogGroups",
                    "logs:DescribeResourcePolicies",
                    "logs:PutResourcePolicy",
                    "sns:*Subscription*",
                    "sns:Unsubscribe",
                    "ssm:DescribeParameters",
                    "states:ValidateStateMachineDefinition",
                    "sts:GetCallerIdentity",
                    *XRAY_TRACING,
                ],
                "*",
                self._in_region,
            ),
        ]


READ_VERBS = ("Get", "Describe", "List", "BatchGet")
PLAN_CALLS = frozenset({"kms:DescribeKey", "states:ValidateStateMachineDefinition"})
"""What ``terraform plan`` calls beyond the reads: a key's metadata (an object, topic or log
group names the key) and the check of a state machine's definition; neither reads data."""


def _reads(action: str) -> bool:
    """A read of configuration; not a data or secret read, nor a decryption."""
    service, name = action.split(":")
    if action in ("s3:GetObject", "s3:GetObjectTagging"):
        return True  # granted only on the repository's own assets (scripts, packages)
    if action in PLAN_CALLS:
        return True
    if service == "kms" or action in ("secretsmanager:GetSecretValue", "ssm:GetParametersByPath"):
        return False
    return name.startswith(READ_VERBS)


def _listed(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]
