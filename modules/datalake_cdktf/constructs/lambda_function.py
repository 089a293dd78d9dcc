"""A Lambda helper of an ETL repository, built reproducibly from a folder of its source.

- The package is a zip of the folder's files (sorted, fixed timestamps and modes, no
  ``__pycache__``), so the same source always gives the same bytes and hash, on any
  machine: a plan shows a change to the function only when its code changed.
- Its role ``<project>-<env>-<repo>-<name>`` is trusted by Lambda of this account only,
  capped by the repository's boundary, and may write its own log group, send traces, and
  do whatever the caller grants through ``statements`` (nothing else):
  :func:`datalake_cdktf.iam.etl_roles.function_role`.
- Its logs go to ``/<project>/<env>/<repo>/lambda/<name>``, encrypted with the data key.
- Traced with X-Ray; at most ``reserved_concurrency`` runs at once.
- ``audit_table``: a DynamoDB table ``<project>-<env>-<repo>-<name>`` (encrypted with
  the AWS managed key, point-in-time recovery, deletion protection where data is protected) the function may
  put items in; its name reaches the function as ``AUDIT_TABLE``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from datalake_cdktf.config.etl import LambdaFunction
from datalake_cdktf.context import RepositoryContext
from datalake_cdktf.engine import Construct, TerraformAsset
from datalake_cdktf.engine.aws import (
    cloudwatch_log_group,
    dynamodb_table,
    iam_role,
    iam_role_policy,
    lambda_function,
)
from datalake_cdktf.iam.etl_roles import function_role, service_role_trust
from datalake_cdktf.iam.statements import Statement, document

__all__ = ["PythonFunction", "PythonFunctionConfig", "build_package"]

_EPOCH = (1980, 1, 1, 0, 0, 0)


def build_package(source: Path, target: Path) -> str:
    """Zip ``source`` into ``target`` reproducibly; the package's SHA-256, base64-encoded
    (as Lambda reports ``CodeSha256``, so a plan compares like with like)."""
    files = sorted(p for p in source.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(source).as_posix(), _EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    data = buffer.getvalue()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


@dataclass(frozen=True)
class PythonFunctionConfig:
    """- ``function``: as ``etl.yaml`` declares it; ``root``: the folder of ``etl.yaml``;
      ``build_dir``: where packages are built (outside the source).
    - ``kms_key_arn``: the data key (log group); ``protect``: the environment protects data
      (default on).
    - ``statements``: further permissions of its role (what it reads, say; default none).
    """

    function: LambdaFunction
    root: Path
    build_dir: Path
    kms_key_arn: str
    protect: bool = True
    statements: tuple[Statement, ...] = field(default=())


class PythonFunction(Construct):
    """``function`` of ``context``'s repository: its package, log group, role, audit table
    and the function (see the module).

    Properties: ``function`` (resource), ``role``, ``name``, ``arn``, ``log_group`` (its
    name), ``package_hash``, ``table`` (or None)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, context: RepositoryContext, config: PythonFunctionConfig
    ):
        super().__init__(scope, construct_id)
        function = config.function
        self.name = context.function_name(name=function.name)
        self.arn = context.arn(service="lambda", resource=f"function:{self.name}")
        self.log_group = context.log_group("lambda", function.name)
        package = config.build_dir / f"{context.repository}-{function.name}.zip"
        self.package_hash = build_package(config.root / function.source, package)
        asset = TerraformAsset(self, "package", path=str(package.resolve()))
        group = cloudwatch_log_group.CloudwatchLogGroup(
            self, "logs", name=self.log_group, retention_in_days=365, kms_key_id=config.kms_key_arn
        )
        self.role = iam_role.IamRole(
            self,
            "role",
            name=context.role_name(function.name),
            description=f"Lambda function {self.name}",
            assume_role_policy=document(service_role_trust(context, service="lambda", sid="LambdaOfThisAccount")),
            permissions_boundary=context.boundary_arn,
        )
        statements = function_role(
            context,
            log_group=self.log_group,
            audit_table=self.name if function.audit_table else None,
            granted=config.statements,
        )
        policy = iam_role_policy.IamRolePolicy(
            self, "access", name="access", role=self.role.id, policy=document(*statements)
        )
        self.table = self._audit_table(protect=config.protect) if function.audit_table else None
        self.function = lambda_function.LambdaFunction(
            self,
            "function",
            function_name=self.name,
            role=self.role.arn,
            runtime=function.runtime,
            handler=function.handler,
            filename=asset.path,
            source_code_hash=self.package_hash,
            timeout=function.timeout_seconds,
            memory_size=function.memory_mb,
            architectures=["arm64"],
            reserved_concurrent_executions=function.reserved_concurrency,
            tracing_config=lambda_function.LambdaFunctionTracingConfig(mode="Active"),
            logging_config=lambda_function.LambdaFunctionLoggingConfig(log_format="JSON", log_group=group.name),
            environment=lambda_function.LambdaFunctionEnvironment(variables={"AUDIT_TABLE": self.name})
            if self.table
            else None,
            depends_on=[policy, group],
        )

    def _audit_table(self, *, protect: bool) -> dynamodb_table.DynamodbTable:
        """The function's audit table, named as the function (deletion protection with ``protect``)."""
        return dynamodb_table.DynamodbTable(
            self,
            "audit",
            name=self.name,
            billing_mode="PAY_PER_REQUEST",
            hash_key="object_key",
            attribute=[dynamodb_table.DynamodbTableAttribute(name="object_key", type="S")],
            # The AWS managed key (aws/dynamodb): the table records arrivals, not data,
            # and the data key would need kms:CreateGrant for every ETL deploy role.
            server_side_encryption=dynamodb_table.DynamodbTableServerSideEncryption(enabled=True),
            point_in_time_recovery=dynamodb_table.DynamodbTablePointInTimeRecovery(enabled=True),
            deletion_protection_enabled=protect,
        )
