"""``datalake-<env>``: network, encryption, buckets and catalog of one environment, and
the network each ETL repository's Glue jobs run in (:mod:`datalake_cdktf.constructs.job_network`).

Deployed by the infrastructure repository's pipeline through its deploy role. Everything
ETL repositories need is published to SSM (see :mod:`datalake_cdktf.constructs.published_outputs`).
"""

from __future__ import annotations

from datalake_cdktf.config.model import DeploymentConfig, Environment
from datalake_cdktf.constructs.encryption_key import EncryptionKey, EncryptionKeyConfig
from datalake_cdktf.constructs.glue_catalog import GlueCatalog, GlueCatalogConfig
from datalake_cdktf.constructs.job_network import JobNetwork, JobNetworkConfig
from datalake_cdktf.constructs.private_network import PrivateNetwork, PrivateNetworkConfig
from datalake_cdktf.constructs.published_outputs import PublishedOutputs
from datalake_cdktf.constructs.secure_bucket import SecureBucket, SecureBucketConfig
from datalake_cdktf.contract import CONTRACT_VERSION, VERSION_KEY
from datalake_cdktf.engine import Construct
from datalake_cdktf.iam.statements import alerts_use_key, cloudwatch_logs_use_key, server_access_logging
from datalake_cdktf.naming import (
    DATALAKE_PUBLISHER,
    GLUE_LOG_GROUPS,
    ZONES,
    account_root_arn,
    bucket_arn,
    datalake_stack_id,
    replaceable_code,
    role_arn,
)
from datalake_cdktf.stack import DeploymentStack

FLOW_LOG_DAYS = 365


class DataLakeStack(DeploymentStack):
    """Properties: ``key``, ``access_log_bucket``, ``zone_buckets`` (zone -> bucket),
    ``assets_bucket``, ``network``, ``job_networks`` (ETL repository -> its
    :class:`JobNetwork`), ``catalog``, ``outputs``."""

    def __init__(self, scope: Construct, *, config: DeploymentConfig, environment: Environment):
        """Through the AWS profile ``<project>-<env>-<infrastructure>``: the plan build maps
        it to the read-only plan role, the apply build to the deploy role."""
        infrastructure, label = config.repositories.infrastructure, config.label(environment)
        deploy_role = config.deploy_role_arn(environment, infrastructure)
        super().__init__(
            scope,
            datalake_stack_id(environment.name),
            config=config,
            label=label,
            repository=infrastructure.name,
            account_id=environment.account_id,
            region=environment.region,
            role_arn=None,
            profile=label.profile(infrastructure.name),
        )
        self.config, self.environment, self.label, self.deploy_role = config, environment, label, deploy_role
        self.key = self._data_key()
        self.access_log_bucket = self._access_log_bucket()
        self.zone_buckets = {zone: self._data_bucket(zone, environment.retention.days_for(zone)) for zone in ZONES}
        # Job scripts, Python modules and Lambda packages: each repository under its own prefix.
        # Scripts are code (in Git): where data is protected, removing a job may still
        # delete its script's versions (naming.replaceable_code), nothing else's.
        self.assets_bucket = self._data_bucket("assets", None, eventbridge=False, replaceable=(replaceable_code(),))
        self.network = self._network()
        self.job_networks = {
            repository.name: self._job_network(repository.name) for repository in config.repositories.etl
        }
        self.catalog = self._catalog()
        self.outputs = PublishedOutputs(
            self, "outputs", label=self.label, publisher=DATALAKE_PUBLISHER, values=self._contract()
        )

    def _data_key(self) -> EncryptionKey:
        """The data key: buckets, catalog and the log groups of the lake and its repositories."""
        config, environment, label = self.config, self.environment, self.label
        account, region, protect = environment.account_id, environment.region, environment.protect_data
        # The log groups encrypted with the data key: flow logs, Glue's (the jobs' security
        # configuration) and each ETL repository's (its functions and workflows).
        log_groups = (
            label.flow_log_group(),
            GLUE_LOG_GROUPS,
            *(label.log_group_path(repository.name) + "*" for repository in config.repositories.etl),
        )
        admin_role = role_arn(account_id=account, role_name=environment.admin_role_name, region=region)
        return EncryptionKey(
            self,
            "data-key",
            config=EncryptionKeyConfig(
                alias=label.kms_alias("data"),
                description=f"Encrypts the {environment.name} data lake: buckets, catalog, logs",
                account_root=account_root_arn(account_id=account, region=region),
                administrators=(self.deploy_role,),
                # The account's administrator role stays an editor: KMS has no root override.
                policy_editors=(self.deploy_role, admin_role) if protect else (),
                policy_statements=(cloudwatch_logs_use_key(region, account, log_groups), alerts_use_key(account)),
                protect=protect,
            ),
        )

    def _access_log_bucket(self) -> SecureBucket:
        environment = self.environment
        account, region = environment.account_id, environment.region
        name = self.label.bucket("access-logs", account, region)
        return SecureBucket(
            self,
            "access-logs",
            config=SecureBucketConfig(
                bucket_name=name,
                kms_key_arn=None,  # S3 server access logging cannot write SSE-KMS objects
                access_log_bucket=None,
                noncurrent_version_days=environment.retention.noncurrent_version_days,
                expiration_days=environment.retention.access_log_days,
                protect=environment.protect_data,
                configured_only_by=self.deploy_role,
                policy_statements=(server_access_logging(name, account, region),),
            ),
        )

    def _data_bucket(
        self, purpose: str, expiration_days: int | None, *, eventbridge: bool = True, replaceable: tuple[str, ...] = ()
    ) -> SecureBucket:
        """A bucket encrypted with the data key, logged to the access-log bucket."""
        environment = self.environment
        return SecureBucket(
            self,
            purpose,
            config=SecureBucketConfig(
                bucket_name=self.label.bucket(purpose, environment.account_id, environment.region),
                kms_key_arn=self.key.arn,
                access_log_bucket=self.access_log_bucket,
                noncurrent_version_days=environment.retention.noncurrent_version_days,
                expiration_days=expiration_days,
                protect=environment.protect_data,
                eventbridge=eventbridge,
                configured_only_by=self.deploy_role,
                replaceable_code=replaceable,
            ),
        )

    def _network(self) -> PrivateNetwork:
        config, environment, label = self.config, self.environment, self.label
        infrastructure = config.repositories.infrastructure
        return PrivateNetwork(
            self,
            "network",
            config=PrivateNetworkConfig(
                name=label.name(),
                cidr=environment.vpc_cidr,
                availability_zones=environment.availability_zones,
                region=environment.region,
                account_id=environment.account_id,
                log_key_arn=self.key.arn,
                log_retention_days=FLOW_LOG_DAYS,
                flow_log_group_name=label.flow_log_group(),
                flow_log_role_name=label.role(infrastructure.name, "flow-logs"),
                permissions_boundary_arn=config.boundary_arn(environment, infrastructure),
            ),
        )

    def _job_network(self, repository: str) -> JobNetwork:
        """Where ``repository``'s Glue jobs run: its security group and connections."""
        subnets = tuple(zip(self.environment.availability_zones, self.network.private_subnet_ids, strict=True))
        return JobNetwork(
            self,
            f"jobs-network-{repository}",
            context=self.config.repository_context(self.environment, self.config.etl_repository(repository)),
            config=JobNetworkConfig(
                vpc_id=self.network.vpc_id,
                vpc_cidr=str(self.environment.vpc_cidr),
                subnets=subnets,
                s3_prefix_list_id=self.network.s3_prefix_list_id,
            ),
        )

    def _catalog(self) -> GlueCatalog:
        label = self.label
        return GlueCatalog(
            self,
            "catalog",
            config=GlueCatalogConfig(
                account_id=self.environment.account_id,
                databases=tuple(
                    (zone, label.glue_database(zone), f"s3://{bucket.bucket_name}/")
                    for zone, bucket in self.zone_buckets.items()
                ),
                kms_key_arn=self.key.arn,
                protect=self.environment.protect_data,
                job_security_configuration=label.name("jobs"),
            ),
        )

    def _contract(self) -> dict[str, str | list[str]]:
        """What the outputs contract publishes (:mod:`datalake_cdktf.contract`)."""
        region = self.environment.region
        buckets = {**self.zone_buckets, "assets": self.assets_bucket, "access-logs": self.access_log_bucket}
        values: dict[str, str | list[str]] = {VERSION_KEY: str(CONTRACT_VERSION), "kms/key-arn": self.key.arn}
        for purpose, bucket in buckets.items():
            values[f"buckets/{purpose}/name"] = bucket.bucket_name
            values[f"buckets/{purpose}/arn"] = bucket_arn(bucket_name=bucket.bucket_name, region=region)
        for zone, name in self.catalog.database_names.items():
            values[f"glue/databases/{zone}/name"] = name
        values["glue/security-configuration/name"] = self.label.name("jobs")
        values["vpc/id"] = self.network.vpc_id
        values["vpc/private-subnet-ids"] = self.network.private_subnet_ids
        values["vpc/endpoint-security-group-id"] = self.network.endpoint_security_group_id
        return values
