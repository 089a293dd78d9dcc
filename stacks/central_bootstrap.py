"""``central-bootstrap``: what the central account needs before any pipeline runs.

Applied once by an administrator of the central account: first with local state
(``DATALAKE_BOOTSTRAP_LOCAL_STATE=1``), then migrated into the state bucket it
created (``terraform init -migrate-state``). See README.md, "Bootstrapping".
"""

from __future__ import annotations

from datalake_cdktf.config.model import DeploymentConfig
from datalake_cdktf.constructs.encryption_key import EncryptionKey, EncryptionKeyConfig
from datalake_cdktf.constructs.secure_bucket import SecureBucket, SecureBucketConfig
from datalake_cdktf.engine import Construct
from datalake_cdktf.engine.aws import codestarconnections_connection
from datalake_cdktf.iam.statements import build_logs_use_key, notifications_use_key, server_access_logging
from datalake_cdktf.naming import account_root_arn
from datalake_cdktf.stack import DeploymentStack

STACK_ID = "central-bootstrap"
STATE_VERSION_DAYS = 365
"""Earlier versions of every state file are kept a year: a bad apply can be rolled back."""
ACCESS_LOG_DAYS = 365


class CentralBootstrapStack(DeploymentStack):
    """State bucket and key, access-log bucket, the pipelines' artifact and notification
    keys, and the source connection (each pipeline's artifact bucket and roles are in
    ``bootstrap-<env>``).

    Properties: ``state_bucket``, ``state_key``, ``artifact_key``, ``notification_key``,
    ``access_log_bucket``, ``source_connection`` (None for CodeCommit). Nothing here
    admits a principal outside the central account: pipelines use them as roles of this
    account, and only their Terraform providers cross into the environments.
    """

    def __init__(self, scope: Construct, *, config: DeploymentConfig, local_state: bool = False):
        central = config.central
        label = config.central_label
        super().__init__(
            scope,
            STACK_ID,
            config=config,
            label=label,
            repository=config.repositories.infrastructure.name,
            account_id=central.account_id,
            region=central.region,
            role_arn=None,  # applied by an administrator of the central account
            local_state=local_state,
        )
        root = account_root_arn(central.account_id, central.region)
        build_projects = [
            config.label(env).repository_prefix(repo.name)
            for env in config.environments
            for repo in config.repositories.all
        ]

        log_bucket_name = config.central_bucket("access-logs")
        self.access_log_bucket = SecureBucket(
            self,
            "access-logs",
            config=SecureBucketConfig(
                bucket_name=log_bucket_name,
                kms_key_arn=None,  # S3 server access logging cannot write SSE-KMS objects
                access_log_bucket=None,
                noncurrent_version_days=ACCESS_LOG_DAYS,
                expiration_days=ACCESS_LOG_DAYS,
                policy_statements=(server_access_logging(log_bucket_name, central.account_id, central.region),),
            ),
        )
        self.state_key = EncryptionKey(
            self,
            "state-key",
            config=EncryptionKeyConfig(
                alias=config.state_key_alias,
                description="Encrypts every Terraform state file of the deployment",
                account_root=root,
            ),
        )
        self.state_bucket = SecureBucket(
            self,
            "state",
            config=SecureBucketConfig(
                bucket_name=config.state_bucket,
                kms_key_arn=self.state_key.arn,
                access_log_bucket=self.access_log_bucket,
                noncurrent_version_days=STATE_VERSION_DAYS,
            ),
        )
        self.artifact_key = EncryptionKey(
            self,
            "artifact-key",
            config=EncryptionKeyConfig(
                alias=config.artifact_key_alias,
                description="Encrypts pipeline artifacts",
                account_root=root,
                # and the build logs of every pipeline's projects, <project>-<env>-<repo>-*
                policy_statements=(build_logs_use_key(central.region, central.account_id, build_projects),),
                protect=False,  # artifacts are rebuilt from Git
            ),
        )
        self.notification_key = EncryptionKey(
            self,
            "notification-key",
            config=EncryptionKeyConfig(
                alias=config.notification_key_alias,
                description="Encrypts the pipelines' notification topics",
                account_root=root,
                policy_statements=(notifications_use_key(central.account_id),),
                protect=False,  # notifications are transient
            ),
        )
        self.source_connection = None
        if config.source.uses_connection:
            # Created PENDING: an administrator completes the handshake with the Git host
            # once, in the console (README.md, "Bootstrapping").
            self.source_connection = codestarconnections_connection.CodestarconnectionsConnection(
                self,
                "source",
                name=config.source_connection_name,
                provider_type=config.source.provider,
            )
