"""A private VPC for Glue and friends: no internet path, AWS APIs through endpoints."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cached_property

from datalake_cdktf.engine import Construct
from datalake_cdktf.engine.aws import (
    cloudwatch_log_group,
    default_security_group,
    flow_log,
    iam_role,
    iam_role_policy,
    route_table,
    route_table_association,
    security_group,
    subnet,
    vpc,
    vpc_endpoint,
    vpc_security_group_ingress_rule,
)
from datalake_cdktf.iam.statements import Statement, allow, document, service_trust
from datalake_cdktf.naming import bucket_arn

__all__ = [
    "AWS_OWNED_BUCKETS",
    "INTERFACE_ENDPOINTS",
    "SUBNET_SLOTS",
    "PrivateNetwork",
    "PrivateNetworkConfig",
    "private_subnet_cidrs",
]

INTERFACE_ENDPOINTS = ("glue", "kms", "logs", "monitoring", "secretsmanager", "ssm", "states", "sts")
"""AWS APIs that Glue jobs, Lambda helpers and Step Functions reach from the VPC
(``monitoring``: CloudWatch metrics, which every Glue job publishes)."""

AWS_OWNED_BUCKETS = ("aws-glue-*",)
"""AWS-owned buckets reached through the S3 endpoint: Glue loads job runtime assets from them."""

SUBNET_SLOTS = 4
"""The VPC range is cut in four equal slots; one private subnet per AZ, the rest kept free."""


def private_subnet_cidrs(cidr: ipaddress.IPv4Network, count: int) -> list[ipaddress.IPv4Network]:
    """The first ``count`` of the VPC's four equal slots (e.g. /16 -> /18 subnets)."""
    if not 1 <= count <= SUBNET_SLOTS:
        raise ValueError(f"between 1 and {SUBNET_SLOTS} subnets, not {count}")
    return list(cidr.subnets(prefixlen_diff=2))[:count]


@dataclass(frozen=True)
class PrivateNetworkConfig:
    """- ``name``: prefix of the Name tags (``<prefix>-<env>``).
    - ``cidr``: VPC range; ``availability_zones``: zone names, one private subnet each.
    - ``interface_endpoints``: default :data:`INTERFACE_ENDPOINTS`; the S3 gateway
      endpoint is always added.
    - Flow logs (all traffic) go to the CloudWatch log group ``flow_log_group_name``,
      encrypted with ``log_key_arn`` and kept ``log_retention_days`` (default 365),
      written by a role named ``flow_log_role_name`` under ``permissions_boundary_arn``.
    - Endpoint policies keep the endpoints to this account: the S3 gateway reaches only
      buckets of ``account_id`` and the AWS-owned buckets of ``aws_owned_buckets``
      (default: Glue's, ``aws-glue-*``, from which Glue jobs load their runtime); the
      interface endpoints serve only principals of ``account_id``, so credentials of
      another account cannot be used from inside the VPC.
    """

    name: str
    cidr: ipaddress.IPv4Network
    availability_zones: tuple[str, ...]
    region: str
    log_key_arn: str
    flow_log_group_name: str
    flow_log_role_name: str
    permissions_boundary_arn: str
    account_id: str
    interface_endpoints: tuple[str, ...] = INTERFACE_ENDPOINTS
    aws_owned_buckets: tuple[str, ...] = AWS_OWNED_BUCKETS
    log_retention_days: int = 365

    def s3_endpoint_policy(self) -> list[Statement]:
        return [
            {
                "Sid": "OnlyThisAccountsBuckets",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceAccount": self.account_id}},
            },
            {
                "Sid": "AwsOwnedBucketsGlueReads",
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [
                    arn
                    for name in self.aws_owned_buckets
                    for arn in (
                        bucket_arn(bucket_name=name, region=self.region),
                        bucket_arn(bucket_name=name, region=self.region) + "/*",
                    )
                ],
            },
        ]

    def interface_endpoint_policy(self) -> list[Statement]:
        return [
            {
                "Sid": "OnlyThisAccountsPrincipals",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalAccount": self.account_id}},
            }
        ]


class PrivateNetwork(Construct):
    """Properties: ``vpc_id``, ``subnets`` (one per zone, in config order),
    ``private_subnet_ids``, ``route_table_id``, ``endpoint_security_group_id``,
    ``s3_prefix_list_id`` (the S3 gateway endpoint's prefix list, for egress rules)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: PrivateNetworkConfig):
        super().__init__(scope, construct_id)
        self.config = config
        self.vpc = vpc.Vpc(
            self,
            "vpc",
            cidr_block=str(config.cidr),
            enable_dns_hostnames=True,  # required by private DNS on interface endpoints
            enable_dns_support=True,
            tags={"Name": config.name},
        )
        # Take every rule off the default security group so nothing can use it by accident.
        default_security_group.DefaultSecurityGroup(self, "default-sg", vpc_id=self.vpc_id)
        self.route_table = route_table.RouteTable(
            self, "private", vpc_id=self.vpc_id, tags={"Name": f"{config.name}-private"}
        )
        self.subnets = []
        cidrs = private_subnet_cidrs(config.cidr, len(config.availability_zones))
        for index, (zone, cidr) in enumerate(zip(config.availability_zones, cidrs, strict=True)):
            private = subnet.Subnet(
                self,
                f"private-{index}",
                vpc_id=self.vpc_id,
                cidr_block=str(cidr),
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags={"Name": f"{config.name}-private-{index}"},
            )
            route_table_association.RouteTableAssociation(
                self, f"private-{index}-routes", subnet_id=private.id, route_table_id=self.route_table_id
            )
            self.subnets.append(private)
        self._endpoints()
        self._flow_logs()

    def _endpoints(self) -> None:
        config = self.config
        self.s3_endpoint = vpc_endpoint.VpcEndpoint(
            self,
            "s3",
            vpc_id=self.vpc_id,
            service_name=f"com.amazonaws.{config.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[self.route_table_id],
            policy=document(*config.s3_endpoint_policy()),
            tags={"Name": f"{config.name}-s3"},
        )
        self.endpoint_security_group = security_group.SecurityGroup(
            self,
            "endpoints-sg",
            name=f"{config.name}-endpoints",
            description="HTTPS from inside the VPC to the AWS API interface endpoints",
            vpc_id=self.vpc_id,
        )
        vpc_security_group_ingress_rule.VpcSecurityGroupIngressRule(
            self,
            "endpoints-https",
            security_group_id=self.endpoint_security_group_id,
            description="HTTPS from the VPC",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4=str(config.cidr),
        )
        interface_policy = document(*config.interface_endpoint_policy())
        for service in config.interface_endpoints:
            vpc_endpoint.VpcEndpoint(
                self,
                service,
                vpc_id=self.vpc_id,
                service_name=f"com.amazonaws.{config.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=self.private_subnet_ids,
                security_group_ids=[self.endpoint_security_group_id],
                policy=interface_policy,
                tags={"Name": f"{config.name}-{service}"},
            )

    def _flow_logs(self) -> None:
        config = self.config
        group = cloudwatch_log_group.CloudwatchLogGroup(
            self,
            "flow-log-group",
            name=config.flow_log_group_name,
            retention_in_days=config.log_retention_days,
            kms_key_id=config.log_key_arn,
        )
        role = iam_role.IamRole(
            self,
            "flow-log-role",
            name=config.flow_log_role_name,
            permissions_boundary=config.permissions_boundary_arn,
            # Only flow logs of this account may use the role (the confused deputy).
            assume_role_policy=document(service_trust("vpc-flow-logs.amazonaws.com", config.account_id)),
        )
        iam_role_policy.IamRolePolicy(
            self,
            "flow-log-policy",
            role=role.id,
            name="write-flow-logs",
            policy=document(
                allow(
                    "WriteFlowLogs",
                    ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                    f"{group.arn}:*",
                )
            ),
        )
        flow_log.FlowLog(
            self,
            "flow-log",
            vpc_id=self.vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
        )

    @cached_property  # one attribute token per resource: each read is a call into the engine
    def vpc_id(self) -> str:
        return self.vpc.id

    @cached_property
    def private_subnet_ids(self) -> list[str]:
        return [s.id for s in self.subnets]

    @cached_property
    def route_table_id(self) -> str:
        return self.route_table.id

    @cached_property
    def endpoint_security_group_id(self) -> str:
        return self.endpoint_security_group.id

    @cached_property
    def s3_prefix_list_id(self) -> str:
        return self.s3_endpoint.prefix_list_id
