"""One repository in one data-lake account: the names its deploy role's documents use, and
the documents, computed from its role's definition (:mod:`.data_lake` or :mod:`.etl`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from itertools import chain

from datalake_cdktf import naming
from datalake_cdktf.iam.deploy.data_lake import DATA_LAKE
from datalake_cdktf.iam.deploy.definition import DeployRoleDefinition
from datalake_cdktf.iam.deploy.etl import ETL
from datalake_cdktf.iam.deploy.reads import read_only
from datalake_cdktf.iam.packing import pack
from datalake_cdktf.iam.statements import Statement, catalog_use_key
from datalake_cdktf.naming import Label

__all__ = ["DeployAccess"]


@dataclass(frozen=True)
class DeployAccess:
    """One repository in one data-lake account: every name its documents use.

    - ``label``: the environment's naming context (``<project>-<env>``).
    - ``repository``: this repository's name; ``infrastructure``: whether it is the
      infrastructure repository (it deploys ``datalake-<env>``), which chooses the
      role's definition: :data:`~datalake_cdktf.iam.deploy.data_lake.DATA_LAKE` or
      :data:`~datalake_cdktf.iam.deploy.etl.ETL`.
    - ``apply_role_arn``: the central-account role of the apply build, which alone may
      assume the deploy role.
    - ``code_role_arns``: the central-account roles of the builds that run the repository's
      code (its pipeline's test and plan builds, its pull requests), which may assume the
      read-only plan role ``<project>-<env>-<repo>-plan`` and nothing else here.
    - ``review_role_arn``: the central-account role of the administrator's drift check,
      which alone may assume the drift role ``<project>-<env>-<repo>-drift``.
    - ``protect_data``: the environment's setting (no destruction of data).
    """

    label: Label
    account_id: str
    region: str
    repository: str
    infrastructure: bool
    apply_role_arn: str
    code_role_arns: tuple[str, ...]
    review_role_arn: str
    protect_data: bool

    # The documents --------------------------------------------------------------

    @property
    def definition(self) -> DeployRoleDefinition:
        """The concerns of this repository's permissions and of its boundary."""
        return DATA_LAKE if self.infrastructure else ETL

    def trust(self) -> Statement:
        return {
            "Sid": "OnlyThisRepositorysApplyBuildOfThisEnvironment",
            "Effect": "Allow",
            "Principal": {"AWS": self.apply_role_arn},
            "Action": "sts:AssumeRole",
        }

    def plan_trust(self) -> Statement:
        return {
            "Sid": "OnlyThisRepositorysCodeOfThisEnvironment",
            "Effect": "Allow",
            "Principal": {"AWS": list(self.code_role_arns)},
            "Action": "sts:AssumeRole",
        }

    def drift_trust(self) -> Statement:
        return {
            "Sid": "OnlyThisRepositorysDriftCheckOfThisEnvironment",
            "Effect": "Allow",
            "Principal": {"AWS": self.review_role_arn},
            "Action": "sts:AssumeRole",
        }

    def permissions(self) -> dict[str, list[Statement]]:
        """The deploy role's managed policies, name -> statements: the definition's
        concerns in its order, packed under IAM's size limit into ``<repo>-deploy``, then
        ``<repo>-deploy-2``, ``-3``, ... (:func:`datalake_cdktf.iam.packing.pack`)."""
        return {name: list(statements) for name, statements in self._packed.items()}

    @cached_property
    def _packed(self) -> dict[str, list[Statement]]:
        statements = [s for concern in self.definition.permissions for s in concern(self)]
        return pack(self.role_name, statements, self._policy_name)

    def _policy_name(self, number: int) -> str:
        part = () if number == 1 else (str(number),)
        return self.label.deploy_policy(self.repository, *part)

    @property
    def policy_names(self) -> tuple[str, ...]:
        """The deploy role's managed policies, in order."""
        return tuple(self._packed)

    def boundary(self) -> list[Statement]:
        """The ceiling: this repository's resources, what its roles need at run time, the denies."""
        return [s for concern in self.definition.boundary for s in concern(self)]

    def plan_permissions(self) -> list[Statement]:
        """What the read-only plan role may do: its definition's ``plan`` concerns. The
        repository's code plans against the recorded state and reads nothing live
        (``terraform plan -refresh=false``), so the role reads no resource, SecureString,
        secret, object or function code: the caller's identity, and for an ETL repository
        the data lake's contract (its stacks' data sources) and Step Functions' validation
        of a planned definition, and nothing else."""
        return [statement for concern in self.definition.plan for statement in concern(self)]

    def drift_permissions(self) -> list[Statement]:
        """What the drift role may do: the configuration reads of the deploy permissions
        (:func:`datalake_cdktf.iam.deploy.reads.read_only`), and the catalog's metadata,
        decrypted through Glue only (the catalog is encrypted with the data key, and Glue
        decrypts it for the caller). Only the administrator's drift check uses it."""
        return [*read_only(chain.from_iterable(self._packed.values())), self.catalog_key(write=False)]

    # Names and ARNs ------------------------------------------------------------

    @property
    def prefix(self) -> str:
        """``<project>-<env>-<repo>-``: the start of this repository's names."""
        return self.label.repository_prefix(self.repository)

    @property
    def role_name(self) -> str:
        return self.label.deploy_role(self.repository)

    @property
    def boundary_name(self) -> str:
        return self.label.boundary_policy(self.repository)

    @property
    def plan_role_name(self) -> str:
        """The read-only role the repository's code plans through: ``<project>-<env>-<repo>-plan``."""
        return self.label.plan_role(self.repository)

    @property
    def drift_role_name(self) -> str:
        """The role the drift check reads configuration through: ``<project>-<env>-<repo>-drift``."""
        return self.label.drift_role(self.repository)

    @property
    def role_arn(self) -> str:
        return self.iam_role(self.role_name)

    @property
    def boundary_arn(self) -> str:
        return self.iam_policy(self.boundary_name)

    def arn(self, service: str, *, resource: str) -> str:
        """``service``'s ``resource`` in this account and region."""
        return naming.arn(service=service, region=self.region, account_id=self.account_id, resource=resource)

    def iam_role(self, name: str) -> str:
        """ARN of the role (or role pattern) ``name`` in this account."""
        return naming.role_arn(account_id=self.account_id, role_name=name, region=self.region)

    def iam_policy(self, name: str) -> str:
        """ARN of the managed policy (or policy pattern) ``name`` in this account."""
        return naming.policy_arn(account_id=self.account_id, policy_name=name, region=self.region)

    def bucket_arn(self, purpose: str) -> str:
        """ARN of the data lake's bucket ``purpose`` (a zone, ``assets``, ...)."""
        return naming.bucket_arn(
            bucket_name=self.label.bucket(purpose, self.account_id, self.region), region=self.region
        )

    def deploy_identities(self) -> list[str]:
        """ARNs of this repository's deploy, plan and drift roles, the deploy role's policies
        and the boundary (the plan and drift roles' policies are inline: their role's ARN
        covers them)."""
        return [
            self.role_arn,
            *map(self.iam_policy, self.policy_names),
            self.iam_role(self.plan_role_name),
            self.iam_role(self.drift_role_name),
            self.boundary_arn,
        ]

    @property
    def data_key_alias(self) -> str:
        return self.label.kms_alias("data")

    @property
    def any_key_arn(self) -> str:
        return self.arn("kms", resource="key/*")

    def catalog_key(self, *, write: bool) -> Statement:
        """The data key, as Glue uses it for the catalog's metadata (encrypted with it)."""
        return catalog_use_key(self.region, self.account_id, self.data_key_alias, write=write)

    @property
    def catalog(self) -> list[str]:
        """The catalog, this environment's databases (``<project>_<env>_*``) and their tables."""
        databases = self.label.name().replace("-", "_") + "_*"
        return [
            self.arn("glue", resource="catalog"),
            self.arn("glue", resource=f"database/{databases}"),
            self.arn("glue", resource=f"table/{databases}/*"),
        ]

    @property
    def contract(self) -> str:
        """The SSM contract the data lake publishes: ``/<project>/<env>/datalake/*``."""
        return self.arn("ssm", resource="parameter" + self.label.ssm_path(naming.DATALAKE_PUBLISHER, "*"))

    @property
    def in_region(self) -> dict:
        """The condition of an action without resource types: in this region only."""
        return {"StringEquals": {"aws:RequestedRegion": self.region}}
