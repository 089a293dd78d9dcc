"""The constructs: typed config in, typed properties out, one per module.

Each is importable on its own (``from datalake_cdktf.constructs.secure_bucket import
SecureBucket``), which loads only the provider bindings it uses; the names below are
also available here, loaded on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_MODULES = {
    "DataLakeContract": "datalake_contract",
    "DeployRole": "deploy_role",
    "EncryptionKey": "encryption_key",
    "EncryptionKeyConfig": "encryption_key",
    "GlueCatalog": "glue_catalog",
    "GlueCatalogConfig": "glue_catalog",
    "JobNetwork": "job_network",
    "JobNetworkConfig": "job_network",
    "PipelineIdentities": "pipeline_identities",
    "PrivateNetwork": "private_network",
    "PrivateNetworkConfig": "private_network",
    "PublishedOutputs": "published_outputs",
    "SecureBucket": "secure_bucket",
    "SecureBucketConfig": "secure_bucket",
}

__all__ = sorted(_MODULES)


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
