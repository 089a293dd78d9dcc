"""Glue Data Catalog: one database per data-lake zone, catalog encrypted with our key,
and the security configuration every job of the environment runs with."""

from __future__ import annotations

from dataclasses import dataclass

from datalake_cdktf.engine import Construct, TerraformResourceLifecycle
from datalake_cdktf.engine.aws import (
    glue_catalog_database,
    glue_data_catalog_encryption_settings,
    glue_security_configuration,
)

__all__ = [
    "GlueCatalog",
    "GlueCatalogConfig",
]


@dataclass(frozen=True)
class GlueCatalogConfig:
    """- ``databases``: zone -> (database name, S3 location of the zone).
    - ``kms_key_arn``: encrypts catalog metadata and connection passwords.
    - ``protect``: Terraform's ``prevent_destroy`` on every database (default on).
    - ``job_security_configuration``: name of the Glue security configuration for jobs
      (what they write to S3, their logs and their bookmarks encrypted with the key);
      ``None``: none.
    """

    account_id: str
    databases: tuple[tuple[str, str, str], ...]  # (zone, database name, s3 location)
    kms_key_arn: str
    protect: bool = True
    job_security_configuration: str | None = None


class GlueCatalog(Construct):
    """Properties: ``database_names`` (zone -> name), ``job_security_configuration`` (name or None)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: GlueCatalogConfig):
        super().__init__(scope, construct_id)
        self.database_names: dict[str, str] = {}
        for zone, name, location in config.databases:
            glue_catalog_database.GlueCatalogDatabase(
                self,
                zone,
                name=name,
                catalog_id=config.account_id,
                description=f"Tables of the {zone} zone",
                location_uri=location,
                lifecycle=TerraformResourceLifecycle(prevent_destroy=config.protect),
            )
            self.database_names[zone] = name
        glue_data_catalog_encryption_settings.GlueDataCatalogEncryptionSettings(
            self,
            "encryption",
            catalog_id=config.account_id,
            data_catalog_encryption_settings={
                "encryption_at_rest": {
                    "catalog_encryption_mode": "SSE-KMS",
                    "sse_aws_kms_key_id": config.kms_key_arn,
                },
                "connection_password_encryption": {
                    "return_connection_password_encrypted": True,
                    "aws_kms_key_id": config.kms_key_arn,
                },
            },
        )
        self.job_security_configuration = config.job_security_configuration
        if config.job_security_configuration:
            key = config.kms_key_arn
            glue_security_configuration.GlueSecurityConfiguration(
                self,
                "job-security",
                name=config.job_security_configuration,
                encryption_configuration=glue_security_configuration.GlueSecurityConfigurationEncryptionConfiguration(
                    s3_encryption=glue_security_configuration.GlueSecurityConfigurationEncryptionConfigurationS3Encryption(
                        s3_encryption_mode="SSE-KMS", kms_key_arn=key
                    ),
                    cloudwatch_encryption=glue_security_configuration.GlueSecurityConfigurationEncryptionConfigurationCloudwatchEncryption(
                        cloudwatch_encryption_mode="SSE-KMS", kms_key_arn=key
                    ),
                    job_bookmarks_encryption=glue_security_configuration.GlueSecurityConfigurationEncryptionConfigurationJobBookmarksEncryption(
                        job_bookmarks_encryption_mode="CSE-KMS", kms_key_arn=key
                    ),
                ),
            )
