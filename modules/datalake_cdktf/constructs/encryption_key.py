"""A customer-managed KMS key with rotation, an alias and an explicit key policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from datalake_cdktf.engine import Construct, TerraformResourceLifecycle
from datalake_cdktf.engine.aws import kms_alias, kms_key
from datalake_cdktf.iam.deploy.common import KEY_ADMINISTRATION
from datalake_cdktf.iam.statements import Statement, document, key_administration

__all__ = [
    "DELETION_WINDOW_DAYS",
    "EncryptionKey",
    "EncryptionKeyConfig",
]

DELETION_WINDOW_DAYS = 30
"""Days a key scheduled for deletion waits before KMS deletes it (KMS's longest: time to cancel)."""


@dataclass(frozen=True)
class EncryptionKeyConfig:
    """Always: yearly rotation, a 30-day deletion window, a policy that lets the key's
    own account administer it through IAM.

    - ``alias``: ``alias/...`` name (from the naming helper).
    - ``account_root``: ARN of the key's account principal.
    - ``administrators``: roles the key policy itself lets administer the key (the
      deploy role that creates it); IAM grants nobody else administration of it.
    - ``policy_editors``: when given, every other principal is denied
      ``kms:PutKeyPolicy``, and, where ``protect`` is on, disabling or deleting the key
      (KMS has no root override: keep a break-glass administrator among them).
    - ``policy_statements``: further grants (services).
    - ``protect``: Terraform's ``prevent_destroy`` (default on).
    """

    alias: str
    description: str
    account_root: str
    administrators: tuple[str, ...] = ()
    policy_editors: tuple[str, ...] = ()
    policy_statements: tuple[Statement, ...] = field(default=())
    protect: bool = True

    def policy(self) -> list[Statement]:
        statements = [key_administration(self.account_root)]
        if self.administrators:
            statements.append(
                {
                    "Sid": "DeployRoleAdministersTheKeyItCreates",
                    "Effect": "Allow",
                    "Principal": {"AWS": sorted(self.administrators)},
                    "Action": sorted(KEY_ADMINISTRATION),
                    "Resource": "*",
                }
            )
        if self.policy_editors:
            denied = ["kms:PutKeyPolicy", *(["kms:DisableKey", "kms:ScheduleKeyDeletion"] if self.protect else [])]
            statements.append(
                {
                    "Sid": "OnlyTheEditorsChangeOrDestroyTheKey",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": denied,
                    "Resource": "*",
                    "Condition": {"ArnNotEquals": {"aws:PrincipalArn": sorted(self.policy_editors)}},
                }
            )
        return [*statements, *self.policy_statements]


class EncryptionKey(Construct):
    """Properties: ``arn``, ``key_id``, ``alias_name``."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EncryptionKeyConfig):
        super().__init__(scope, construct_id)
        self.config = config
        self.key = kms_key.KmsKey(
            self,
            "key",
            description=config.description,
            enable_key_rotation=True,
            deletion_window_in_days=DELETION_WINDOW_DAYS,
            policy=document(*config.policy()),
            lifecycle=TerraformResourceLifecycle(prevent_destroy=config.protect),
        )
        kms_alias.KmsAlias(self, "alias", name=config.alias, target_key_id=self.key_id)

    @cached_property  # one attribute token per resource: each read is a call into the engine
    def arn(self) -> str:
        return self.key.arn

    @cached_property
    def key_id(self) -> str:
        return self.key.key_id

    @property
    def alias_name(self) -> str:
        return self.config.alias
