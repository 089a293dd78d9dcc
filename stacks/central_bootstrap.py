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

    Properties: ``config``, ``state_bucket``, ``state_key``, ``artifact_key``, ``notification_key``,
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
        self.config = config
        self.access_log_bucket = self._access_logs()
        self.state_key, self.state_bucket = self._state()
        self.artifact_key, self.notification_key = self._pipeline_keys()
        self.source_connection = self._source_connection()

    def _access_logs(self) -> SecureBucket:
        """The bucket every other bucket of the central account logs its access into."""
        config, central = self.config, self.config.central
        name = config.central_bucket("access-logs")
        return SecureBucket(
            self,
            "access-logs",
            config=SecureBucketConfig(
                bucket_name=name,
                kms_key_arn=None,  # S3 server access logging cannot write SSE-KMS objects
                access_log_bucket=None,
                noncurrent_version_days=ACCESS_LOG_DAYS,
                expiration_days=ACCESS_LOG_DAYS,
                policy_statements=(server_access_logging(name, central.account_id, central.region),),
            ),
        )

    def _state(self) -> tuple[EncryptionKey, SecureBucket]:
        """The Terraform state of every stack, and its key."""
        config = self.config
        key = EncryptionKey(
            self,
            "state-key",
            config=EncryptionKeyConfig(
                alias=config.state_key_alias,
                description="Encrypts every Terraform state file of the deployment",
                account_root=self._root,
            ),
        )
        bucket = SecureBucket(
            self,
            "state",
            config=SecureBucketConfig(
                bucket_name=config.state_bucket,
                kms_key_arn=key.arn,
                access_log_bucket=self.access_log_bucket,
                noncurrent_version_days=STATE_VERSION_DAYS,
            ),
        )
        return key, bucket

    def _pipeline_keys(self) -> tuple[EncryptionKey, EncryptionKey]:
        """The keys of every pipeline's artifacts and build logs, and of their topics."""
        config, central = self.config, self.config.central
        # the build logs of every pipeline's projects, <project>-<env>-<repo>-*
        build_projects = [
            config.label(env).repository_prefix(repo.name)
            for env in config.environments
            for repo in config.repositories.all
        ]
        artifact_key = EncryptionKey(
            self,
            "artifact-key",
            config=EncryptionKeyConfig(
                alias=config.artifact_key_alias,
                description="Encrypts pipeline artifacts",
                account_root=self._root,
                policy_statements=(build_logs_use_key(central.region, central.account_id, build_projects),),
                protect=False,  # artifacts are rebuilt from Git
            ),
        )
        notification_key = EncryptionKey(
            self,
            "notification-key",
            config=EncryptionKeyConfig(
                alias=config.notification_key_alias,
                description="Encrypts the pipelines' notification topics",
                account_root=self._root,
                policy_statements=(notifications_use_key(central.account_id),),
                protect=False,  # notifications are transient
            ),
        )
        return artifact_key, notification_key

    def _source_connection(self) -> codestarconnections_connection.CodestarconnectionsConnection | None:
        """The connection to the Git host (``None``: CodeCommit needs none)."""
        config = self.config
        if not config.source.uses_connection:
            return None
        # Created PENDING: an administrator completes the handshake with the Git host
        # once, in the console (README.md, "Bootstrapping").
        return codestarconnections_connection.CodestarconnectionsConnection(
            self, "source", name=config.source_connection_name, provider_type=config.source.provider
        )

    @property
    def _root(self) -> str:
        central = self.config.central
        return account_root_arn(account_id=central.account_id, region=central.region)
