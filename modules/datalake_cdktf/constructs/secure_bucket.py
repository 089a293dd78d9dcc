"""An S3 bucket that is secure without options: the only way this project makes buckets."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from datalake_cdktf.engine import Construct, TerraformProvider, TerraformResourceLifecycle
from datalake_cdktf.engine.aws import (
    s3_bucket,
    s3_bucket_lifecycle_configuration,
    s3_bucket_logging,
    s3_bucket_notification,
    s3_bucket_ownership_controls,
    s3_bucket_policy,
    s3_bucket_public_access_block,
    s3_bucket_server_side_encryption_configuration,
    s3_bucket_versioning,
)
from datalake_cdktf.iam.statements import Statement, deny_insecure_transport, document

__all__ = [
    "ABORT_INCOMPLETE_UPLOADS_DAYS",
    "PROTECTION_SETTINGS",
    "SecureBucket",
    "SecureBucketConfig",
]

ABORT_INCOMPLETE_UPLOADS_DAYS = 7
"""Days after which the parts of an unfinished multipart upload are deleted."""

PROTECTION_SETTINGS = (
    "s3:DeleteBucketPolicy",
    "s3:PutBucketLogging",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketPolicy",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketVersioning",
    "s3:PutEncryptionConfiguration",
    "s3:PutLifecycleConfiguration",
)
"""Bucket settings that keep data private and recoverable."""


@dataclass(frozen=True)
class SecureBucketConfig:
    """What may vary between buckets; everything else is fixed and secure.

    Always: public access blocked (all four settings), ACLs disabled
    (BucketOwnerEnforced), versioning on, TLS-only bucket policy, incomplete
    multipart uploads aborted after 7 days.

    - ``kms_key_arn``: SSE-KMS with an S3 bucket key. ``None`` means SSE-S3, which is
      only for access-log buckets (S3 server access logging cannot write SSE-KMS).
    - ``access_log_bucket``: the bucket (or the name of one in another stack) that
      receives this bucket's access logs under ``<bucket>/``; ``None`` only for an
      access-log bucket itself. Logging is
      switched on only after that bucket's policy admits the logging service (S3
      refuses it before, with InvalidTargetBucketForLogging).
    - ``expiration_days``: expire current objects after N days (``None``: keep).
    - ``noncurrent_version_days``: delete non-current versions after N days.
    - ``protect``: Terraform's ``prevent_destroy`` (default on), and a bucket policy
      that denies deleting object versions to everyone (lifecycle rules still expire
      them). An unprotected bucket gets ``force_destroy``: ``terraform destroy``
      empties it (versions and delivered access logs included) instead of failing.
    - ``replaceable_code``: key globs (e.g. ``*/jobs/*``) of code that pipelines
      replace, such as job scripts: where ``protect`` is on, their old versions may
      still be deleted (removing a Terraform-managed object deletes all its versions),
      every other object's may not.
    - ``configured_only_by``: where ``protect`` is on, only this role (the deploy role
      that manages the bucket) may change its policy, public access block, versioning,
      encryption, lifecycle, logging or ownership; the policy denies it to every other
      principal of any account.
    - ``eventbridge``: send object events to EventBridge, where ETL triggers listen
      (default off).
    - ``policy_statements``: extra bucket-policy statements (cross-account readers,
      the logging service).
    """

    bucket_name: str
    kms_key_arn: str | None
    access_log_bucket: SecureBucket | str | None
    noncurrent_version_days: int
    expiration_days: int | None = None
    protect: bool = True
    eventbridge: bool = False
    configured_only_by: str | None = None
    replaceable_code: tuple[str, ...] = ()
    policy_statements: tuple[Statement, ...] = field(default=())

    def policy(self, bucket_arn: str) -> list[Statement]:
        """The bucket policy: TLS only, the protection statements, then the extra ones."""
        statements = [deny_insecure_transport(bucket_arn)]
        if self.protect:
            statements.append(
                {
                    "Sid": "NobodyDeletesObjectVersions",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:DeleteObjectVersion",
                    **(
                        {"NotResource": [f"{bucket_arn}/{glob}" for glob in self.replaceable_code]}
                        if self.replaceable_code
                        else {"Resource": f"{bucket_arn}/*"}
                    ),
                }
            )
            if self.configured_only_by:
                statements.append(
                    {
                        "Sid": "OnlyTheOwnerChangesProtection",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": sorted(PROTECTION_SETTINGS),
                        "Resource": bucket_arn,
                        "Condition": {"ArnNotEquals": {"aws:PrincipalArn": self.configured_only_by}},
                    }
                )
        return [*statements, *self.policy_statements]


class SecureBucket(Construct):
    """A bucket plus its public-access block, ownership, versioning, encryption,
    logging, lifecycle and TLS-only policy. Properties: ``bucket_name``, ``arn``,
    ``bucket_id``, ``policy`` (the bucket-policy resource)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: SecureBucketConfig,
        provider: TerraformProvider | None = None,
    ):
        """``provider``: the AWS provider of another account (default: the stack's)."""
        super().__init__(scope, construct_id)
        self.config = config
        self._on = {"provider": provider} if provider else {}
        self.bucket = s3_bucket.S3Bucket(
            self,
            "bucket",
            bucket=config.bucket_name,
            force_destroy=not config.protect,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=config.protect),
            **self._on,
        )
        public_access = self._block_public_access()
        self._own_every_object()
        self._encrypt()
        self._log_access()
        if config.eventbridge:
            s3_bucket_notification.S3BucketNotification(
                self, "notifications", bucket=self.bucket_id, eventbridge=True, **self._on
            )
        s3_bucket_lifecycle_configuration.S3BucketLifecycleConfiguration(
            self, "lifecycle", bucket=self.bucket_id, rule=self._lifecycle_rules(), **self._on
        )
        self.policy = s3_bucket_policy.S3BucketPolicy(
            self,
            "policy",
            bucket=self.bucket_id,
            policy=document(*config.policy(self.arn)),
            # S3 rejects a policy while the public-access block is being changed.
            depends_on=[public_access],
            **self._on,
        )

    def _block_public_access(self) -> s3_bucket_public_access_block.S3BucketPublicAccessBlock:
        return s3_bucket_public_access_block.S3BucketPublicAccessBlock(
            self,
            "public-access-block",
            bucket=self.bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            **self._on,
        )

    def _own_every_object(self) -> None:
        """ACLs off (the bucket owner owns every object), and every object versioned."""
        s3_bucket_ownership_controls.S3BucketOwnershipControls(
            self, "ownership", bucket=self.bucket_id, rule={"object_ownership": "BucketOwnerEnforced"}, **self._on
        )
        s3_bucket_versioning.S3BucketVersioningA(
            self, "versioning", bucket=self.bucket_id, versioning_configuration={"status": "Enabled"}, **self._on
        )

    def _encrypt(self) -> None:
        """SSE-KMS with an S3 bucket key, or SSE-S3 where no key is given."""
        sse = s3_bucket_server_side_encryption_configuration
        key = self.config.kms_key_arn
        if key is None:
            default = sse.S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                sse_algorithm="AES256"
            )
        else:
            default = sse.S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                sse_algorithm="aws:kms", kms_master_key_id=key
            )
        sse.S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=self.bucket_id,
            rule=[
                sse.S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=default, bucket_key_enabled=key is not None
                )
            ],
            **self._on,
        )

    def _log_access(self) -> None:
        """Access logs into the log bucket under ``<bucket>/``; a log bucket of this stack
        first admits the logging service (its policy), one of another stack is ready."""
        log_bucket = self.config.access_log_bucket
        if log_bucket is None:
            return
        after = {} if isinstance(log_bucket, str) else {"depends_on": [log_bucket.policy]}
        s3_bucket_logging.S3BucketLoggingA(
            self,
            "logging",
            bucket=self.bucket_id,
            target_bucket=log_bucket if isinstance(log_bucket, str) else log_bucket.bucket_id,
            target_prefix=f"{self.config.bucket_name}/",
            **after,
            **self._on,
        )

    def _lifecycle_rules(self) -> list:
        # jsii drops multi-word keys of plain dicts inside lists: use the struct classes.
        lc = s3_bucket_lifecycle_configuration
        days = self.config.expiration_days
        return [
            lc.S3BucketLifecycleConfigurationRule(
                id="retention",
                status="Enabled",
                filter=[lc.S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                abort_incomplete_multipart_upload=[
                    lc.S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                        days_after_initiation=ABORT_INCOMPLETE_UPLOADS_DAYS
                    )
                ],
                noncurrent_version_expiration=[
                    lc.S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                        noncurrent_days=self.config.noncurrent_version_days
                    )
                ],
                expiration=[lc.S3BucketLifecycleConfigurationRuleExpiration(days=days)] if days else None,
            )
        ]

    @property
    def bucket_name(self) -> str:
        return self.config.bucket_name

    @cached_property  # one attribute token per resource: each read is a call into the engine
    def arn(self) -> str:
        return self.bucket.arn

    @cached_property
    def bucket_id(self) -> str:
        return self.bucket.id
