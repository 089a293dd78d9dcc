"""Where one ETL repository's Glue jobs run when they need the network: the data lake's
private subnets, through Glue NETWORK connections the data lake owns.

Per ETL repository of the deployment, ``datalake-<env>`` creates:

- a security group ``<project>-<env>-<repo>-glue-jobs`` in the VPC. Glue requires its
  workers to reach each other on every TCP port, so the group admits all TCP from
  itself and to itself, and nothing else in: another repository's jobs (another group)
  cannot reach these workers. Out, it allows HTTPS to the VPC's range (the interface
  endpoints) and to S3 through the gateway endpoint's prefix list; the subnets have no
  route anywhere else;
- one Glue connection ``<project>-<env>-<repo>-<zone>`` per private subnet, in that
  subnet's zone, with that group. A job lists all of them (:class:`GlueJob` with
  ``network: true``), so it can run in any of the zones.

The data lake, not the ETL repository, owns them: a repository's deploy role can
neither create security groups nor change which network its jobs join.
"""

from __future__ import annotations

from dataclasses import dataclass

from datalake_cdktf.context import RepositoryContext
from datalake_cdktf.engine import Construct
from datalake_cdktf.engine.aws import (
    glue_connection,
    security_group,
    vpc_security_group_egress_rule,
    vpc_security_group_ingress_rule,
)

__all__ = ["JobNetwork", "JobNetworkConfig"]


@dataclass(frozen=True)
class JobNetworkConfig:
    """- ``vpc_id``, ``vpc_cidr``: the data lake's VPC and its range (the endpoints' side).
    - ``subnets``: ``(availability zone, subnet id)`` of each private subnet.
    - ``s3_prefix_list_id``: the S3 gateway endpoint's prefix list.
    """

    vpc_id: str
    vpc_cidr: str
    subnets: tuple[tuple[str, str], ...]
    s3_prefix_list_id: str


class JobNetwork(Construct):
    """Where the Glue jobs of ``context``'s repository run (see the module).

    Properties: ``security_group``, ``group_id``, ``connection_names`` (in subnet order)."""

    def __init__(self, scope: Construct, construct_id: str, *, context: RepositoryContext, config: JobNetworkConfig):
        super().__init__(scope, construct_id)
        repository = context.repository
        self.security_group = security_group.SecurityGroup(
            self,
            "security-group",
            name=context.job_security_group,
            description=f"Glue jobs of {repository}: workers reach each other, the VPC endpoints and S3",
            vpc_id=config.vpc_id,
        )
        self.group_id = group = self.security_group.id  # one engine read, used by every rule
        everything, https = (0, 65535), (443, 443)
        self._rule(
            "ingress",
            "from-its-workers",
            "Glue workers of the same jobs (Glue requires all TCP ports)",
            everything,
            referenced_security_group_id=group,
        )
        self._rule(
            "egress", "to-its-workers", "Glue workers of the same jobs", everything, referenced_security_group_id=group
        )
        self._rule("egress", "to-endpoints", "HTTPS to the VPC's interface endpoints", https, cidr_ipv4=config.vpc_cidr)
        self._rule(
            "egress",
            "to-s3",
            "HTTPS to S3 through the gateway endpoint",
            https,
            prefix_list_id=config.s3_prefix_list_id,
        )
        self.connection_names: list[str] = []
        for zone, subnet_id in config.subnets:
            name = context.glue_connection(availability_zone=zone)
            glue_connection.GlueConnection(
                self,
                f"connection-{zone}",
                name=name,
                description=f"Glue jobs of {repository} in the private subnet of {zone}",
                connection_type="NETWORK",
                physical_connection_requirements=glue_connection.GlueConnectionPhysicalConnectionRequirements(
                    availability_zone=zone, security_group_id_list=[group], subnet_id=subnet_id
                ),
            )
            self.connection_names.append(name)

    def _rule(self, kind: str, rule_id: str, description: str, ports: tuple[int, int], **other_side: str) -> None:
        """A TCP rule of the group (``kind``: ingress or egress) over ``ports``, whose other
        side is ``other_side`` (a group, a CIDR or a prefix list)."""
        rule = vpc_security_group_ingress_rule.VpcSecurityGroupIngressRule
        if kind == "egress":
            rule = vpc_security_group_egress_rule.VpcSecurityGroupEgressRule
        rule(
            self,
            rule_id,
            security_group_id=self.group_id,
            description=description,
            ip_protocol="tcp",
            from_port=ports[0],
            to_port=ports[1],
            **other_side,
        )
