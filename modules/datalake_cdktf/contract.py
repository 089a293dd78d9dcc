"""The SSM contract between ``datalake-<env>`` and the repositories that build on it.

Stacks never share Terraform state. ``datalake-<env>`` publishes what ETL stacks need as
SSM parameters under ``/<project>/<env>/datalake/<key>``; ETL stacks read them with
:class:`~datalake_cdktf.constructs.datalake_contract.DataLakeContract`. The contract is
versioned: the data lake publishes ``contract/version``; a reader refuses to plan
against a version it does not support.

Version history (a new version is a breaking change for readers):

- 1: ``kms/key-arn``; ``buckets/<raw|conformed|purpose-built|assets|access-logs>/<name|arn>``;
  ``glue/databases/<raw|conformed|purpose-built>/name``; ``vpc/id``,
  ``vpc/private-subnet-ids`` (StringList), ``vpc/endpoint-security-group-id``.
- 2: adds ``glue/security-configuration/name`` (the security configuration every Glue
  job of the environment runs with). Apply ``datalake-<env>`` before ETL stacks built
  with a library that reads version 2.
- 3: no new key; ``datalake-<env>`` now creates, for each ETL repository of the
  deployment, the security group ``<project>-<env>-<repo>-glue-jobs`` and one Glue
  NETWORK connection ``<project>-<env>-<repo>-<availability zone>`` per private subnet,
  which jobs declared with ``network: true`` use by name. Apply ``datalake-<env>``
  before ETL stacks built with a library that reads version 3.
"""

from __future__ import annotations

from datalake_cdktf.naming import DATALAKE_PUBLISHER, ZONES, Label

__all__ = [
    "CONTRACT_VERSION",
    "DATALAKE_BUCKETS",
    "DATALAKE_KEYS",
    "LIST_KEYS",
    "SUPPORTED_VERSIONS",
    "VERSION_KEY",
    "parameter_name",
]

CONTRACT_VERSION = 3
"""The version ``datalake-<env>`` publishes."""
SUPPORTED_VERSIONS = (3,)
"""The versions this library's reader can read."""
VERSION_KEY = "contract/version"
"""The key under which ``datalake-<env>`` publishes :data:`CONTRACT_VERSION`."""

DATALAKE_BUCKETS = (*ZONES, "assets", "access-logs")
"""Buckets of ``datalake-<env>``: the zones, the assets (job scripts and packages, each
repository under ``<repo>/``) and the access logs."""

DATALAKE_KEYS = (
    VERSION_KEY,
    "kms/key-arn",
    *(f"buckets/{bucket}/{attr}" for bucket in DATALAKE_BUCKETS for attr in ("name", "arn")),
    *(f"glue/databases/{zone}/name" for zone in ZONES),
    "glue/security-configuration/name",
    "vpc/id",
    "vpc/private-subnet-ids",
    "vpc/endpoint-security-group-id",
)
"""Every key ``datalake-<env>`` publishes."""
LIST_KEYS = ("vpc/private-subnet-ids",)
"""Keys published as StringList (comma-separated)."""


def parameter_name(label: Label, key: str, publisher: str = DATALAKE_PUBLISHER) -> str:
    """``/<project>/<env>/<publisher>/<key>``."""
    return label.ssm_path(publisher, *key.split("/"))
