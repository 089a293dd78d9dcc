"""A customer-managed KMS key with rotation, an alias and an explicit key policy."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine import Construct, TerraformResourceLifecycle
from engine.aws import kms_alias, kms_key
from modules.policy import Statement, document, key_administration

DELETION_WINDOW_DAYS = 30


@dataclass(frozen=True)
class EncryptionKeyConfig:
    """Always: yearly rotation, a 30-day deletion window, a policy that lets the key's
    own account administer it through IAM.

    - ``alias``: ``alias/...`` name (from the naming helper).
    - ``account_root``: ARN of the key's account principal.
    - ``policy_statements``: further grants (services, cross-account roles).
    - ``protect``: Terraform's ``prevent_destroy`` (default on).
    """

    alias: str
    description: str
    account_root: str
    policy_statements: tuple[Statement, ...] = field(default=())
    protect: bool = True


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
            policy=document(key_administration(config.account_root), *config.policy_statements),
            lifecycle=TerraformResourceLifecycle(prevent_destroy=config.protect),
        )
        kms_alias.KmsAlias(self, "alias", name=config.alias, target_key_id=self.key.key_id)

    @property
    def arn(self) -> str:
        return self.key.arn

    @property
    def key_id(self) -> str:
        return self.key.key_id

    @property
    def alias_name(self) -> str:
        return self.config.alias
