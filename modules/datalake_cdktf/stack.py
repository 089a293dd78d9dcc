"""What every stack shares: its account, provider, backend and tags."""

from __future__ import annotations

import warnings

from datalake_cdktf.config.model import DeploymentConfig, Environment, Repository
from datalake_cdktf.emulator import EmulatorProfile, load_emulator_profile
from datalake_cdktf.engine import Construct, LocalBackend, S3Backend, TerraformProvider, TerraformStack
from datalake_cdktf.engine.aws import provider
from datalake_cdktf.naming import Label, etl_stack_id, state_key
from datalake_cdktf.tags import resource_tags

__all__ = ["READ_ONLY_DEPRECATED", "REQUIRED_TERRAFORM", "DeploymentStack", "EtlStack"]

READ_ONLY_DEPRECATED = (
    "read_only is deprecated since datalake-cdktf 0.8.0 and changes nothing: a stack a pipeline deploys names "
    "the AWS profile <project>-<env>-<repository>, which the build that plans maps to the read-only plan role"
)
"""The warning ``read_only=True`` gives (``EtlStack``, ``build_etl_app``)."""
REQUIRED_TERRAFORM = ">= 1.10"
"""S3-native state locking (``use_lockfile``) needs Terraform 1.10."""


class DeploymentStack(TerraformStack):
    """A Terraform workspace in one account and region.

    - Its AWS provider works only in ``account_id`` (``allowed_account_ids``), assumes
      ``role_arn`` when given (the stacks an administrator applies) or takes its
      credentials from the AWS ``profile`` it names (the stacks a pipeline applies: the
      build that plans maps the profile to the read-only plan role, the build that applies
      to the deploy role, so one saved plan serves both), and tags every resource with the
      project, the stage, ``managed-by``, the ``repository`` that owns the stack and the
      config's tags. :meth:`add_provider` adds another account (by alias) with the same tags.
    - Its state lives in the central state bucket under ``<stack id>/terraform.tfstate``,
      encrypted with the central state key, locked with an S3 lock file;
      ``local_state=True`` keeps it on disk instead (only to create the state bucket).
    - Under the emulator profile (``$DATALAKE_EMULATOR``, :mod:`datalake_cdktf.emulator`)
      its providers and backend call the profile's local endpoints; nothing else changes.
    """

    def __init__(
        self,
        scope: Construct,
        stack_id: str,
        *,
        config: DeploymentConfig,
        label: Label,
        repository: str,
        account_id: str,
        region: str,
        role_arn: str | None,
        profile: str | None = None,
        local_state: bool = False,
    ):
        super().__init__(scope, stack_id)
        self.stack_id = stack_id
        self.emulator: EmulatorProfile | None = load_emulator_profile()
        self.account_id = account_id
        self.region = region
        self.backend_key = "terraform.tfstate (local)" if local_state else state_key(stack_id)
        self.tags = resource_tags(config.tags, project=config.project.name, stage=label.stage, repository=repository)
        self.add_provider(None, account_id=account_id, region=region, role_arn=role_arn, profile=profile)
        self.add_override("terraform.required_version", REQUIRED_TERRAFORM)
        if local_state:
            LocalBackend(self, path="terraform.tfstate")
            return
        S3Backend(
            self,
            bucket=config.state_bucket,
            key=self.backend_key,
            region=config.central.region,
            encrypt=True,
            # Without a key Terraform asks for SSE-S3 explicitly, overriding the bucket's
            # default: name the state key (by alias: its id is unknown until it exists).
            kms_key_id=config.state_key_alias_arn,
        )
        # cdktf 0.21's S3Backend has no use_lockfile; the lock file replaces DynamoDB locks.
        self.add_override("terraform.backend.s3.use_lockfile", True)
        if self.emulator:
            for name, value in self.emulator.backend_settings().items():
                self.add_override(f"terraform.backend.s3.{name}", value)

    def add_provider(
        self, alias: str | None, *, account_id: str, region: str, role_arn: str | None, profile: str | None = None
    ) -> TerraformProvider:
        """An AWS provider for ``account_id`` only, assuming ``role_arn`` if given or with the
        credentials of the AWS ``profile`` if given, with this stack's default tags.
        ``alias=None`` is the stack's default provider."""
        aws = provider.AwsProvider(
            self,
            f"aws-{alias}" if alias else "aws",
            alias=alias,
            region=region,
            profile=profile,
            allowed_account_ids=[account_id],
            assume_role=[provider.AwsProviderAssumeRole(role_arn=role_arn, session_name=self.stack_id)]
            if role_arn
            else None,
            default_tags=[provider.AwsProviderDefaultTags(tags=self.tags)],
            **(self.emulator.provider_settings() if self.emulator else {}),
        )
        if self.emulator:  # endpoints by Terraform's names (the bindings rename some, e.g. s3_control)
            aws.add_override("endpoints", self.emulator.provider_endpoints())
        return aws


class EtlStack(DeploymentStack):
    """``etl-<repository>-<env>``: what an ETL repository deploys into one environment.

    In the environment's account, through the AWS profile ``<project>-<env>-<repository>``
    (the pipeline's plan build maps it to the repository's read-only plan role, its apply
    build to the deploy role ``<project>-<env>-<repository>-deploy``), its state under its
    own key in the central state bucket, every resource tagged with the repository. Name
    what it creates with ``prefix`` (``<project>-<env>-<repository>-``): the deploy role may
    manage nothing else. (``read_only``, deprecated since 0.8.0, changes nothing: the
    build that plans chooses the read-only role.)

    Properties: ``config``, ``environment``, ``repository``, ``label``, ``prefix``.
    """

    def __init__(
        self,
        scope: Construct,
        *,
        config: DeploymentConfig,
        environment: Environment,
        repository: Repository | str,
        read_only: bool = False,
    ):
        if isinstance(repository, str):
            repository = config.etl_repository(repository)
        if read_only:
            warnings.warn(READ_ONLY_DEPRECATED, DeprecationWarning, stacklevel=2)
        label = config.label(environment)
        super().__init__(
            scope,
            etl_stack_id(repository.name, environment.name),
            config=config,
            label=label,
            repository=repository.name,
            account_id=environment.account_id,
            region=environment.region,
            role_arn=None,
            profile=label.profile(repository.name),
        )
        self.config = config
        self.environment = environment
        self.repository = repository
        self.label = label
        self.prefix = label.repository_prefix(repository.name)
