"""One repository in one environment: the naming context every ETL construct takes.

In the spirit of cloudposse's null-label, one frozen :class:`RepositoryContext` holds
what every construct of an ETL repository would otherwise be handed field by field
(the environment's :class:`~datalake_cdktf.naming.Label`, the repository, the account,
the region, the tags), and derives from it, once, every name and ARN they use: each
builder delegates to :mod:`datalake_cdktf.naming`, so a name is the same whether it is
built here or there, and its length limit is checked the same way.

ARN builders take keyword arguments only (``context.arn(service="glue",
resource="catalog")``, ``context.role_arn(name=...)``), so two strings cannot be passed
in each other's place. The name builders that take a list of name parts
(:meth:`RepositoryContext.name`, :meth:`RepositoryContext.role_name`) take them as
they are written, in order: ``context.name("workflow")`` is
``<project>-<env>-<repository>-workflow``.

Get one from the deployment: :meth:`~datalake_cdktf.config.DeploymentConfig.repository_context`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from datalake_cdktf.naming import (
    JOB_FILES,
    Label,
    arn,
    bucket_arn,
    kms_alias_arn,
    policy_arn,
    role_arn,
)

__all__ = ["DATA_KEY", "RepositoryContext"]

DATA_KEY = "data"
"""The data key's alias is ``alias/<project>-<env>-data``: one per environment."""


@dataclass(frozen=True, kw_only=True)
class RepositoryContext:
    """``repository`` in the environment of ``label``, in ``account_id`` and ``region``.

    ``tags``: what its stacks tag every resource with (default: none;
    :meth:`~datalake_cdktf.config.DeploymentConfig.repository_context` gives the
    deployment's, see :func:`~datalake_cdktf.tags.resource_tags`).
    """

    label: Label
    repository: str
    account_id: str
    region: str
    tags: Mapping[str, str] = field(default_factory=dict)

    # Names: <project>-<env>-<repository>-..., checked by the label against their limits.

    def name(self, *attributes: str) -> str:
        """``<project>-<env>-<repository>[-<attr>...]``: the base of the repository's names."""
        return self.label.name(self.repository, *attributes)

    def role_name(self, *attributes: str) -> str:
        """IAM role ``<project>-<env>-<repository>-<attr>...`` (at most 64 characters)."""
        return self.label.role(self.repository, *attributes)

    def function_name(self, *, name: str) -> str:
        """Lambda function ``<project>-<env>-<repository>-<name>`` (at most 64 characters)."""
        return self.label.function(self.repository, name)

    def bucket(self, *, purpose: str) -> str:
        """The environment's bucket for ``purpose`` (a zone, ``assets``):
        ``<project>-<env>-<purpose>-<account>-<region>``."""
        return self.label.bucket(purpose, self.account_id, self.region)

    def glue_database(self, *, zone: str) -> str:
        """The Glue database of ``zone``: ``<project>_<env>_<zone>``."""
        return self.label.glue_database(zone)

    def glue_connection(self, *, availability_zone: str) -> str:
        """The repository's Glue connection in ``availability_zone`` (created by the data lake)."""
        return self.label.glue_connection(self.repository, availability_zone)

    @property
    def job_security_group(self) -> str:
        """``<project>-<env>-<repository>-glue-jobs``: where the repository's jobs run."""
        return self.label.job_security_group(self.repository)

    def log_group(self, *parts: str) -> str:
        """``/<project>/<env>/<repository>/<part>/...``: one of the repository's log groups."""
        return self.label.log_group_path(self.repository) + "/".join(parts)

    def secret_name(self, *, name: str) -> str:
        """``<project>/<env>/<repository>/<name>``: a secret the repository's jobs may read."""
        return self.label.secret_path(self.repository) + name

    def job_files_prefix(self, *, job: str) -> str:
        """``<repository>/jobs/<job>/``: the job's script and modules in the assets bucket."""
        return f"{self.repository}/{JOB_FILES}/{job}/"

    def job_temporary_prefix(self, *, job: str) -> str:
        """``<repository>/tmp/<job>/``: the job's temporary files in the assets bucket."""
        return f"{self.repository}/tmp/{job}/"

    @property
    def data_key_alias(self) -> str:
        """``alias/<project>-<env>-data``: the environment's data key, by the name policies use."""
        return self.label.kms_alias(DATA_KEY)

    # ARNs in the environment's account and region (partition from the region).

    def arn(self, *, service: str, resource: str) -> str:
        """``arn:<partition>:<service>:<region>:<account>:<resource>``."""
        return arn(service=service, region=self.region, account_id=self.account_id, resource=resource)

    def role_arn(self, *, name: str) -> str:
        """ARN of the role ``name`` (no path) in the account."""
        return role_arn(account_id=self.account_id, role_name=name, region=self.region)

    def bucket_arn(self, *, purpose: str) -> str:
        """ARN of :meth:`bucket` ``purpose``."""
        return bucket_arn(bucket_name=self.bucket(purpose=purpose), region=self.region)

    def kms_alias_arn(self, *, alias: str) -> str:
        """ARN of the KMS alias ``alias`` (``alias/...``) in the account and region."""
        return kms_alias_arn(account_id=self.account_id, region=self.region, alias=alias)

    @property
    def boundary_arn(self) -> str:
        """The permissions boundary of the repository's deploy role and of every role it creates."""
        return policy_arn(
            account_id=self.account_id, policy_name=self.label.boundary_policy(self.repository), region=self.region
        )

    @property
    def deploy_role_arn(self) -> str:
        """The role the repository's apply build assumes in the account to apply its stacks."""
        return self.role_arn(name=self.label.deploy_role(self.repository))

    @property
    def plan_role_arn(self) -> str:
        """The read-only role the repository's code plans through in the account."""
        return self.role_arn(name=self.label.plan_role(self.repository))

    @property
    def drift_role_arn(self) -> str:
        """The role the administrator's drift check reads the repository's live resources through."""
        return self.role_arn(name=self.label.drift_role(self.repository))

    @property
    def profile(self) -> str:
        """The AWS profile the repository's stacks here name (``<project>-<env>-<repository>``):
        each build maps it to the role it may use, a person to theirs."""
        return self.label.profile(self.repository)
