"""The infrastructure repository's deploy role (``datalake-<env>``): its concerns, and
:data:`DATA_LAKE`, the role's definition as lists of them.

It owns the data lake's own names: buckets ``<project>-<env>-*``, the keys' aliases, the
catalog's databases, the SSM contract ``/<project>/<env>/datalake/``, the network and
its flow-log group, and the Glue connections the ETL repositories' jobs run in. It
configures buckets but reads no data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from datalake_cdktf import naming
from datalake_cdktf.iam.deploy.common import (
    DATA_DESTRUCTION,
    KEY_ADMINISTRATION,
    LOG_GROUP_MANAGEMENT,
    OWNER_TAG,
    PARAMETER_MANAGEMENT,
    deploy_identities_are_immutable,
    own_roles_and_policies,
    pass_own_roles,
    who_am_i,
)
from datalake_cdktf.iam.deploy.definition import DeployRoleDefinition
from datalake_cdktf.iam.statements import Statement, allow, deny

if TYPE_CHECKING:
    from datalake_cdktf.iam.deploy.scope import DeployAccess

__all__ = [
    "ALIAS_MANAGEMENT",
    "BUCKET_READ",
    "BUCKET_READ_CEILING",
    "BUCKET_WRITE",
    "CATALOG_MANAGEMENT",
    "DATA_LAKE",
    "EMPTY_BUCKET",
    "IN_REGION_CEILING",
    "JOB_CONNECTION_MANAGEMENT",
    "KEY_CREATION",
    "NETWORK_ACTIONS",
    "NETWORK_CEILING",
    "NETWORK_ESCAPES",
    "PASSED_TO_SERVICES",
    "SECURITY_CONFIGURATION",
    "SECURITY_CONFIGURATION_CEILING",
    "bucket_configuration",
    "bucket_settings_ceiling",
    "catalog_databases",
    "catalog_metadata_key",
    "contract",
    "data_is_not_destroyed",
    "empty_buckets_on_destroy",
    "flow_logs",
    "in_region_ceiling",
    "job_connections",
    "job_security_configuration",
    "keys",
    "keys_ceiling",
    "network",
    "no_path_out_of_the_network",
    "own_resources_ceiling",
    "pass_roles_to_flow_logs",
    "private_dns_of_endpoints",
]

PASSED_TO_SERVICES = ("vpc-flow-logs.amazonaws.com",)
"""The infrastructure repository passes roles only to VPC flow logs."""

BUCKET_READ = (
    "s3:GetAccelerateConfiguration",
    "s3:GetBucket*",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:ListBucket",
)
"""What Terraform reads of a bucket's configuration."""
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

KEY_CREATION = ("kms:CreateKey", "kms:ListAliases", "kms:ListKeys")
"""Creating keys and listing them (no resource-level permissions)."""
ALIAS_MANAGEMENT = ("kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias")
"""Managing the aliases of the data lake's keys (``alias/<project>-<env>-*``)."""

CATALOG_MANAGEMENT = (
    "glue:CreateDatabase",
    "glue:DeleteDatabase",
    "glue:GetDataCatalogEncryptionSettings",
    "glue:GetDatabase",
    "glue:GetDatabases",
    "glue:GetTags",
    "glue:PutDataCatalogEncryptionSettings",
    "glue:TagResource",
    "glue:UntagResource",
    "glue:UpdateDatabase",
)
"""The catalog's encryption settings and the zones' databases."""

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

JOB_CONNECTION_MANAGEMENT = (
    "glue:CreateConnection",
    "glue:DeleteConnection",
    "glue:GetConnection",
    "glue:GetTags",
    "glue:TagResource",
    "glue:UntagResource",
    "glue:UpdateConnection",
)
"""The Glue NETWORK connections through which the ETL repositories' jobs reach the subnets."""

IN_REGION_CEILING = (
    *NETWORK_CEILING,
    "kms:CreateKey",
    "kms:List*",
    "kms:TagResource",
    "logs:DescribeLogGroups",
    "ssm:DescribeParameters",
    "sts:GetCallerIdentity",
    SECURITY_CONFIGURATION_CEILING,
)
"""The boundary's actions without resource types (and the network's), in the region only."""


def _own_buckets(access: DeployAccess) -> str:
    return naming.bucket_arn(bucket_name=access.label.name() + "-*", region=access.region)


def _own_aliases(access: DeployAccess) -> str:
    return access.arn("kms", resource=f"alias/{access.label.name()}-*")


def _job_connections(access: DeployAccess) -> str:
    return access.arn("glue", resource=f"connection/{access.label.name()}-*")


def _flow_log_group(access: DeployAccess) -> str:
    return access.arn("logs", resource=f"log-group:{access.label.flow_log_group()}*")


def _kept(actions: tuple[str, ...], access: DeployAccess) -> list[str]:
    """``actions`` without those that destroy data, where data is protected."""
    return [a for a in actions if not (access.protect_data and a in DATA_DESTRUCTION)]


# The permissions -----------------------------------------------------------------


def pass_roles_to_flow_logs(access: DeployAccess) -> list[Statement]:
    """The flow logs' role, passed to VPC flow logs (:data:`PASSED_TO_SERVICES`)."""
    return pass_own_roles(access, PASSED_TO_SERVICES)


def bucket_configuration(access: DeployAccess) -> list[Statement]:
    """The data lake's buckets' settings; where data is protected, no bucket is deleted."""
    return [allow("ConfigureOwnBuckets", [*BUCKET_READ, *_kept(BUCKET_WRITE, access)], _own_buckets(access))]


def keys(access: DeployAccess) -> list[Statement]:
    """Keys: created here, administered through their own key policy, which names this
    role (:mod:`datalake_cdktf.constructs.encryption_key`). No IAM statement reaches a key
    whose policy does not name it, so no other key of the account can be taken over."""
    return [
        allow("CreateKeys", list(KEY_CREATION), "*", access.in_region),
        allow(
            # Tags given to CreateKey need kms:TagResource on no particular key; only
            # this repository's owner tag may be written that way.
            "TagNewKeys",
            ["kms:TagResource"],
            "*",
            {"StringEquals": {f"aws:RequestTag/{OWNER_TAG}": access.repository, "aws:RequestedRegion": access.region}},
        ),
        allow("OwnAliases", list(ALIAS_MANAGEMENT), _own_aliases(access)),
    ]


def catalog_databases(access: DeployAccess) -> list[Statement]:
    """The catalog's settings and the zones' databases; where data is protected, no
    database is deleted."""
    return [allow("Catalog", _kept(CATALOG_MANAGEMENT, access), access.catalog)]


def catalog_metadata_key(access: DeployAccess) -> list[Statement]:
    """The data key through Glue: databases are written encrypted."""
    return [access.catalog_key(write=True)]


def contract(access: DeployAccess) -> list[Statement]:
    """The SSM contract the data lake publishes for the ETL repositories."""
    return [
        allow("PublishTheContract", list(PARAMETER_MANAGEMENT), access.contract),
        allow("DescribeParameters", ["ssm:DescribeParameters"], "*", access.in_region),
    ]


def job_security_configuration(access: DeployAccess) -> list[Statement]:
    """The jobs' shared security configuration; these actions take no resource ARN."""
    return [allow("JobSecurityConfiguration", list(SECURITY_CONFIGURATION), "*", access.in_region)]


def empty_buckets_on_destroy(access: DeployAccess) -> list[Statement]:
    """Where data is not protected, ``terraform destroy`` empties the buckets."""
    if access.protect_data:
        return []
    buckets = _own_buckets(access)
    return [allow("EmptyOwnBucketsOnDestroy", list(EMPTY_BUCKET), [buckets, f"{buckets}/*"])]


def network(access: DeployAccess) -> list[Statement]:
    """The private network (:data:`NETWORK_ACTIONS`), in the region only."""
    return [allow("PrivateNetwork", list(NETWORK_ACTIONS), "*", access.in_region)]


def job_connections(access: DeployAccess) -> list[Statement]:
    """The ETL repositories' Glue connections (``connection/<project>-<env>-*``)."""
    return [
        allow(
            "JobConnections",
            list(JOB_CONNECTION_MANAGEMENT),
            [access.arn("glue", resource="catalog"), _job_connections(access)],
        )
    ]


def private_dns_of_endpoints(access: DeployAccess) -> list[Statement]:
    """CreateVpcEndpoint with private DNS associates the VPC with the endpoint's private
    hosted zone (a dependent action of that call)."""
    return [
        allow(
            "PrivateDnsOfEndpoints",
            ["route53:AssociateVPCWithHostedZone"],
            [f"arn:{naming.partition(access.region)}:route53:::hostedzone/*", access.arn("ec2", resource="vpc/*")],
        )
    ]


def flow_logs(access: DeployAccess) -> list[Statement]:
    """The flow logs' log group."""
    return [
        allow("FlowLogGroup", list(LOG_GROUP_MANAGEMENT), _flow_log_group(access)),
        allow("DescribeLogGroups", ["logs:DescribeLogGroups"], "*", access.in_region),
    ]


# The boundary ----------------------------------------------------------------------


def bucket_settings_ceiling(access: DeployAccess) -> list[Statement]:
    """Bucket settings only: an ARN wildcard also matches object keys, so no ``s3:*``."""
    return [allow("OwnBucketSettings", [*BUCKET_READ_CEILING, *BUCKET_WRITE], _own_buckets(access))]


def own_resources_ceiling(access: DeployAccess) -> list[Statement]:
    """The data lake's own catalog, job connections, contract and flow logs."""
    return [
        allow(
            "OwnDataLakeResources",
            ["glue:*", "logs:*", "ssm:*"],
            [*access.catalog, _job_connections(access), access.contract, _flow_log_group(access)],
        )
    ]


def keys_ceiling(access: DeployAccess) -> list[Statement]:
    """Keys, administered by the deploy role alone where their key policy names it: roles
    created here get nothing of any other key."""
    return [
        allow(
            "KeysWhosePolicyNamesTheDeployRole",
            list(KEY_ADMINISTRATION),
            access.any_key_arn,
            {"ArnEquals": {"aws:PrincipalArn": access.role_arn}},
        ),
        allow("OwnAliases", ["kms:*Alias"], _own_aliases(access)),
    ]


def in_region_ceiling(access: DeployAccess) -> list[Statement]:
    """The network and the actions without resource types (:data:`IN_REGION_CEILING`)."""
    return [allow("InRegion", list(IN_REGION_CEILING), "*", access.in_region)]


def no_path_out_of_the_network(access: DeployAccess) -> list[Statement]:
    """The only boundary that admits network changes denies every path out of it."""
    return [deny("NoPathOutOfTheNetwork", list(NETWORK_ESCAPES), "*")]


def data_is_not_destroyed(access: DeployAccess) -> list[Statement]:
    """Where data is protected, nothing data-bearing is destroyed (:data:`DATA_DESTRUCTION`)."""
    return [deny("DataIsNotDestroyed", list(DATA_DESTRUCTION), "*")] if access.protect_data else []


DATA_LAKE = DeployRoleDefinition(
    permissions=(
        own_roles_and_policies,
        pass_roles_to_flow_logs,
        who_am_i,
        bucket_configuration,
        keys,
        catalog_databases,
        catalog_metadata_key,
        contract,
        job_security_configuration,
        empty_buckets_on_destroy,
        network,
        job_connections,
        private_dns_of_endpoints,
        flow_logs,
    ),
    boundary=(
        own_roles_and_policies,
        pass_roles_to_flow_logs,
        bucket_settings_ceiling,
        own_resources_ceiling,
        catalog_metadata_key,
        empty_buckets_on_destroy,
        keys_ceiling,
        in_region_ceiling,
        private_dns_of_endpoints,
        deploy_identities_are_immutable,
        no_path_out_of_the_network,
        data_is_not_destroyed,
    ),
    plan=(who_am_i,),
)
"""The infrastructure repository's deploy role: what it may do, and its boundary: the data
lake's own resources, the network, keys (each administered by the deploy role alone where
its key policy names it), and the denies."""
