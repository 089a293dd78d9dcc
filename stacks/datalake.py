"""``datalake-<env>``: network, encryption, zone buckets and catalog of one environment.

Deployed by the environment's pipeline through its deploy role. Everything ETL
repositories need is published to SSM (see :mod:`modules.published_outputs`).
"""

from __future__ import annotations

from engine import Construct
from envs.model import DeploymentConfig, Environment
from envs.naming import ZONES, account_root_arn, bucket_arn
from modules.encryption_key import EncryptionKey, EncryptionKeyConfig
from modules.glue_catalog import GlueCatalog, GlueCatalogConfig
from modules.policy import cloudwatch_logs_use_key, server_access_logging
from modules.private_network import PrivateNetwork, PrivateNetworkConfig
from modules.published_outputs import DATALAKE_PUBLISHER, PublishedOutputs
from modules.secure_bucket import SecureBucket, SecureBucketConfig
from stacks.base import DeploymentStack

FLOW_LOG_DAYS = 365


def stack_id(environment: Environment) -> str:
    return f"datalake-{environment.name}"


class DataLakeStack(DeploymentStack):
    """Properties: ``key``, ``access_log_bucket``, ``zone_buckets`` (zone -> bucket),
    ``network``, ``catalog``, ``outputs``."""

    def __init__(self, scope: Construct, *, config: DeploymentConfig, environment: Environment):
        label = config.label(environment)
        account, region = environment.account_id, environment.region
        super().__init__(
            scope,
            stack_id(environment),
            config=config,
            label=label,
            account_id=account,
            region=region,
            role_arn=config.deploy_role_arn(environment),
        )
        protect = environment.protect_data
        retention = environment.retention
        self.key = EncryptionKey(
            self,
            "data-key",
            config=EncryptionKeyConfig(
                alias=label.kms_alias("data"),
                description=f"Encrypts the {environment.name} data lake: buckets, catalog, logs",
                account_root=account_root_arn(account, region),
                policy_statements=(cloudwatch_logs_use_key(region, account),),
                protect=protect,
            ),
        )
        log_bucket_name = label.bucket("access-logs", account, region)
        self.access_log_bucket = SecureBucket(
            self,
            "access-logs",
            config=SecureBucketConfig(
                bucket_name=log_bucket_name,
                kms_key_arn=None,  # S3 server access logging cannot write SSE-KMS objects
                access_log_bucket=None,
                noncurrent_version_days=retention.noncurrent_version_days,
                expiration_days=retention.access_log_days,
                protect=protect,
                policy_statements=(server_access_logging(log_bucket_name, account, region),),
            ),
        )
        self.zone_buckets = {
            zone: SecureBucket(
                self,
                zone,
                config=SecureBucketConfig(
                    bucket_name=label.bucket(zone, account, region),
                    kms_key_arn=self.key.arn,
                    access_log_bucket=self.access_log_bucket,
                    noncurrent_version_days=retention.noncurrent_version_days,
                    expiration_days=retention.days_for(zone),
                    protect=protect,
                    eventbridge=True,
                ),
            )
            for zone in ZONES
        }
        boundary_arn = config.boundary_arn(environment)
        self.network = PrivateNetwork(
            self,
            "network",
            config=PrivateNetworkConfig(
                name=label.name(),
                cidr=environment.vpc_cidr,
                availability_zones=environment.availability_zones,
                region=region,
                account_id=account,
                log_key_arn=self.key.arn,
                log_retention_days=FLOW_LOG_DAYS,
                flow_log_role_name=label.role("flow-logs"),
                permissions_boundary_arn=boundary_arn,
            ),
        )
        self.catalog = GlueCatalog(
            self,
            "catalog",
            config=GlueCatalogConfig(
                account_id=account,
                databases=tuple(
                    (zone, label.glue_database(zone), f"s3://{bucket.bucket_name}/")
                    for zone, bucket in self.zone_buckets.items()
                ),
                kms_key_arn=self.key.arn,
                protect=protect,
            ),
        )
        buckets = {**self.zone_buckets, "access-logs": self.access_log_bucket}
        values: dict[str, str | list[str]] = {"kms/key-arn": self.key.arn}
        for zone, bucket in buckets.items():
            values[f"buckets/{zone}/name"] = bucket.bucket_name
            values[f"buckets/{zone}/arn"] = bucket_arn(bucket.bucket_name, region)
        for zone, name in self.catalog.database_names.items():
            values[f"glue/databases/{zone}/name"] = name
        values["iam/permissions-boundary-arn"] = boundary_arn
        values["vpc/id"] = self.network.vpc_id
        values["vpc/private-subnet-ids"] = self.network.private_subnet_ids
        values["vpc/endpoint-security-group-id"] = self.network.endpoint_security_group_id
        self.outputs = PublishedOutputs(self, "outputs", label=label, publisher=DATALAKE_PUBLISHER, values=values)
